//! Attribute operations: examples from reference §9 and property tests over random updates.

use chrono::{TimeZone, Utc};
use leadwire_core::attributes::{
    AttributeError, AttributeLimits, ProfileChanges, apply_attributes,
};
use leadwire_core::profile::Profile;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use uuid::Uuid;

fn profile() -> Profile {
    let created = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single();
    Profile::new(Uuid::nil(), created.expect("valid date"))
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("test literal must be an object, got {other}"),
    }
}

fn apply(profile: &mut Profile, value: Value) -> Result<ProfileChanges, AttributeError> {
    apply_attributes(
        profile,
        &object(value),
        &AttributeLimits::default(),
        Utc::now(),
    )
}

#[test]
fn set_inc_add_remove_and_null() {
    let mut p = profile();
    apply(
        &mut p,
        json!({"score": 10, "tags": ["a", "b"], "plan": "pro"}),
    )
    .expect("valid");
    apply(
        &mut p,
        json!({"score": {"inc": -3}, "tags": {"add": ["c", "a"], "remove": ["b"]}, "plan": null}),
    )
    .expect("valid");
    assert_eq!(p.custom.get("score"), Some(&json!(7)));
    assert_eq!(p.custom.get("tags"), Some(&json!(["c", "a"])));
    assert_eq!(p.custom.get("plan"), None);
}

#[test]
fn date_strings_become_typed_times_and_identifiers_are_skipped() {
    let mut p = profile();
    apply(
        &mut p,
        json!({"external_id": "u1", "_update_existing_only": false, "trial_ends": "2024-05-01"}),
    )
    .expect("valid");
    assert_eq!(
        p.custom.get("trial_ends"),
        Some(&json!({"$time": "2024-05-01T00:00:00.000Z"}))
    );
    assert!(!p.custom.contains_key("external_id"));
    let object = p.to_attributes_object();
    assert_eq!(
        object.get("trial_ends"),
        Some(&json!("2024-05-01T00:00:00.000Z"))
    );
}

#[test]
fn a_rejected_object_changes_nothing_and_names_the_field() {
    let mut p = profile();
    apply(&mut p, json!({"score": 1})).expect("valid");
    let before = p.clone();
    let error = apply(
        &mut p,
        json!({"score": 5, "first_name": "Ada", "tags": {"add": [null]}}),
    )
    .unwrap_err();
    assert_eq!(error.field, "tags.add[0]");
    assert_eq!(p, before);
    let error = apply(&mut p, json!({"name": {"inc": 1.5}})).unwrap_err();
    assert_eq!(error.field, "name.inc");
    let long_name = "x".repeat(256);
    let error = apply(&mut p, json!({ long_name.clone(): 1 })).unwrap_err();
    assert_eq!(error.field, long_name);
    let error = apply(&mut p, json!({"label": {"inc": 1}})).map(|_| ());
    assert!(error.is_ok(), "absent attribute increments from 0");
    let error = apply(
        &mut p,
        json!({"first_name": "Ada", "label": {"add": ["x"]}}),
    )
    .unwrap_err();
    assert_eq!(error.field, "label");
}

#[test]
fn change_detection_follows_braze_rules() {
    let mut p = profile();
    let changes = apply(&mut p, json!({"lead_score": 5, "email": "a@example.com"})).expect("valid");
    assert_eq!(changes.email_added.as_deref(), Some("a@example.com"));
    assert_eq!(changes.custom_changed.len(), 1);
    assert_eq!(changes.custom_changed[0].old, None);
    assert_eq!(changes.custom_changed[0].new, json!(5));

    let changes = apply(&mut p, json!({"lead_score": 5, "email": "b@example.com"})).expect("valid");
    assert!(
        changes.is_empty(),
        "same value and email change record nothing: {changes:?}"
    );

    let changes = apply(&mut p, json!({"lead_score": null})).expect("valid");
    assert!(changes.custom_changed.is_empty());

    let changes = apply(&mut p, json!({"lead_score": {"inc": 2}})).expect("valid");
    assert_eq!(changes.custom_changed[0].old, None);
    assert_eq!(changes.custom_changed[0].new, json!(2));
    let changes = apply(&mut p, json!({"lead_score": 3})).expect("valid");
    assert_eq!(changes.custom_changed[0].old, Some(json!(2)));

    apply(&mut p, json!({"email": null})).expect("valid");
    let changes = apply(&mut p, json!({"email": "c@example.com"})).expect("valid");
    assert_eq!(changes.email_added.as_deref(), Some("c@example.com"));
}

#[test]
fn merged_changes_keep_the_first_old_and_the_last_new_value() {
    let mut p = profile();
    let mut changes = apply(&mut p, json!({"a": 1, "b": 1})).expect("valid");
    changes.merge(apply(&mut p, json!({"a": 2})).expect("valid"));
    assert_eq!(changes.custom_changed.len(), 2);
    assert_eq!(changes.custom_changed[0].old, None);
    assert_eq!(changes.custom_changed[0].new, json!(2));
    let mut changes = apply(&mut p, json!({"a": 3})).expect("valid");
    changes.merge(apply(&mut p, json!({"a": 2})).expect("valid"));
    assert!(
        changes.is_empty(),
        "back to the original value: {changes:?}"
    );
}

#[test]
fn array_cap_is_configurable_up_to_100() {
    assert!(AttributeLimits::new(0).is_err());
    assert!(AttributeLimits::new(101).is_err());
    let limits = AttributeLimits::new(3).expect("in range");
    let mut p = profile();
    apply_attributes(
        &mut p,
        &object(json!({"t": [1, 2, 3, 4, 5]})),
        &limits,
        Utc::now(),
    )
    .expect("valid");
    assert_eq!(p.custom.get("t"), Some(&json!([3, 4, 5])));
    apply_attributes(
        &mut p,
        &object(json!({"t": {"add": [3, 6]}})),
        &limits,
        Utc::now(),
    )
    .expect("valid");
    assert_eq!(p.custom.get("t"), Some(&json!([5, 3, 6])));
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i32>().prop_map(|n| json!(n)),
        any::<bool>().prop_map(|b| json!(b)),
        "[a-e]{0,3}".prop_map(|s| json!(s)),
        Just(Value::Null),
    ]
}

fn operation() -> impl Strategy<Value = Value> {
    prop_oneof![
        scalar(),
        prop::collection::vec(scalar(), 0..6).prop_map(Value::Array),
        any::<i16>().prop_map(|n| json!({ "inc": n })),
        (
            prop::collection::vec(scalar(), 0..6),
            prop::collection::vec(scalar(), 0..3)
        )
            .prop_map(|(add, remove)| json!({"add": add, "remove": remove})),
        "[0-9/ :T-]{0,12}".prop_map(|s| json!(s)),
    ]
}

fn updates() -> impl Strategy<Value = Vec<Map<String, Value>>> {
    prop::collection::vec(
        prop::collection::btree_map("[a-c]", operation(), 1..4)
            .prop_map(|map| map.into_iter().collect::<Map<String, Value>>()),
        1..8,
    )
}

fn has_operation(update: &Map<String, Value>) -> bool {
    update.values().any(|value| value.is_object())
}

proptest! {
    #[test]
    fn arrays_stay_unique_and_capped_and_failures_change_nothing(updates in updates(), cap in 1usize..6) {
        let limits = AttributeLimits::new(cap).expect("in range");
        let mut p = profile();
        for update in updates {
            let before = p.clone();
            match apply_attributes(&mut p, &update, &limits, Utc::now()) {
                Ok(changes) => {
                    for change in &changes.custom_changed {
                        prop_assert!(!change.new.is_null());
                        prop_assert_ne!(change.old.as_ref(), Some(&change.new));
                        prop_assert_eq!(p.custom.get(&change.name), Some(&change.new));
                    }
                    for (name, value) in &update {
                        if value.is_null() {
                            prop_assert!(!p.custom.contains_key(name));
                        }
                    }
                    if !has_operation(&update) {
                        let again = apply_attributes(&mut p.clone(), &update, &limits, Utc::now())
                            .expect("re-applying a valid update is valid");
                        prop_assert!(again.custom_changed.is_empty(), "re-sent values changed: {:?}", again);
                    }
                }
                Err(_) => prop_assert_eq!(&p, &before),
            }
            for value in p.custom.values() {
                if let Value::Array(items) = value {
                    prop_assert!(items.len() <= cap);
                    for (i, item) in items.iter().enumerate() {
                        prop_assert!(!items[i + 1..].contains(item), "duplicate {}", item);
                    }
                }
            }
        }
    }

    #[test]
    fn increments_sum(steps in prop::collection::vec(-1000i64..1000, 1..20)) {
        let mut p = profile();
        for step in &steps {
            apply(&mut p, json!({"n": {"inc": step}})).expect("valid increment");
        }
        prop_assert_eq!(p.custom.get("n"), Some(&json!(steps.iter().sum::<i64>())));
    }
}
