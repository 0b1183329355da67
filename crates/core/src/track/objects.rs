//! Event and purchase objects of `/users/track`: required fields, property rules, size limits.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{UserIdentifier, identifier_of, update_existing_only};
use crate::attributes::{AttributeError, MAX_STRING_LENGTH, check_no_nul};
use crate::time::parse_date;

/// Properties serialise to at most this many bytes. Braze gives these figures for
/// properties holding arrays or objects and none for flat ones; leadwire applies them to
/// all, which refuses only generated payloads and keeps one event from holding the writer.
const MAX_EVENT_PROPERTIES_BYTES: usize = 100 * 1024;
const MAX_PURCHASE_PROPERTIES_BYTES: usize = 50 * 1024;
const RESERVED_PROPERTY_KEYS: &[&str] = &["time", "event_name"];

/// A custom event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventObject {
    pub user: UserIdentifier,
    pub name: String,
    /// When it happened; a future time is replaced by the request time.
    pub time: DateTime<Utc>,
    pub app_id: Option<String>,
    pub properties: Map<String, Value>,
    /// `_update_existing_only` (see [`update_existing_only`]): an unknown user is skipped.
    pub update_existing_only: bool,
}

/// A purchase; `quantity` N means N purchases of `price` each.
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseObject {
    pub user: UserIdentifier,
    pub product_id: String,
    pub currency: String,
    pub price: f64,
    pub quantity: u32,
    pub time: DateTime<Utc>,
    pub app_id: Option<String>,
    pub properties: Map<String, Value>,
    /// `_update_existing_only` (see [`update_existing_only`]): an unknown user is skipped.
    pub update_existing_only: bool,
}

fn as_object(value: &Value) -> Result<&Map<String, Value>, AttributeError> {
    value
        .as_object()
        .ok_or_else(|| AttributeError::new("", "each item must be a JSON object"))
}

fn required_string(object: &Map<String, Value>, field: &str) -> Result<String, AttributeError> {
    match object.get(field) {
        Some(Value::String(text)) if text.is_empty() => {
            Err(AttributeError::new(field, "must not be empty"))
        }
        Some(Value::String(text)) if text.chars().count() > MAX_STRING_LENGTH => Err(
            AttributeError::new(field, format!("is at most {MAX_STRING_LENGTH} characters")),
        ),
        Some(Value::String(text)) => check_no_nul(&field, text).map(|()| text.clone()),
        Some(_) => Err(AttributeError::new(field, "must be a string")),
        None => Err(AttributeError::new(field, "is required")),
    }
}

fn optional_string(
    object: &Map<String, Value>,
    field: &str,
) -> Result<Option<String>, AttributeError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => required_string(object, field).map(Some),
    }
}

fn time(object: &Map<String, Value>, now: DateTime<Utc>) -> Result<DateTime<Utc>, AttributeError> {
    let text = required_string(object, "time")?;
    let time = parse_date(&text)
        .ok_or_else(|| AttributeError::new("time", format!("`{text}` is not an ISO 8601 time")))?;
    Ok(time.min(now))
}

fn properties(
    object: &Map<String, Value>,
    max_bytes: usize,
) -> Result<Map<String, Value>, AttributeError> {
    let properties = match object.get("properties") {
        None | Some(Value::Null) => return Ok(Map::new()),
        Some(Value::Object(properties)) => properties,
        Some(_) => return Err(AttributeError::new("properties", "must be an object")),
    };
    for (key, value) in properties {
        let field = format!("properties.{key}");
        if key.is_empty() || key.chars().count() > MAX_STRING_LENGTH {
            return Err(AttributeError::new(
                field,
                format!("property names are 1 to {MAX_STRING_LENGTH} characters"),
            ));
        }
        if key.starts_with('$') {
            return Err(AttributeError::new(
                field,
                "property names must not start with `$`",
            ));
        }
        if RESERVED_PROPERTY_KEYS.contains(&key.as_str()) {
            return Err(AttributeError::new(
                field,
                "`time` and `event_name` are reserved",
            ));
        }
        if let Value::String(text) = value
            && text.chars().count() > MAX_STRING_LENGTH
        {
            return Err(AttributeError::new(
                field,
                format!("string values are at most {MAX_STRING_LENGTH} characters"),
            ));
        }
    }
    let size = serde_json::to_vec(properties)
        .map(|bytes| bytes.len())
        .unwrap_or(usize::MAX);
    if size > max_bytes {
        return Err(AttributeError::new(
            "properties",
            format!("properties are at most {max_bytes} bytes as JSON (got {size})"),
        ));
    }
    Ok(properties.clone())
}

/// Parses one events object; `now` caps future times.
pub fn parse_event(value: &Value, now: DateTime<Utc>) -> Result<EventObject, AttributeError> {
    let object = as_object(value)?;
    let user = identifier_of(object)?;
    Ok(EventObject {
        update_existing_only: update_existing_only(object, &user)?,
        user,
        name: required_string(object, "name")?,
        time: time(object, now)?,
        app_id: optional_string(object, "app_id")?,
        properties: properties(object, MAX_EVENT_PROPERTIES_BYTES)?,
    })
}

/// Parses one purchases object; `now` caps future times.
pub fn parse_purchase(value: &Value, now: DateTime<Utc>) -> Result<PurchaseObject, AttributeError> {
    let object = as_object(value)?;
    let user = identifier_of(object)?;
    let existing_only = update_existing_only(object, &user)?;
    let product_id = required_string(object, "product_id")?;
    let currency = required_string(object, "currency")?;
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(AttributeError::new(
            "currency",
            format!("`{currency}` is not an ISO 4217 code such as USD"),
        ));
    }
    let price = match object.get("price") {
        Some(Value::Number(number)) => number.as_f64().unwrap_or(f64::NAN),
        Some(_) => return Err(AttributeError::new("price", "must be a number")),
        None => return Err(AttributeError::new("price", "is required")),
    };
    if !price.is_finite() {
        return Err(AttributeError::new("price", "must be a finite number"));
    }
    let quantity = match object.get("quantity") {
        None | Some(Value::Null) => 1,
        Some(value) => match value.as_u64() {
            Some(quantity @ 1..=100) => quantity as u32,
            _ => {
                return Err(AttributeError::new(
                    "quantity",
                    "must be a whole number from 1 to 100",
                ));
            }
        },
    };
    Ok(PurchaseObject {
        user,
        product_id,
        currency: currency.to_ascii_uppercase(),
        price,
        quantity,
        time: time(object, now)?,
        app_id: optional_string(object, "app_id")?,
        properties: properties(object, MAX_PURCHASE_PROPERTIES_BYTES)?,
        update_existing_only: existing_only,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_parse_and_future_times_become_now() {
        let now = Utc::now();
        let event = parse_event(
            &json!({"external_id": "u", "name": "signup", "time": "2999-01-01T00:00:00Z",
                    "properties": {"plan": "pro", "seats": 3}}),
            now,
        )
        .expect("valid event");
        assert_eq!(event.time, now);
        assert_eq!(event.properties.get("seats"), Some(&json!(3)));
    }

    #[test]
    fn event_errors_name_the_field() {
        let now = Utc::now();
        for (value, field) in [
            (json!({"external_id": "u", "time": "2024-01-01"}), "name"),
            (json!({"external_id": "u", "name": "x"}), "time"),
            (
                json!({"external_id": "u", "name": "x", "time": "yesterday"}),
                "time",
            ),
            (
                json!({"external_id": "u", "name": "x", "time": "2024-01-01", "properties": {"$a": 1}}),
                "properties.$a",
            ),
            (
                json!({"external_id": "u", "name": "x", "time": "2024-01-01", "properties": {"time": 1}}),
                "properties.time",
            ),
            (json!({"name": "x", "time": "2024-01-01"}), "external_id"),
            (
                json!({"external_id": "u", "name": "x\u{0}", "time": "2024-01-01"}),
                "name",
            ),
            (
                json!({"external_id": "u", "name": "x", "time": "2024-01-01",
                    "properties": {"big": "y".repeat(256)}}),
                "properties.big",
            ),
            (
                json!({"external_id": "u", "name": "x", "time": "2024-01-01",
                    "properties": {"list": vec!["z".repeat(200); 600]}}),
                "properties",
            ),
        ] {
            let error = parse_event(&value, now).unwrap_err();
            assert_eq!(error.field, field, "{value}: {error}");
        }
    }

    #[test]
    fn purchases_validate_currency_price_and_quantity() {
        let now = Utc::now();
        let base = json!({"external_id": "u", "product_id": "p", "currency": "usd", "price": 9.5,
                          "time": "2024-01-01T00:00:00Z"});
        let purchase = parse_purchase(&base, now).expect("valid purchase");
        assert_eq!(purchase.currency, "USD");
        assert_eq!(purchase.quantity, 1);
        for (key, value, field) in [
            ("currency", json!("dollars"), "currency"),
            ("price", json!("9"), "price"),
            ("quantity", json!(101), "quantity"),
            ("quantity", json!(0), "quantity"),
            ("product_id", json!("p".repeat(256)), "product_id"),
            ("product_id", json!("p\u{0}"), "product_id"),
            ("app_id", json!("a\u{0}"), "app_id"),
        ] {
            let mut object = base.clone();
            object[key] = value;
            assert_eq!(parse_purchase(&object, now).unwrap_err().field, field);
        }
    }
}
