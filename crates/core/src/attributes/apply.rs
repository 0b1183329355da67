//! [`apply_attributes`]: one `/users/track` attributes object applied to a profile, all or nothing.

use std::collections::hash_map::RandomState;

use chrono::{DateTime, Utc};
use serde_json::{Map, Number, Value};

use super::keyed::{keyed, values};
use super::limits::{check_nested_size, check_object};
use super::merge::deep_merge;
use super::objects::{is_object_operation, object_array_operation};
use super::path::Path;
use super::sets::add_remove;
use super::standard::{StandardUpdate, validate_standard};
use super::value::{check_key, normalize_array_items, normalize_top_level, stored_array};
use super::{AttributeError, AttributeLimits, CustomAttributeChange, ProfileChanges};
use crate::profile::{Profile, is_standard_attribute};

/// Keys of an attributes object that identify the user or steer the request rather than
/// set an attribute; [`apply_attributes`] skips them.
pub const NON_ATTRIBUTE_KEYS: &[&str] = &[
    "external_id",
    "user_alias",
    "braze_id",
    "_update_existing_only",
    "_merge_objects",
    "push_token_import",
];

/// Applies an attributes object to `profile`. Every field is validated before anything
/// changes: on `Err` the profile is untouched. On success `updated_at` becomes `now`.
///
/// The work is linear in the size of `object` (plus the current values it reads): the
/// caps of [`limits`](super::limits) are checked first, and the new values are staged and
/// written only once all are valid, so the profile is never copied.
pub fn apply_attributes(
    profile: &mut Profile,
    object: &Map<String, Value>,
    limits: &AttributeLimits,
    now: DateTime<Utc>,
) -> Result<ProfileChanges, AttributeError> {
    check_object(object)?;
    let merge = merge_objects(object)?;
    let mut updates = Vec::with_capacity(object.len());
    let mut changes = ProfileChanges::default();
    for (name, value) in object {
        if NON_ATTRIBUTE_KEYS.contains(&name.as_str()) {
            continue;
        }
        if is_standard_attribute(name) {
            match validate_standard(name, value, profile.standard.get(name))? {
                StandardUpdate::Set(value) => updates.push(Update::Standard(name, Some(value))),
                StandardUpdate::Unset => updates.push(Update::Standard(name, None)),
                StandardUpdate::Ignore => {}
            }
            continue;
        }
        check_key(name, name)?;
        let current = profile.custom.get(name);
        let new_value = match custom_value(name, value, current, limits, merge)? {
            NewValue::Set(new_value) => Some(new_value),
            NewValue::Unset => None,
            NewValue::Keep => continue,
        };
        if let Some(new_value) = &new_value
            && current != Some(new_value)
        {
            changes.custom_changed.push(CustomAttributeChange {
                name: name.clone(),
                old: current.cloned(),
                new: new_value.clone(),
            });
        }
        updates.push(Update::Custom(name, new_value));
    }
    let had_email = profile.email().is_some();
    for update in updates {
        update.write(profile);
    }
    profile.updated_at = now;
    if !had_email {
        changes.email_added = profile.email().map(str::to_owned);
    }
    Ok(changes)
}

/// A validated new value (`None` unsets), written once the whole object is valid.
enum Update<'a> {
    Standard(&'a String, Option<Value>),
    Custom(&'a String, Option<Value>),
}

impl Update<'_> {
    fn write(self, profile: &mut Profile) {
        let (map, name, value) = match self {
            Update::Standard(name, value) => (&mut profile.standard, name, value),
            Update::Custom(name, value) => (&mut profile.custom, name, value),
        };
        match value {
            Some(value) => {
                map.insert(name.clone(), value);
            }
            None => {
                map.remove(name);
            }
        }
    }
}

/// The `_merge_objects` flag of an attributes object (default `false`).
fn merge_objects(object: &Map<String, Value>) -> Result<bool, AttributeError> {
    match object.get("_merge_objects") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(_) => Err(AttributeError::new(
            "_merge_objects",
            "must be true or false",
        )),
    }
}

/// What an attribute becomes.
enum NewValue {
    Set(Value),
    Unset,
    /// The update is dropped and the stored value kept (an operation that would make a
    /// nested value larger than [`MAX_NESTED_VALUE_BYTES`](super::MAX_NESTED_VALUE_BYTES)).
    Keep,
}

/// The new value of custom attribute `name`; `merge` is `_merge_objects`.
///
/// A value sent whole that is over the size cap is refused with an error; an operation on
/// the stored value (`$add`, `$update`, a merge) that would grow it past the cap is dropped
/// silently with the attribute unchanged, as Braze drops it.
fn custom_value(
    name: &str,
    value: &Value,
    current: Option<&Value>,
    limits: &AttributeLimits,
    merge: bool,
) -> Result<NewValue, AttributeError> {
    let (new_value, operation) = match value {
        Value::Null => return Ok(NewValue::Unset),
        Value::Object(object) if is_operation(object, &["inc"]) => {
            (increment(name, object.get("inc"), current)?, false)
        }
        Value::Object(object) if is_operation(object, &["add", "remove"]) => {
            (array_operation(name, object, current, limits)?, false)
        }
        Value::Object(object) if is_object_operation(object) => {
            (object_array_operation(name, object, current, merge)?, true)
        }
        Value::Object(_) if merge => {
            let sent = normalize_top_level(name, value, limits.max_array_length())?;
            let stored = current.cloned().unwrap_or(Value::Null);
            (deep_merge(stored, sent), current.is_some())
        }
        _ => (
            normalize_top_level(name, value, limits.max_array_length())?,
            false,
        ),
    };
    match check_nested_size(name, &new_value) {
        Ok(()) => Ok(NewValue::Set(new_value)),
        Err(_) if operation => Ok(NewValue::Keep),
        Err(error) => Err(error),
    }
}

fn is_operation(object: &Map<String, Value>, keys: &[&str]) -> bool {
    !object.is_empty() && object.keys().all(|key| keys.contains(&key.as_str()))
}

fn increment(
    name: &str,
    by: Option<&Value>,
    current: Option<&Value>,
) -> Result<Value, AttributeError> {
    let field = format!("{name}.inc");
    let Some(by) = by.and_then(Value::as_i64) else {
        return Err(AttributeError::new(
            field,
            "`inc` takes an integer, positive or negative",
        ));
    };
    let sum = match current {
        None => Some(Number::from(by)),
        Some(Value::Number(number)) => match number.as_i64() {
            Some(integer) => integer.checked_add(by).map(Number::from),
            None => number
                .as_f64()
                .and_then(|float| Number::from_f64(float + by as f64)),
        },
        Some(_) => {
            return Err(AttributeError::new(
                field,
                format!("`{name}` holds a value that is not a number, so it cannot be incremented"),
            ));
        }
    };
    sum.map(Value::Number)
        .ok_or_else(|| AttributeError::new(field, "the result is out of range"))
}

/// `{"add": [...], "remove": [...]}`: adds are applied first, then removes; linear time
/// (see [`add_remove`]).
fn array_operation(
    name: &str,
    operation: &Map<String, Value>,
    current: Option<&Value>,
    limits: &AttributeLimits,
) -> Result<Value, AttributeError> {
    let current = stored_array(name, current, "`add`/`remove`", "an array")?;
    let add = operand(name, operation, "add")?;
    let remove = operand(name, operation, "remove")?;
    let state = RandomState::new();
    let items = add_remove(
        keyed(current, &state),
        keyed(add, &state),
        keyed(remove, &state),
        limits.max_array_length(),
    );
    Ok(Value::Array(values(items)))
}

/// The normalised items of the `add` or `remove` of an operation; empty when absent.
fn operand(
    name: &str,
    operation: &Map<String, Value>,
    key: &str,
) -> Result<Vec<Value>, AttributeError> {
    match operation.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => normalize_array_items(&Path::Root(name).key(key), items),
        Some(_) => Err(AttributeError::new(
            format!("{name}.{key}"),
            "must be an array",
        )),
    }
}
