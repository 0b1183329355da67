//! [`deep_merge`]: `"_merge_objects": true` applied to a nested custom attribute (reference
//! §9): every level of the sent object merges into the stored one, keys not sent are kept,
//! and a key sent as `null` is removed.

use serde_json::{Map, Value};

use crate::time::TIME_KEY;

/// Merges `update` into `current`, consuming both. Where both sides hold a plain object
/// (not a `{"$time": …}` value) at the same key the objects merge recursively; otherwise
/// the sent value replaces the stored one, and a sent `null` removes the key. Recursion
/// follows `update`, whose depth the validation already bounds
/// ([`MAX_NESTING_DEPTH`](super::MAX_NESTING_DEPTH)).
pub(crate) fn deep_merge(current: Value, update: Value) -> Value {
    match (current, update) {
        (Value::Object(current), Value::Object(update))
            if is_plain(&current) && is_plain(&update) =>
        {
            Value::Object(merge_maps(current, update))
        }
        (_, update) => without_nulls(update),
    }
}

fn merge_maps(mut current: Map<String, Value>, update: Map<String, Value>) -> Map<String, Value> {
    for (key, value) in update {
        if value.is_null() {
            current.remove(&key);
            continue;
        }
        let merged = match current.remove(&key) {
            Some(stored) => deep_merge(stored, value),
            None => without_nulls(value),
        };
        current.insert(key, merged);
    }
    current
}

/// A sent object stored where nothing merges with it: its `null` keys are dropped, as a
/// merge with an empty object would drop them.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(object) if is_plain(&object) => Value::Object(merge_maps(Map::new(), object)),
        other => other,
    }
}

/// An object that is not a typed time (validation refuses other `$` keys, so an object
/// holding `$time` is a time).
fn is_plain(object: &Map<String, Value>) -> bool {
    !object.contains_key(TIME_KEY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_level_merges_and_unsent_keys_stay() {
        let current = json!({"song_name": "Solea", "artist_name": "Miles",
            "play_analytics": {"count": 1000, "top_10_listeners": true}});
        let update = json!({"year_released": 1960, "play_analytics": {"count": 1001}});
        assert_eq!(
            deep_merge(current, update),
            json!({"song_name": "Solea", "artist_name": "Miles",
                "play_analytics": {"count": 1001, "top_10_listeners": true},
                "year_released": 1960})
        );
    }

    #[test]
    fn null_removes_a_key_and_times_and_scalars_are_replaced() {
        let time = json!({"$time": "2024-05-01T00:00:00.000Z"});
        let current = json!({"a": 1, "b": {"c": 2}, "when": time, "n": {"x": 1}});
        let update = json!({"a": null, "b": {"c": null, "d": null}, "when": {"x": 1}, "n": 5});
        assert_eq!(
            deep_merge(current, update),
            json!({"b": {}, "when": {"x": 1}, "n": 5})
        );
        assert_eq!(
            deep_merge(json!("text"), json!({"a": null, "b": 1})),
            json!({"b": 1})
        );
        let later = json!({"$time": "2025-01-01T00:00:00.000Z"});
        assert_eq!(
            deep_merge(json!({"w": time}), json!({"w": later.clone()})),
            json!({"w": later})
        );
    }
}
