//! Validation of Lead writes with Salesforce's exact errors: unknown and read-only fields, JSON type errors, required fields, lengths, emails, restricted picklists and reference ids.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use http::StatusCode;
use serde_json::{Map, Value};

use super::body::value_position;
use super::record::format_datetime;
use super::store::LeadRecord;
use leadwire_salesforce::errors::{ApiError, ApiErrorItem};
use leadwire_salesforce::fields::{FieldDef, FieldType, LeadCatalog};
use leadwire_salesforce::ids::RecordId;

/// Whether a write creates or updates a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    Create,
    Update,
}

/// Field changes checked against the catalogue: (catalogue index, normalised value).
pub type Changes = Vec<(usize, Value)>;

/// Checks a JSON object for a create or update and returns the normalised changes.
pub fn prepare_object(
    catalog: &LeadCatalog,
    object: &Map<String, Value>,
    raw: &[u8],
    mode: WriteMode,
) -> Result<Changes, ApiError> {
    let mut resolved = Vec::with_capacity(object.len());
    for (key, value) in object {
        if key == "attributes" {
            continue;
        }
        let Some(index) = catalog.index_of(key) else {
            return Err(unknown_field(key));
        };
        resolved.push((key.as_str(), index, value));
    }
    let mut read_only = Vec::new();
    let mut changes = Vec::with_capacity(resolved.len());
    for (key, index, value) in resolved {
        let field = catalog.at(index);
        if field.name == "Id" {
            return Err(ApiError::bad_request(
                "INVALID_FIELD",
                "The Id field should not be specified in the sobject data.",
            ));
        }
        let normalised =
            coerce(field, value).map_err(|token| type_error(field, raw, key, &token))?;
        let allowed = match mode {
            WriteMode::Create => field.createable,
            WriteMode::Update => field.updateable,
        };
        if !allowed {
            read_only.push(field.name.clone());
            continue;
        }
        changes.push((index, normalised));
    }
    if !read_only.is_empty() {
        return Err(ApiError::one(
            StatusCode::BAD_REQUEST,
            ApiErrorItem::with_fields(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                format!(
                    "Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
                    read_only.join(", ")
                ),
                read_only,
            ),
        ));
    }
    let value_errors: Vec<ApiErrorItem> = changes
        .iter()
        .filter_map(|(index, value)| check_value(catalog.at(*index), value))
        .collect();
    if !value_errors.is_empty() {
        return Err(ApiError {
            status: StatusCode::BAD_REQUEST,
            errors: value_errors,
        });
    }
    Ok(changes)
}

/// The checks made while a request body is read, before any record is written: every key
/// names a Lead field and every value reads as its field's type. sObject Collections run them
/// on every record first, so one unreadable record fails the whole request with 400.
pub fn check_readable(
    catalog: &LeadCatalog,
    object: &Map<String, Value>,
    raw: &[u8],
) -> Result<(), ApiError> {
    for (key, value) in object {
        if key == "attributes" {
            continue;
        }
        let Some(index) = catalog.index_of(key) else {
            return Err(unknown_field(key));
        };
        let field = catalog.at(index);
        coerce(field, value).map_err(|token| type_error(field, raw, key, &token))?;
    }
    Ok(())
}

fn unknown_field(key: &str) -> ApiError {
    ApiError::bad_request(
        "INVALID_FIELD",
        format!("No such column '{key}' on sobject of type Lead"),
    )
}

fn type_error(field: &FieldDef, raw: &[u8], key: &str, token: &str) -> ApiError {
    let (line, column) = value_position(raw, key);
    ApiError::json_parser(format!(
        "Cannot deserialize instance of {} from {token} or request may be missing a required field at [line:{line}, column:{column}]",
        field.field_type.parser_name()
    ))
}

/// REQUIRED_FIELD_MISSING for required fields the record lacks after a write: absent, null,
/// or text that is blank (see [`is_blank`]).
pub fn check_required(catalog: &LeadCatalog, record: &LeadRecord) -> Result<(), ApiError> {
    let missing: Vec<String> = catalog
        .fields()
        .iter()
        .enumerate()
        .filter(|(index, field)| field.required() && record.get(*index).is_none_or(is_blank))
        .map(|(_, field)| field.name.clone())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ApiError::one(
        StatusCode::BAD_REQUEST,
        ApiErrorItem::with_fields(
            "REQUIRED_FIELD_MISSING",
            format!("Required fields are missing: [{}]", missing.join(", ")),
            missing,
        ),
    ))
}

/// Whether a value counts as no value for a required field: null, or a string that is empty
/// once trimmed. Salesforce saves `""` as null and trims text on save the way Java's
/// `String.trim` does (characters up to U+0020), so a blank `LastName` is a missing one; a
/// no-break space is not trimmed.
fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.trim_matches(|c: char| c <= ' ').is_empty(),
        _ => false,
    }
}

/// Normalises a JSON value for a field, or names the JSON token that cannot be read as its type.
fn coerce(field: &FieldDef, value: &Value) -> Result<Value, String> {
    let describe = |value: &Value| match value {
        Value::Object(_) => "START_OBJECT value {".to_owned(),
        Value::Array(_) => "START_ARRAY value [".to_owned(),
        Value::String(s) => format!("VALUE_STRING value {s}"),
        Value::Bool(b) => format!("VALUE_{}", if *b { "TRUE" } else { "FALSE" }),
        Value::Number(n) if n.is_f64() => format!("VALUE_NUMBER_FLOAT value {n}"),
        Value::Number(n) => format!("VALUE_NUMBER_INT value {n}"),
        Value::Null => "VALUE_NULL".to_owned(),
    };
    if value.is_null() {
        return Ok(Value::Null);
    }
    let bad = || describe(value);
    match field.field_type {
        FieldType::Boolean => match value {
            Value::Bool(_) => Ok(value.clone()),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => Err(bad()),
        },
        FieldType::Int => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(value.clone()),
            Value::String(s) => s.trim().parse::<i64>().map(Value::from).map_err(|_| bad()),
            _ => Err(bad()),
        },
        FieldType::Double | FieldType::Currency => match value {
            Value::Number(_) => Ok(value.clone()),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(bad),
            _ => Err(bad()),
        },
        FieldType::Date => match value {
            Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| Value::String(d.to_string()))
                .map_err(|_| bad()),
            _ => Err(bad()),
        },
        FieldType::Datetime => match value {
            Value::String(s) => parse_datetime(s)
                .map(|t| Value::String(format_datetime(&t)))
                .ok_or_else(bad),
            _ => Err(bad()),
        },
        _ => match value {
            Value::String(_) => Ok(value.clone()),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(bad()),
        },
    }
}

/// Reads the datetime forms clients send (`Z`, `+00:00`, `+0000`, with or without millis).
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(time) = DateTime::parse_from_str(text, format) {
            return Some(time.with_timezone(&Utc));
        }
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// Length, email, restricted-picklist and reference checks on one normalised value.
fn check_value(field: &FieldDef, value: &Value) -> Option<ApiErrorItem> {
    let text = value.as_str()?;
    let fields = || vec![field.name.clone()];
    if field.field_type.is_text()
        && field.length > 0
        && text.chars().count() > field.length as usize
    {
        return Some(ApiErrorItem::with_fields(
            "STRING_TOO_LONG",
            format!(
                "{}: data value too large: {text} (max length={})",
                field.label, field.length
            ),
            fields(),
        ));
    }
    match field.field_type {
        FieldType::Email if !is_email(text) => Some(ApiErrorItem::with_fields(
            "INVALID_EMAIL_ADDRESS",
            format!("{}: invalid email address: {text}", field.label),
            fields(),
        )),
        FieldType::Picklist
            if field.restricted_picklist && !field.picklist_values.iter().any(|v| v == text) =>
        {
            Some(ApiErrorItem::with_fields(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                format!(
                    "{}: bad value for restricted picklist field: {text}",
                    field.label
                ),
                fields(),
            ))
        }
        FieldType::Reference if !reference_fits(field, text) => Some(ApiErrorItem::with_fields(
            "MALFORMED_ID",
            format!("{}: id value of incorrect type: {text}", field.label),
            fields(),
        )),
        _ => None,
    }
}

fn reference_fits(field: &FieldDef, text: &str) -> bool {
    let Some(id) = RecordId::parse(text) else {
        return false;
    };
    let prefixes: Vec<&str> = field
        .reference_to
        .iter()
        .map(|target| match target.as_str() {
            "User" => "005",
            "Group" => "00G",
            "Lead" => "00Q",
            "Account" => "001",
            "Contact" => "003",
            "Opportunity" => "006",
            "Individual" => "0PK",
            _ => "",
        })
        .collect();
    prefixes.contains(&id.key_prefix())
}

/// A practical email check: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !text.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| !label.is_empty())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn emails() {
        for good in ["a@b.co", "first.last+tag@example.co.uk"] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "not an email",
            "a@b",
            "@b.co",
            "a@@b.co",
            "a@b..co",
            "a b@c.de",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn blank_values() {
        for blank in [json!(null), json!(""), json!("   "), json!("\t\r\n")] {
            assert!(is_blank(&blank), "{blank}");
        }
        for value in [
            json!("A"),
            json!(" A "),
            json!("\u{a0}"),
            json!(false),
            json!(0),
        ] {
            assert!(!is_blank(&value), "{value}");
        }
    }

    #[test]
    fn datetimes_in_client_forms() {
        let expected = parse_datetime("2024-01-02T03:04:05Z");
        assert!(expected.is_some());
        assert_eq!(parse_datetime("2024-01-02T03:04:05+00:00"), expected);
        assert_eq!(parse_datetime("2024-01-02T03:04:05.000+0000"), expected);
        assert_eq!(parse_datetime("yesterday"), None);
    }
}
