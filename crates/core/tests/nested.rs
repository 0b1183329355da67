//! Nested custom attributes and arrays of objects (reference §9): `_merge_objects`, `$add`,
//! `$remove`, `$update`, the 100 KB cap; examples and property tests.

use chrono::{TimeZone, Utc};
use leadwire_core::attributes::{
    AttributeError, AttributeLimits, MAX_NESTED_VALUE_BYTES, ProfileChanges, apply_attributes,
};
use leadwire_core::profile::Profile;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use uuid::Uuid;

fn profile() -> Profile {
    let created = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single();
    Profile::new(Uuid::nil(), created.expect("valid date"))
}

fn apply(profile: &mut Profile, value: Value) -> Result<ProfileChanges, AttributeError> {
    let object = value.as_object().cloned().unwrap_or_default();
    apply_attributes(profile, &object, &AttributeLimits::default(), Utc::now())
}

#[test]
fn merge_objects_merges_every_level_and_without_it_the_object_is_replaced() {
    let mut p = profile();
    let song = json!({"song_name": "Solea", "artist_name": "Miles Davis",
        "play_analytics": {"count": 1000, "top_10_listeners": true}});
    apply(&mut p, json!({"most_played_song": song})).expect("valid");
    apply(
        &mut p,
        json!({"_merge_objects": true,
               "most_played_song": {"year_released": 1960, "play_analytics": {"count": 1001}}}),
    )
    .expect("valid");
    assert_eq!(
        p.custom.get("most_played_song"),
        Some(&json!({"song_name": "Solea", "artist_name": "Miles Davis",
            "play_analytics": {"count": 1001, "top_10_listeners": true},
            "year_released": 1960}))
    );
    assert!(
        !p.custom.contains_key("_merge_objects"),
        "the flag is not an attribute"
    );
    apply(&mut p, json!({"most_played_song": {"year_released": 1961}})).expect("valid");
    assert_eq!(
        p.custom.get("most_played_song"),
        Some(&json!({"year_released": 1961}))
    );
    apply(
        &mut p,
        json!({"_merge_objects": true, "most_played_song": {"year_released": null, "genre": "jazz"}}),
    )
    .expect("valid");
    assert_eq!(
        p.custom.get("most_played_song"),
        Some(&json!({"genre": "jazz"}))
    );
    apply(
        &mut p,
        json!({"_merge_objects": true, "most_played_song": null}),
    )
    .expect("valid");
    assert_eq!(p.custom.get("most_played_song"), None, "null deletes");
    let error = apply(&mut p, json!({"_merge_objects": "yes", "a": {"b": 1}})).unwrap_err();
    assert_eq!(error.field, "_merge_objects");
}

#[test]
fn arrays_of_objects_take_add_remove_and_update() {
    let mut p = profile();
    let pets = json!([{"id": 1, "type": "dog", "breed": "beagle", "name": "Gus"},
                      {"id": 2, "type": "dog", "breed": "pug", "name": "Gerald"}]);
    apply(&mut p, json!({"pets": pets})).expect("valid");
    apply(
        &mut p,
        json!({"pets": {"$add": [{"id": 3, "type": "cat", "name": "Gary",
                                  "adopted": {"$time": "2024-05-01"}},
                                 {"id": 4, "type": "fish", "breed": "guppy", "name": "Gil"}]}}),
    )
    .expect("valid");
    apply(
        &mut p,
        json!({"_merge_objects": true, "pets": {"$update": [
            {"$identifier_key": "id", "$identifier_value": 4, "$new_object": {"breed": "goldfish"}}]}}),
    )
    .expect("valid");
    apply(
        &mut p,
        json!({"pets": {"$remove": [{"$identifier_key": "type", "$identifier_value": "dog"}]}}),
    )
    .expect("valid");
    assert_eq!(
        p.custom.get("pets"),
        Some(&json!([
            {"id": 3, "type": "cat", "name": "Gary", "adopted": {"$time": "2024-05-01T00:00:00.000Z"}},
            {"id": 4, "type": "fish", "breed": "goldfish", "name": "Gil"}
        ]))
    );
    apply(
        &mut p,
        json!({"pets": {"$update": [
            {"$identifier_key": "id", "$identifier_value": 3, "$new_object": {"id": 3, "name": "Garfield"}}]}}),
    )
    .expect("valid");
    assert_eq!(
        p.custom["pets"][0],
        json!({"id": 3, "name": "Garfield"}),
        "without _merge_objects the item is overwritten"
    );
}

#[test]
fn arrays_of_objects_are_not_capped_at_the_array_length() {
    let mut p = profile();
    let items: Vec<Value> = (0..40).map(|n| json!({"n": n})).collect();
    apply(&mut p, json!({"rows": items})).expect("valid");
    assert_eq!(p.custom["rows"].as_array().map(Vec::len), Some(40));
    apply(&mut p, json!({"rows": {"$add": [{"n": 0}]}})).expect("valid");
    assert_eq!(
        p.custom["rows"].as_array().map(Vec::len),
        Some(41),
        "no de-duplication"
    );
}

#[test]
fn an_operation_past_100_kb_is_dropped_silently_and_a_value_past_it_is_refused() {
    let mut p = profile();
    let big = "x".repeat(250);
    let items: Vec<Value> = (0..300).map(|n| json!({"n": n, "text": big})).collect();
    apply(&mut p, json!({"rows": items})).expect("about 80 KB fits");
    let before = p.custom["rows"].clone();
    let more: Vec<Value> = (0..100).map(|n| json!({"n": n, "text": big})).collect();
    let changes =
        apply(&mut p, json!({"rows": {"$add": more}, "other": 1})).expect("dropped, not refused");
    assert_eq!(p.custom["rows"], before, "the attribute is unchanged");
    assert_eq!(p.custom.get("other"), Some(&json!(1)), "the rest applies");
    assert_eq!(changes.custom_changed.len(), 1);
    let fill = "y".repeat(250);
    let mut object = Map::new();
    for n in 0..250 {
        object.insert(format!("k{n}"), json!(fill));
    }
    apply(&mut p, json!({"doc": object.clone()})).expect("about 65 KB fits");
    let mut more = Map::new();
    for n in 250..500 {
        more.insert(format!("k{n}"), json!(fill));
    }
    apply(&mut p, json!({"_merge_objects": true, "doc": more.clone()}))
        .expect("a merge past the cap is dropped");
    assert_eq!(p.custom["doc"], Value::Object(object.clone()));
    object.extend(more);
    assert!(serde_json::to_vec(&object).map_or(0, |b| b.len()) > MAX_NESTED_VALUE_BYTES);
    let error = apply(&mut p, json!({"doc": object})).unwrap_err();
    assert_eq!(error.field, "doc");
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i16>().prop_map(|n| json!(n)),
        any::<bool>().prop_map(|b| json!(b)),
        "[a-c]{0,2}".prop_map(|s| json!(s)),
        Just(Value::Null),
    ]
}

fn nested() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop::collection::btree_map("[a-d]", inner, 0..4)
            .prop_map(|map| Value::Object(map.into_iter().collect()))
    })
}

fn object_value() -> impl Strategy<Value = Value> {
    prop::collection::btree_map("[a-d]", nested(), 1..4)
        .prop_map(|map| Value::Object(map.into_iter().collect()))
}

/// Every key `update` does not name keeps its stored value, at every level; every non-null
/// leaf sent is what is stored.
fn check_merge(stored: &Value, update: &Value, merged: &Value) -> Result<(), TestCaseError> {
    let (Some(stored), Some(update), Some(merged)) =
        (stored.as_object(), update.as_object(), merged.as_object())
    else {
        return Ok(());
    };
    for (key, value) in stored {
        if !update.contains_key(key) {
            prop_assert_eq!(merged.get(key), Some(value), "unsent key {} was lost", key);
        }
    }
    for (key, value) in update {
        match (value, merged.get(key)) {
            (Value::Null, found) => prop_assert!(found.is_none(), "null kept {}", key),
            (Value::Object(_), Some(found)) => {
                check_merge(stored.get(key).unwrap_or(&Value::Null), value, found)?
            }
            (Value::Object(_), None) => prop_assert!(false, "sent object {} missing", key),
            (leaf, found) => prop_assert_eq!(found, Some(leaf)),
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn merging_keeps_unsent_keys_sets_sent_ones_and_is_idempotent(
        stored in object_value(),
        update in object_value(),
    ) {
        let mut p = profile();
        apply(&mut p, json!({"doc": stored})).expect("valid stored value");
        let before = p.custom["doc"].clone();
        apply(&mut p, json!({"_merge_objects": true, "doc": update.clone()})).expect("valid merge");
        let merged = p.custom["doc"].clone();
        check_merge(&before, &update, &merged)?;
        let again = apply(&mut p, json!({"_merge_objects": true, "doc": update}))
            .expect("valid merge");
        prop_assert!(again.custom_changed.is_empty(), "a repeated merge changed: {:?}", again);
        prop_assert_eq!(&p.custom["doc"], &merged);
    }

    #[test]
    fn remove_drops_exactly_the_matching_items_and_update_touches_only_them(
        ids in prop::collection::vec(0u8..5, 0..12),
        target in 0u8..5,
        merge in any::<bool>(),
    ) {
        let items: Vec<Value> = ids.iter().enumerate()
            .map(|(n, id)| json!({"id": id, "n": n}))
            .collect();
        let mut p = profile();
        if !items.is_empty() {
            apply(&mut p, json!({"rows": items.clone()})).expect("valid");
        }
        let mut updated = p.clone();
        apply(&mut p, json!({"rows": {"$remove": [{"$identifier_key": "id", "$identifier_value": target}]}}))
            .expect("valid remove");
        let kept: Vec<Value> = items.iter().filter(|item| item["id"] != json!(target)).cloned().collect();
        prop_assert_eq!(p.custom.get("rows").cloned().unwrap_or(json!([])), json!(kept));
        apply(&mut updated, json!({"_merge_objects": merge, "rows": {"$update": [
            {"$identifier_key": "id", "$identifier_value": target, "$new_object": {"seen": true}}]}}))
            .expect("valid update");
        let rows = updated.custom.get("rows").cloned().unwrap_or(json!([]));
        for (item, row) in items.iter().zip(rows.as_array().into_iter().flatten()) {
            if item["id"] == json!(target) {
                let mut expected = if merge { item.clone() } else { json!({}) };
                expected["seen"] = json!(true);
                prop_assert_eq!(row, &expected);
            } else {
                prop_assert_eq!(row, item);
            }
        }
    }
}
