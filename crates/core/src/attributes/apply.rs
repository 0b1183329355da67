//! [`apply_attributes`]: one `/users/track` attributes object applied to a profile, all or nothing.

use chrono::{DateTime, Utc};
use serde_json::{Map, Number, Value};

use super::standard::{StandardUpdate, validate_standard};
use super::value::{check_key, normalize_array_item, normalize_top_level, unique_capped};
use super::{AttributeError, AttributeLimits, CustomAttributeChange, ProfileChanges};
use crate::profile::{Profile, is_standard_attribute};

/// Keys of an attributes object that identify the user or steer the request rather than
/// set an attribute; [`apply_attributes`] skips them.
pub const NON_ATTRIBUTE_KEYS: &[&str] = &[
    "external_id",
    "user_alias",
    "braze_id",
    "_update_existing_only",
    "push_token_import",
];

/// Applies an attributes object to `profile`. Every field is validated before anything
/// changes: on `Err` the profile is untouched. On success `updated_at` becomes `now`.
pub fn apply_attributes(
    profile: &mut Profile,
    object: &Map<String, Value>,
    limits: &AttributeLimits,
    now: DateTime<Utc>,
) -> Result<ProfileChanges, AttributeError> {
    let mut standard = profile.standard.clone();
    let mut custom = profile.custom.clone();
    let mut changes = ProfileChanges::default();
    for (name, value) in object {
        if NON_ATTRIBUTE_KEYS.contains(&name.as_str()) {
            continue;
        }
        if is_standard_attribute(name) {
            match validate_standard(name, value, standard.get(name))? {
                StandardUpdate::Set(value) => {
                    standard.insert(name.clone(), value);
                }
                StandardUpdate::Unset => {
                    standard.remove(name);
                }
                StandardUpdate::Ignore => {}
            }
            continue;
        }
        check_key(name, name)?;
        let current = custom.get(name);
        let new_value = custom_value(name, value, current, limits)?;
        match new_value {
            None => {
                custom.remove(name);
            }
            Some(new_value) => {
                if current != Some(&new_value) {
                    changes.custom_changed.push(CustomAttributeChange {
                        name: name.clone(),
                        old: current.cloned(),
                        new: new_value.clone(),
                    });
                }
                custom.insert(name.clone(), new_value);
            }
        }
    }
    let had_email = profile.email().is_some();
    profile.standard = standard;
    profile.custom = custom;
    profile.updated_at = now;
    if !had_email {
        changes.email_added = profile.email().map(str::to_owned);
    }
    Ok(changes)
}

/// The new value of custom attribute `name`; `None` unsets it.
fn custom_value(
    name: &str,
    value: &Value,
    current: Option<&Value>,
    limits: &AttributeLimits,
) -> Result<Option<Value>, AttributeError> {
    match value {
        Value::Null => Ok(None),
        Value::Object(object) if is_operation(object, &["inc"]) => {
            increment(name, object.get("inc"), current).map(Some)
        }
        Value::Object(object) if is_operation(object, &["add", "remove"]) => {
            array_operation(name, object, current, limits).map(Some)
        }
        _ => normalize_top_level(name, value, limits.max_array_length()).map(Some),
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

/// `{"add": [...], "remove": [...]}`: adds are applied first, then removes.
fn array_operation(
    name: &str,
    operation: &Map<String, Value>,
    current: Option<&Value>,
    limits: &AttributeLimits,
) -> Result<Value, AttributeError> {
    let mut items: Vec<Value> = match current {
        None => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => {
            return Err(AttributeError::new(
                name,
                format!(
                    "`{name}` is not an array, so `add`/`remove` cannot apply; set it to an array first"
                ),
            ));
        }
    };
    for key in ["add", "remove"] {
        let Some(operand) = operation.get(key) else {
            continue;
        };
        let Value::Array(operand) = operand else {
            return Err(AttributeError::new(
                format!("{name}.{key}"),
                "must be an array",
            ));
        };
        for (index, item) in operand.iter().enumerate() {
            let item = normalize_array_item(&format!("{name}.{key}[{index}]"), item)?;
            items.retain(|existing| *existing != item);
            if key == "add" {
                items.push(item);
            }
        }
    }
    Ok(Value::Array(unique_capped(
        items,
        limits.max_array_length(),
    )))
}
