//! Arrays of objects (reference §9): `{"$add": [...], "$remove": [...], "$update": [...]}`
//! under an attribute whose value is an array of objects.
//!
//! - `$add` appends objects (no de-duplication: Braze enforces no unique identifier);
//! - `$remove` takes `{"$identifier_key", "$identifier_value"}` criteria and removes every
//!   item matching one;
//! - `$update` takes criteria with a `$new_object`: every matching item is deep-merged with
//!   it under `"_merge_objects": true`, replaced by it otherwise; no item matching inserts
//!   nothing.
//!
//! Several operations under one key apply in the order `$remove`, `$update`, `$add` (Braze
//! leaves the combination unconfirmed; this order lets one request replace an item by
//! removing and re-adding it, and updates only items stored before the request). Every
//! operand is validated before anything applies.

use serde_json::{Map, Value};

use super::AttributeError;
use super::merge::deep_merge;
use super::path::Path;
use super::value::{check_key, normalize_object_item, stored_array};

/// The keys of an arrays-of-objects operation.
pub(crate) const OBJECT_OPERATIONS: &[&str] = &["$add", "$remove", "$update"];

const IDENTIFIER_KEY: &str = "$identifier_key";
const IDENTIFIER_VALUE: &str = "$identifier_value";
const NEW_OBJECT: &str = "$new_object";

/// Whether `object` is an arrays-of-objects operation (only `$add`, `$remove`, `$update`).
pub(crate) fn is_object_operation(object: &Map<String, Value>) -> bool {
    !object.is_empty()
        && object
            .keys()
            .all(|key| OBJECT_OPERATIONS.contains(&key.as_str()))
}

/// Which items a `$remove` or `$update` entry names.
struct Criterion {
    key: String,
    value: Value,
}

impl Criterion {
    fn matches(&self, item: &Value) -> bool {
        item.get(&self.key) == Some(&self.value)
    }
}

/// The new array of attribute `name` after `operation`; `merge` is `_merge_objects`.
pub(crate) fn object_array_operation(
    name: &str,
    operation: &Map<String, Value>,
    current: Option<&Value>,
    merge: bool,
) -> Result<Value, AttributeError> {
    let mut items = stored_array(
        name,
        current,
        "`$add`, `$remove` and `$update`",
        "an array of objects",
    )?;
    let root = Path::Root(name);
    let add = operand(&root, operation, "$add")?
        .iter()
        .enumerate()
        .map(|(index, item)| normalize_object_item(&root.key("$add").index(index), item))
        .collect::<Result<Vec<_>, _>>()?;
    let remove = operand(&root, operation, "$remove")?
        .iter()
        .enumerate()
        .map(|(index, entry)| criterion(&root.key("$remove").index(index), entry, false))
        .collect::<Result<Vec<_>, _>>()?;
    let update = operand(&root, operation, "$update")?
        .iter()
        .enumerate()
        .map(|(index, entry)| update_entry(&root.key("$update").index(index), entry))
        .collect::<Result<Vec<_>, _>>()?;

    items.retain(|item| !remove.iter().any(|criterion| criterion.matches(item)));
    for (criterion, new_object) in &update {
        for item in items.iter_mut().filter(|item| criterion.matches(item)) {
            *item = if merge {
                deep_merge(std::mem::take(item), new_object.clone())
            } else {
                new_object.clone()
            };
        }
    }
    items.extend(add);
    Ok(Value::Array(items))
}

/// The array under `key`; empty when absent.
fn operand<'a>(
    root: &Path<'_>,
    operation: &'a Map<String, Value>,
    key: &str,
) -> Result<&'a [Value], AttributeError> {
    match operation.get(key) {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items.as_slice()),
        Some(_) => Err(AttributeError::new(
            root.key(key).to_string(),
            "must be an array",
        )),
    }
}

/// `{"$identifier_key": "id", "$identifier_value": 4}` (plus `$new_object` in an update).
fn criterion(field: &Path<'_>, entry: &Value, update: bool) -> Result<Criterion, AttributeError> {
    let allowed: &[&str] = if update {
        &[IDENTIFIER_KEY, IDENTIFIER_VALUE, NEW_OBJECT]
    } else {
        &[IDENTIFIER_KEY, IDENTIFIER_VALUE]
    };
    let Some(object) = entry.as_object() else {
        return Err(AttributeError::new(
            field.to_string(),
            format!("must be an object {{\"{IDENTIFIER_KEY}\": ..., \"{IDENTIFIER_VALUE}\": ...}}"),
        ));
    };
    if let Some(unknown) = object.keys().find(|key| !allowed.contains(&key.as_str())) {
        return Err(AttributeError::new(
            field.key(unknown).to_string(),
            format!("is not supported here; use {}", allowed.join(", ")),
        ));
    }
    let key = match object.get(IDENTIFIER_KEY) {
        Some(Value::String(key)) => {
            check_key(&field.key(IDENTIFIER_KEY), key)?;
            key.clone()
        }
        _ => {
            return Err(AttributeError::new(
                field.key(IDENTIFIER_KEY).to_string(),
                "is required and must be the name of a key of the array's objects",
            ));
        }
    };
    let value = match object.get(IDENTIFIER_VALUE) {
        None | Some(Value::Null) => {
            return Err(AttributeError::new(
                field.key(IDENTIFIER_VALUE).to_string(),
                "is required and must not be null",
            ));
        }
        Some(value) => value.clone(),
    };
    Ok(Criterion { key, value })
}

fn update_entry(field: &Path<'_>, entry: &Value) -> Result<(Criterion, Value), AttributeError> {
    let criterion = criterion(field, entry, true)?;
    let new_field = field.key(NEW_OBJECT);
    let new_object = match entry.get(NEW_OBJECT) {
        Some(value) => normalize_object_item(&new_field, value)?,
        None => {
            return Err(AttributeError::new(
                new_field.to_string(),
                "is required: the object to merge into (or put in place of) the matching items",
            ));
        }
    };
    Ok((criterion, new_object))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(current: Value, operation: Value, merge: bool) -> Result<Value, AttributeError> {
        let operation = operation.as_object().cloned().unwrap_or_default();
        object_array_operation("pets", &operation, Some(&current), merge)
    }

    #[test]
    fn add_remove_and_update_by_identifier() {
        let pets = json!([{"id": 1, "type": "dog", "name": "Gus"},
                          {"id": 2, "type": "dog", "name": "Rex"},
                          {"id": 4, "type": "fish", "breed": "guppy", "name": "Nemo"}]);
        let removed = run(
            pets.clone(),
            json!({"$remove": [{"$identifier_key": "type", "$identifier_value": "dog"}]}),
            false,
        );
        assert_eq!(
            removed,
            Ok(json!([{"id": 4, "type": "fish", "breed": "guppy", "name": "Nemo"}]))
        );
        let update = json!({"$update": [{"$identifier_key": "id", "$identifier_value": 4,
                                         "$new_object": {"breed": "goldfish"}}]});
        let merged = run(pets.clone(), update.clone(), true).expect("valid");
        assert_eq!(
            merged[2],
            json!({"id": 4, "type": "fish", "breed": "goldfish", "name": "Nemo"})
        );
        let replaced = run(pets.clone(), update, false).expect("valid");
        assert_eq!(replaced[2], json!({"breed": "goldfish"}));
        let added = run(
            pets,
            json!({"$add": [{"id": 5, "born": {"$time": "2024-05-01"}}]}),
            false,
        )
        .expect("valid");
        assert_eq!(
            added[3],
            json!({"id": 5, "born": {"$time": "2024-05-01T00:00:00.000Z"}})
        );
    }

    #[test]
    fn no_match_inserts_nothing_and_bad_operands_name_their_field() {
        let pets = json!([{"id": 1}]);
        let update = json!({"$update": [{"$identifier_key": "id", "$identifier_value": 9,
                                         "$new_object": {"x": 1}}]});
        assert_eq!(run(pets.clone(), update, true), Ok(pets.clone()));
        for (operation, field) in [
            (json!({"$add": [1]}), "pets.$add[0]"),
            (json!({"$add": [{"$time": "2024-05-01"}]}), "pets.$add[0]"),
            (
                json!({"$remove": [{"$identifier_key": "id"}]}),
                "pets.$remove[0].$identifier_value",
            ),
            (
                json!({"$remove": [{"$identifier_value": 1}]}),
                "pets.$remove[0].$identifier_key",
            ),
            (
                json!({"$update": [{"$identifier_key": "id", "$identifier_value": 1}]}),
                "pets.$update[0].$new_object",
            ),
            (
                json!({"$update": [{"$identifier_key": "id", "$identifier_value": 1, "$new_object": {"a": {"$time": "soon"}}}]}),
                "pets.$update[0].$new_object.a.$time",
            ),
            (
                json!({"$remove": {"$identifier_key": "id"}}),
                "pets.$remove",
            ),
        ] {
            let error = run(pets.clone(), operation.clone(), false).unwrap_err();
            assert_eq!(error.field, field, "{operation}: {error}");
        }
        let error = run(json!("text"), json!({"$add": [{"a": 1}]}), false).unwrap_err();
        assert_eq!(error.field, "pets");
    }
}
