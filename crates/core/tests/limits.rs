//! The caps on one attributes object, reserved `$` names, control characters in emails, and
//! array operations at the largest allowed sizes.

use chrono::{TimeZone, Utc};
use leadwire_core::attributes::{
    AttributeError, AttributeLimits, MAX_ARRAY_ITEMS_PER_OBJECT, MAX_ARRAY_VALUE_ITEMS,
    MAX_ATTRIBUTES_PER_OBJECT, MAX_NESTED_VALUE_BYTES, ProfileChanges, apply_attributes,
};
use leadwire_core::profile::Profile;
use serde_json::{Map, Value, json};
use uuid::Uuid;

fn profile() -> Profile {
    let created = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single();
    Profile::new(Uuid::nil(), created.expect("valid date"))
}

fn apply(profile: &mut Profile, value: Value) -> Result<ProfileChanges, AttributeError> {
    let Value::Object(object) = value else {
        return Err(AttributeError::new("", "test literal must be an object"));
    };
    let limits = AttributeLimits::new(100).expect("in range");
    apply_attributes(profile, &object, &limits, Utc::now())
}

fn numbers(range: std::ops::Range<usize>) -> Value {
    Value::Array(range.map(Value::from).collect())
}

#[test]
fn top_level_dollar_names_are_refused_like_nested_ones() {
    let mut p = profile();
    let top = apply(&mut p, json!({"$plan": "pro"})).unwrap_err();
    let nested = apply(&mut p, json!({"account": {"$plan": "pro"}})).unwrap_err();
    assert_eq!(top.field, "$plan");
    assert_eq!(nested.field, "account.$plan");
    assert_eq!(top.message, nested.message);
    assert!(p.custom.is_empty());
}

#[test]
fn emails_with_control_characters_are_refused() {
    let mut p = profile();
    for email in [
        "ada\0@example.com",
        "ada@exam\u{7}ple.com",
        "ada@example.com\u{1b}x",
    ] {
        let error = apply(&mut p, json!({ "email": email })).unwrap_err();
        assert_eq!(error.field, "email", "{email:?}");
        assert!(error.message.contains("not a valid email"), "{error}");
        assert!(
            !error.message.contains('\0'),
            "the message escapes it: {error}"
        );
    }
    assert_eq!(p.email(), None);
    apply(&mut p, json!({"email": "ada@example.com"})).expect("valid");
}

#[test]
fn too_many_attributes_in_one_object_are_refused() {
    let mut p = profile();
    let mut object: Map<String, Value> = (0..MAX_ATTRIBUTES_PER_OBJECT)
        .map(|n| (format!("a{n}"), json!(n)))
        .collect();
    object.insert("external_id".into(), json!("u"));
    apply(&mut p, Value::Object(object.clone())).expect("at the cap");
    object.insert("one_more".into(), json!(1));
    let error = apply(&mut p, Value::Object(object)).unwrap_err();
    assert_eq!(error.field, "");
    assert!(error.message.contains("at most 1000 attributes"), "{error}");
}

#[test]
fn array_values_over_the_item_caps_are_refused_with_the_path() {
    let mut p = profile();
    let over = numbers(0..MAX_ARRAY_VALUE_ITEMS + 1);
    for (value, field) in [
        (json!({ "t": over }), "t"),
        (json!({"t": {"add": [1], "remove": over}}), "t.remove"),
    ] {
        let error = apply(&mut p, value).unwrap_err();
        assert_eq!(error.field, field);
        assert!(error.message.contains("at most 1000"), "{error}");
    }
    let arrays = MAX_ARRAY_ITEMS_PER_OBJECT / MAX_ARRAY_VALUE_ITEMS + 1;
    let object: Map<String, Value> = (0..arrays)
        .map(|n| (format!("t{n}"), numbers(0..MAX_ARRAY_VALUE_ITEMS)))
        .collect();
    let error = apply(&mut p, Value::Object(object)).unwrap_err();
    assert_eq!(error.field, "");
    assert!(error.message.contains("in all"), "{error}");
    assert!(p.custom.is_empty());
}

#[test]
fn nested_values_over_100_kb_are_refused() {
    let mut p = profile();
    let entry = "x".repeat(200);
    let big: Map<String, Value> = (0..MAX_NESTED_VALUE_BYTES / 200)
        .map(|n| (format!("k{n}"), json!(entry)))
        .collect();
    let error = apply(&mut p, json!({ "big": big })).unwrap_err();
    assert_eq!(error.field, "big");
    let small: Map<String, Value> = big.into_iter().take(100).collect();
    apply(&mut p, json!({ "big": small })).expect("under 100 KB");
}

/// The largest operations the caps allow, on a full array: the result is Braze's (newest
/// distinct items last, removed ones gone, capped), computed in linear time (the quadratic
/// code compared every pair of items).
#[test]
fn the_largest_allowed_array_operations_keep_brazes_order() {
    let n = MAX_ARRAY_VALUE_ITEMS;
    let mut p = profile();
    apply(&mut p, json!({ "t": numbers(0..n) })).expect("valid");
    assert_eq!(p.custom.get("t"), Some(&numbers(n - 100..n)));
    let end = n + n / 2;
    let changes = apply(
        &mut p,
        json!({"t": {"add": numbers(n / 2..end), "remove": numbers(end - 50..end)}}),
    )
    .expect("valid");
    assert_eq!(changes.custom_changed.len(), 1);
    assert_eq!(p.custom.get("t"), Some(&numbers(end - 150..end - 50)));
}

#[test]
fn event_properties_over_100_kb_are_refused_flat_or_nested() {
    let now = chrono::Utc::now();
    let text = "p".repeat(250);
    let event = |properties: Map<String, Value>| json!({"external_id": "u", "name": "viewed", "time": "2026-11-29T10:00:00Z", "properties": properties});
    let flat = |count: usize| -> Map<String, Value> {
        (0..count).map(|n| (format!("p{n}"), json!(text))).collect()
    };
    let refused = leadwire_core::track::parse_event(&event(flat(420)), now).unwrap_err();
    assert_eq!(refused.field, "properties");
    assert!(
        refused.message.contains("at most 102400 bytes"),
        "{refused}"
    );
    leadwire_core::track::parse_event(&event(flat(380)), now).expect("under 100 KB");
    let mut nested = flat(420);
    nested.insert("list".into(), json!([1, 2]));
    assert!(leadwire_core::track::parse_event(&event(nested), now).is_err());
}
