//! Validation of Braze's standard profile attributes (reference §10).

use std::str::FromStr;

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::AttributeError;
use super::sets::replace_by_key;
use super::value::{check_no_nul, check_string};
use crate::time::{parse_date, time_value};

/// What a standard attribute update does to the profile.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StandardUpdate {
    Set(Value),
    Unset,
    /// The value is dropped without an error (Braze ignores an invalid `time_zone`).
    Ignore,
}

/// Validates the new value of standard attribute `name`.
pub(crate) fn validate_standard(
    name: &str,
    value: &Value,
    current: Option<&Value>,
) -> Result<StandardUpdate, AttributeError> {
    if value.is_null() {
        return Ok(StandardUpdate::Unset);
    }
    match name {
        "first_name" | "last_name" | "home_city" | "language" => {
            string(name, value).map(|text| StandardUpdate::Set(Value::String(text.to_owned())))
        }
        "phone" => {
            let text = string(name, value)?;
            check_no_nul(&name, text)?;
            Ok(StandardUpdate::Set(Value::String(text.to_owned())))
        }
        "email" => email(value).map(StandardUpdate::Set),
        "dob" => dob(value).map(StandardUpdate::Set),
        "gender" => gender(value).map(StandardUpdate::Set),
        "country" => Ok(country(string(name, value)?)),
        "time_zone" => {
            let text = string(name, value)?;
            Ok(match chrono_tz::Tz::from_str(text) {
                Ok(_) => StandardUpdate::Set(Value::String(text.to_owned())),
                Err(_) => StandardUpdate::Ignore,
            })
        }
        "current_location" => location(value).map(StandardUpdate::Set),
        "date_of_first_session" | "date_of_last_session" | "marked_email_as_spam_at" => {
            let text = string(name, value)?;
            parse_date(text)
                .map(|time| StandardUpdate::Set(time_value(time)))
                .ok_or_else(|| not_a_date(name, text))
        }
        "email_subscribe" | "push_subscribe" => {
            one_of(name, value, &["opted_in", "subscribed", "unsubscribed"])
                .map(StandardUpdate::Set)
        }
        "email_open_tracking_disabled" | "email_click_tracking_disabled" => match value {
            Value::Bool(_) => Ok(StandardUpdate::Set(value.clone())),
            _ => Err(AttributeError::new(name, "must be true or false")),
        },
        "subscription_groups" => subscription_groups(value, current).map(StandardUpdate::Set),
        "push_tokens" => match value {
            Value::Array(_) => Ok(StandardUpdate::Set(value.clone())),
            _ => Err(AttributeError::new(
                name,
                "must be an array of {\"app_id\", \"token\"} objects",
            )),
        },
        "facebook" | "twitter" => match value {
            Value::Object(_) => Ok(StandardUpdate::Set(value.clone())),
            _ => Err(AttributeError::new(name, "must be an object")),
        },
        _ => Err(AttributeError::new(name, "is not a standard attribute")),
    }
}

fn string<'v>(field: &str, value: &'v Value) -> Result<&'v str, AttributeError> {
    match value {
        Value::String(text) => {
            check_string(&field, text)?;
            Ok(text)
        }
        _ => Err(AttributeError::new(field, "must be a string")),
    }
}

fn not_a_date(field: &str, text: &str) -> AttributeError {
    AttributeError::new(
        field,
        format!("`{text}` is not a date in a supported format (for example 2024-05-01T12:30:00Z)"),
    )
}

fn email(value: &Value) -> Result<Value, AttributeError> {
    email_address(string("email", value)?).map(Value::String)
}

/// The trimmed address when `text` is a valid email, or the error naming the `email` field.
pub fn email_address(text: &str) -> Result<String, AttributeError> {
    let text = text.trim();
    if is_valid_email(text) {
        Ok(text.to_owned())
    } else {
        Err(AttributeError::new(
            "email",
            format!("`{}` is not a valid email address", text.escape_debug()),
        ))
    }
}

/// Whether `text` (already trimmed) looks like an email address: `local@domain.tld`, no
/// whitespace and no control characters (RFC 5322 allows neither outside quoting, and a
/// NUL cannot be stored in a PostgreSQL text column).
fn is_valid_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !text.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

fn dob(value: &Value) -> Result<Value, AttributeError> {
    let text = string("dob", value)?;
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|date| Value::String(date.format("%Y-%m-%d").to_string()))
        .map_err(|_| {
            AttributeError::new("dob", format!("`{text}` is not a date in YYYY-MM-DD form"))
        })
}

fn gender(value: &Value) -> Result<Value, AttributeError> {
    let text = string("gender", value)?;
    let code = match text.to_ascii_lowercase().as_str() {
        "m" | "male" => "M",
        "f" | "female" => "F",
        "o" | "other" => "O",
        "n" | "not applicable" => "N",
        "p" | "prefer not to say" => "P",
        _ => {
            return Err(AttributeError::new(
                "gender",
                format!("`{text}` is not one of M, F, O, N, P"),
            ));
        }
    };
    Ok(Value::String(code.into()))
}

/// ISO 3166-1 alpha-2; anything else becomes no country, as Braze stores NULL.
fn country(text: &str) -> StandardUpdate {
    if text.len() == 2 && text.chars().all(|c| c.is_ascii_alphabetic()) {
        StandardUpdate::Set(Value::String(text.to_ascii_uppercase()))
    } else {
        StandardUpdate::Unset
    }
}

fn location(value: &Value) -> Result<Value, AttributeError> {
    let coordinate = |key: &str, limit: f64| -> Result<f64, AttributeError> {
        let field = format!("current_location.{key}");
        match value.get(key).and_then(Value::as_f64) {
            Some(number) if number.abs() <= limit => Ok(number),
            Some(_) => Err(AttributeError::new(
                field,
                format!("must be between -{limit} and {limit}"),
            )),
            None => Err(AttributeError::new(
                field,
                "is required and must be a number",
            )),
        }
    };
    if !value.is_object() {
        return Err(AttributeError::new(
            "current_location",
            "must be an object {\"longitude\": number, \"latitude\": number}",
        ));
    }
    let longitude = coordinate("longitude", 180.0)?;
    let latitude = coordinate("latitude", 90.0)?;
    Ok(serde_json::json!({"longitude": longitude, "latitude": latitude}))
}

fn one_of(field: &str, value: &Value, allowed: &[&str]) -> Result<Value, AttributeError> {
    let text = string(field, value)?;
    if allowed.contains(&text) {
        Ok(value.clone())
    } else {
        Err(AttributeError::new(
            field,
            format!("`{text}` is not one of {}", allowed.join(", ")),
        ))
    }
}

/// Merges `[{"subscription_group_id", "subscription_state"}]` into the stored list by id.
fn subscription_groups(value: &Value, current: Option<&Value>) -> Result<Value, AttributeError> {
    let Value::Array(updates) = value else {
        return Err(AttributeError::new(
            "subscription_groups",
            "must be an array of {\"subscription_group_id\", \"subscription_state\"} objects",
        ));
    };
    let existing: Vec<Value> = match current {
        Some(Value::Array(existing)) => existing.clone(),
        _ => Vec::new(),
    };
    let mut groups = Vec::with_capacity(updates.len());
    for (index, update) in updates.iter().enumerate() {
        let field = format!("subscription_groups[{index}]");
        let id = match update.get("subscription_group_id") {
            Some(Value::String(id)) if !id.is_empty() => id,
            _ => {
                return Err(AttributeError::new(
                    &field,
                    "needs a subscription_group_id string",
                ));
            }
        };
        let state = one_of(
            &format!("{field}.subscription_state"),
            update.get("subscription_state").unwrap_or(&Value::Null),
            &["subscribed", "unsubscribed"],
        )?;
        let mut group = Map::new();
        group.insert("subscription_group_id".into(), Value::String(id.clone()));
        group.insert("subscription_state".into(), state);
        groups.push((id.clone(), Value::Object(group)));
    }
    let group_id = |group: &Value| {
        group
            .get("subscription_group_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let merged = replace_by_key(existing, group_id, groups);
    Ok(Value::Array(merged))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(name: &str, value: Value) -> Result<StandardUpdate, AttributeError> {
        validate_standard(name, &value, None)
    }

    #[test]
    fn standard_values_are_validated_and_normalised() {
        assert_eq!(
            set("gender", json!("female")),
            Ok(StandardUpdate::Set(json!("F")))
        );
        assert_eq!(
            set("country", json!("us")),
            Ok(StandardUpdate::Set(json!("US")))
        );
        assert_eq!(
            set("country", json!("United States")),
            Ok(StandardUpdate::Unset)
        );
        assert_eq!(
            set("time_zone", json!("Europe/Paris")),
            Ok(StandardUpdate::Set(json!("Europe/Paris")))
        );
        assert_eq!(
            set("time_zone", json!("Mars/Base")),
            Ok(StandardUpdate::Ignore)
        );
        assert_eq!(
            set("email", json!(" ada@example.com ")),
            Ok(StandardUpdate::Set(json!("ada@example.com")))
        );
        assert_eq!(set("first_name", Value::Null), Ok(StandardUpdate::Unset));
        assert_eq!(
            set("date_of_last_session", json!("2024-05-01")),
            Ok(StandardUpdate::Set(
                json!({"$time": "2024-05-01T00:00:00.000Z"})
            ))
        );
    }

    #[test]
    fn invalid_standard_values_name_the_field() {
        for (name, value, field) in [
            ("email", json!("not-an-email"), "email"),
            ("email", json!(3), "email"),
            ("dob", json!("01/02/1990"), "dob"),
            ("gender", json!("X"), "gender"),
            ("email_subscribe", json!("yes"), "email_subscribe"),
            (
                "current_location",
                json!({"longitude": 200, "latitude": 0}),
                "current_location.longitude",
            ),
            ("first_name", json!("x".repeat(256)), "first_name"),
            ("phone", json!("+1\u{0}"), "phone"),
            (
                "subscription_groups",
                json!([{"subscription_group_id": "g"}]),
                "subscription_groups[0].subscription_state",
            ),
        ] {
            let error = set(name, value).unwrap_err();
            assert_eq!(error.field, field, "{name}: {error}");
        }
    }

    #[test]
    fn subscription_groups_merge_by_id() {
        let current = json!([{"subscription_group_id": "a", "subscription_state": "subscribed"}]);
        let update = json!([{"subscription_group_id": "a", "subscription_state": "unsubscribed"},
                            {"subscription_group_id": "b", "subscription_state": "subscribed"}]);
        let merged =
            validate_standard("subscription_groups", &update, Some(&current)).expect("valid");
        assert_eq!(merged, StandardUpdate::Set(update));
    }
}
