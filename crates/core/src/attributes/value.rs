//! Validation and normalisation of custom attribute values: strings, numbers, booleans,
//! times, unique arrays and nested objects, with the 255-character limits and the nesting
//! depth cap. Field paths are built lazily ([`Path`]), so the work is linear in the value.

use std::collections::hash_map::RandomState;
use std::fmt::Display;

use serde_json::{Map, Value};

use super::keyed::{keyed, values};
use super::limits::MAX_NESTING_DEPTH;
use super::path::Path;
use super::sets;
use super::{AttributeError, MAX_STRING_LENGTH};
use crate::time::{TIME_KEY, parse_date, time_value};

/// Checks a custom attribute name or a nested key: non-empty, at most 255 characters, not
/// starting with `$` (reserved for `{"$time": …}`).
pub(crate) fn check_key(field: &dyn Display, key: &str) -> Result<(), AttributeError> {
    if key.is_empty() {
        return Err(AttributeError::new(
            field.to_string(),
            "attribute names must not be empty",
        ));
    }
    if key.chars().count() > MAX_STRING_LENGTH {
        return Err(AttributeError::new(
            field.to_string(),
            format!("attribute names are at most {MAX_STRING_LENGTH} characters"),
        ));
    }
    if key.starts_with('$') {
        return Err(AttributeError::new(
            field.to_string(),
            "keys starting with `$` are reserved; only `$time` is supported",
        ));
    }
    Ok(())
}

/// Checks a string value's length.
pub(crate) fn check_string(field: &dyn Display, text: &str) -> Result<(), AttributeError> {
    let length = text.chars().count();
    if length > MAX_STRING_LENGTH {
        return Err(AttributeError::new(
            field.to_string(),
            format!("string values are at most {MAX_STRING_LENGTH} characters (got {length})"),
        ));
    }
    Ok(())
}

/// Refuses the NUL character in a string stored in a column of its own (identifiers, phone
/// numbers, event names, product ids, app ids): a PostgreSQL text column cannot hold it.
/// Values inside the profile's JSON document may contain it (JSON escapes it).
pub(crate) fn check_no_nul(field: &dyn Display, text: &str) -> Result<(), AttributeError> {
    if text.contains('\0') {
        return Err(AttributeError::new(
            field.to_string(),
            "must not contain the NUL character (\\u0000)",
        ));
    }
    Ok(())
}

/// Normalises a top-level custom attribute value that is set (not an operation, not null):
/// a date string becomes a typed time, an array becomes unique and capped, an object is
/// validated as a nested attribute.
pub(crate) fn normalize_top_level(
    field: &str,
    value: &Value,
    max_array_length: usize,
) -> Result<Value, AttributeError> {
    let path = Path::Root(field);
    match value {
        Value::String(text) => match parse_date(text) {
            Some(time) => Ok(time_value(time)),
            None => {
                check_string(&path, text)?;
                Ok(value.clone())
            }
        },
        Value::Array(items) => {
            let normalized = normalize_array_items(&path, items)?;
            if is_array_of_objects(&normalized) {
                return Ok(Value::Array(normalized));
            }
            Ok(Value::Array(unique_capped(normalized, max_array_length)))
        }
        Value::Object(_) => normalize_nested(&path, value, 1),
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(value.clone()),
    }
}

/// The stored items an array operation (`operations`, e.g. "`add`/`remove`") applies to:
/// none when the attribute is absent; an error when it holds something other than an array,
/// telling to set it to `kind` first.
pub(crate) fn stored_array(
    name: &str,
    current: Option<&Value>,
    operations: &str,
    kind: &str,
) -> Result<Vec<Value>, AttributeError> {
    match current {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(_) => Err(AttributeError::new(
            name,
            format!(
                "`{name}` is not an array, so {operations} cannot apply; set it to {kind} first"
            ),
        )),
    }
}

/// The elements of an array value (or of an `add`/`remove`), each normalised.
pub(crate) fn normalize_array_items(
    field: &Path<'_>,
    items: &[Value],
) -> Result<Vec<Value>, AttributeError> {
    items
        .iter()
        .enumerate()
        .map(|(index, item)| normalize_array_item(&field.index(index), item))
        .collect()
}

/// Whether an array value is an array of objects (every element an object that is not a
/// typed time): Braze keeps such an array as sent, with no cap on its length (only the
/// 100 KB size cap) and no de-duplication, since it enforces no unique identifier.
pub(crate) fn is_array_of_objects(items: &[Value]) -> bool {
    !items.is_empty()
        && items.iter().all(|item| {
            item.as_object()
                .is_some_and(|object| !object.contains_key(TIME_KEY))
        })
}

/// An object of an array of objects (an `$add` item or a `$new_object`): an object of
/// nested attributes, not a typed time.
pub(crate) fn normalize_object_item(
    field: &Path<'_>,
    item: &Value,
) -> Result<Value, AttributeError> {
    let normalized = match item {
        Value::Object(object) if !object.contains_key(TIME_KEY) => {
            normalize_nested(field, item, 2)?
        }
        _ => {
            return Err(AttributeError::new(
                field.to_string(),
                "must be an object of attributes (an item of an array of objects)",
            ));
        }
    };
    Ok(normalized)
}

/// An element of an array attribute: strings are kept as strings (no date detection).
fn normalize_array_item(field: &Path<'_>, item: &Value) -> Result<Value, AttributeError> {
    match item {
        Value::Null => Err(AttributeError::new(
            field.to_string(),
            "array elements must not be null",
        )),
        Value::String(text) => {
            check_string(field, text)?;
            Ok(item.clone())
        }
        Value::Object(_) => normalize_nested(field, item, 2),
        Value::Array(_) => Err(AttributeError::new(
            field.to_string(),
            "arrays of arrays are not supported; use an array of objects",
        )),
        Value::Bool(_) | Value::Number(_) => Ok(item.clone()),
    }
}

/// A value inside a nested object, `depth` containers below the attribute: keys are
/// checked, `{"$time": "…"}` becomes a typed time, other `$` keys are refused.
fn normalize_nested(
    field: &Path<'_>,
    value: &Value,
    depth: usize,
) -> Result<Value, AttributeError> {
    if (value.is_object() || value.is_array()) && depth > MAX_NESTING_DEPTH {
        return Err(AttributeError::new(
            field.to_string(),
            format!("nested objects and arrays are at most {MAX_NESTING_DEPTH} levels deep"),
        ));
    }
    match value {
        Value::Object(object) => {
            if let Some(time) = object.get(TIME_KEY) {
                return nested_time(field, object, time);
            }
            let mut normalized = Map::with_capacity(object.len());
            for (key, inner) in object {
                let inner_field = field.key(key);
                check_key(&inner_field, key)?;
                normalized.insert(
                    key.clone(),
                    normalize_nested(&inner_field, inner, depth + 1)?,
                );
            }
            Ok(Value::Object(normalized))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(index, item)| normalize_nested(&field.index(index), item, depth + 1))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Value::String(text) => {
            check_string(field, text)?;
            Ok(value.clone())
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(value.clone()),
    }
}

fn nested_time(
    field: &Path<'_>,
    object: &Map<String, Value>,
    time: &Value,
) -> Result<Value, AttributeError> {
    if object.len() != 1 {
        return Err(AttributeError::new(
            field.to_string(),
            "an object with `$time` must hold nothing else",
        ));
    }
    let time_field = || field.key(TIME_KEY).to_string();
    match time {
        Value::String(text) => parse_date(text).map(time_value).ok_or_else(|| {
            AttributeError::new(
                time_field(),
                format!("`{text}` is not a date in a supported format (for example 2024-05-01T12:30:00Z)"),
            )
        }),
        _ => Err(AttributeError::new(
            time_field(),
            "`$time` must be a date string",
        )),
    }
}

/// Removes duplicates (a repeated value keeps its last position, as Braze moves a re-added
/// element to the end) and keeps at most the last `max_length` elements; linear time.
pub(crate) fn unique_capped(items: Vec<Value>, max_length: usize) -> Vec<Value> {
    let state = RandomState::new();
    values(sets::unique_capped(keyed(items, &state), max_length))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn duplicates_collapse_to_their_last_position_and_the_cap_keeps_the_newest() {
        let items = vec![json!("a"), json!("b"), json!("a"), json!("c")];
        assert_eq!(
            unique_capped(items.clone(), 25),
            vec![json!("b"), json!("a"), json!("c")]
        );
        assert_eq!(unique_capped(items, 2), vec![json!("a"), json!("c")]);
    }

    #[test]
    fn nested_objects_accept_time_and_refuse_other_dollar_keys() {
        let value = json!({"plan": {"renews": {"$time": "2024-05-01"}, "seats": 3}});
        let normalized = normalize_top_level("account", &value, 25).expect("valid nested object");
        assert_eq!(
            normalized,
            json!({"plan": {"renews": {"$time": "2024-05-01T00:00:00.000Z"}, "seats": 3}})
        );
        let error = normalize_top_level("account", &json!({"$add": [1]}), 25).unwrap_err();
        assert_eq!(error.field, "account.$add");
        let error =
            normalize_top_level("account", &json!({"a": {"$time": "soon"}}), 25).unwrap_err();
        assert_eq!(error.field, "account.a.$time");
    }

    #[test]
    fn long_strings_are_refused_with_the_path() {
        let long = "x".repeat(256);
        let error = normalize_top_level("tags", &json!(["ok", long]), 25).unwrap_err();
        assert_eq!(error.field, "tags[1]");
        assert!(normalize_top_level("name", &json!("x".repeat(255)), 25).is_ok());
    }

    #[test]
    fn nesting_deeper_than_the_cap_is_refused_with_the_path() {
        let mut value = json!(1);
        for _ in 0..MAX_NESTING_DEPTH {
            value = json!({ "a": value });
        }
        assert!(normalize_top_level("deep", &value, 25).is_ok());
        let error = normalize_top_level("deep", &json!({ "a": value }), 25).unwrap_err();
        assert_eq!(
            error.field,
            format!("deep{}", ".a".repeat(MAX_NESTING_DEPTH))
        );
        assert!(error.message.contains("levels deep"), "{error}");
    }
}
