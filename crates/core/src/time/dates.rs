//! Dates in custom attributes: the formats `/users/track` accepts and the typed `{"$time": …}` value they are stored as.
//!
//! Accepted formats (reference §9), tried in this order:
//! - ISO 8601 / RFC 3339 with a zone: `2024-05-01T12:30:00Z`, `2024-05-01T12:30:00.250+02:00`,
//!   `2024-05-01T12:30:00+0200`;
//! - `yyyy-MM-ddTHH:mm:ss:SSSZ`: `2024-05-01T12:30:00:250Z` (milliseconds after a colon);
//! - `yyyy-MM-ddTHH:mm:ss` and `yyyy-MM-dd HH:mm:ss` (fractions allowed), without a zone: UTC;
//! - `yyyy-MM-dd` and `MM/dd/yyyy`: midnight UTC;
//! - `ddd MM dd HH:mm:ss.TZD YYYY`, read as `Wed May 01 12:30:00 +0000 2024` or with a numeric
//!   month (`Wed 05 01 12:30:00.000 +0000 2024`); `UTC`/`GMT` are accepted as the zone.
//!
//! A year below 0 or above 3000 is not a date (the caller keeps the string).

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use serde_json::{Map, Value};

/// The key of the typed time value: `{"$time": "2024-05-01T12:30:00.000Z"}`. It matches
/// Braze's syntax for dates inside nested custom attributes.
pub const TIME_KEY: &str = "$time";

/// Parses a date in one of the accepted formats into UTC.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let parsed = parse_zoned(text)
        .or_else(|| parse_colon_millis(text))
        .or_else(|| parse_naive_date_time(text))
        .or_else(|| parse_date_only(text))
        .or_else(|| parse_c_style(text))?;
    let year = chrono::Datelike::year(&parsed);
    (0..=3000).contains(&year).then_some(parsed)
}

fn parse_zoned(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(parsed) = DateTime::parse_from_rfc3339(text) {
        return Some(parsed.with_timezone(&Utc));
    }
    [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f %z",
    ]
    .iter()
    .find_map(|format| DateTime::parse_from_str(text, format).ok())
    .map(|parsed| parsed.with_timezone(&Utc))
}

/// `2024-05-01T12:30:00:250Z`: rewrite the colon before the milliseconds to a dot.
fn parse_colon_millis(text: &str) -> Option<DateTime<Utc>> {
    let bytes = text.as_bytes();
    if bytes.len() < 23 || bytes.get(10) != Some(&b'T') || bytes.get(19) != Some(&b':') {
        return None;
    }
    let (head, tail) = text.split_at(19);
    let rewritten = format!("{head}.{}", tail.get(1..)?);
    parse_zoned(&rewritten).or_else(|| parse_naive_date_time(&rewritten))
}

fn parse_naive_date_time(text: &str) -> Option<DateTime<Utc>> {
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| Utc.from_utc_datetime(&naive))
}

fn parse_date_only(text: &str) -> Option<DateTime<Utc>> {
    ["%Y-%m-%d", "%m/%d/%Y"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|naive| Utc.from_utc_datetime(&naive))
}

fn parse_c_style(text: &str) -> Option<DateTime<Utc>> {
    let text = text.replace(" UTC ", " +0000 ").replace(" GMT ", " +0000 ");
    [
        "%a %b %d %H:%M:%S%.f %z %Y",
        "%a %m %d %H:%M:%S%.f %z %Y",
        "%a %b %d %H:%M:%S.%z %Y",
        "%a %m %d %H:%M:%S.%z %Y",
    ]
    .iter()
    .find_map(|format| DateTime::parse_from_str(&text, format).ok())
    .map(|parsed| parsed.with_timezone(&Utc))
}

/// The typed value a time is stored as.
pub fn time_value(time: DateTime<Utc>) -> Value {
    let mut object = Map::with_capacity(1);
    object.insert(
        TIME_KEY.into(),
        Value::String(time.to_rfc3339_opts(SecondsFormat::Millis, true)),
    );
    Value::Object(object)
}

/// The time held by a typed time value, if `value` is one.
pub fn as_time(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::Object(object) if object.len() == 1 => match object.get(TIME_KEY) {
            Some(Value::String(text)) => DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|parsed| parsed.with_timezone(&Utc)),
            _ => None,
        },
        _ => None,
    }
}

/// A copy of `value` with every typed time replaced by its ISO 8601 string, for readers that
/// want plain JSON (Liquid, exports).
pub fn times_as_strings(value: &Value) -> Value {
    match value {
        Value::Object(object) => match object.get(TIME_KEY) {
            Some(Value::String(text)) if object.len() == 1 => Value::String(text.clone()),
            _ => Value::Object(
                object
                    .iter()
                    .map(|(key, value)| (key.clone(), times_as_strings(value)))
                    .collect(),
            ),
        },
        Value::Array(items) => Value::Array(items.iter().map(times_as_strings).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("test literal is RFC 3339")
            .with_timezone(&Utc)
    }

    #[test]
    fn every_documented_format_parses() {
        let cases = [
            ("2024-05-01T12:30:00Z", "2024-05-01T12:30:00Z"),
            ("2024-05-01T12:30:00.250+02:00", "2024-05-01T10:30:00.250Z"),
            ("2024-05-01T12:30:00+0200", "2024-05-01T10:30:00Z"),
            ("2024-05-01T12:30:00:250Z", "2024-05-01T12:30:00.250Z"),
            ("2024-05-01T12:30:00", "2024-05-01T12:30:00Z"),
            ("2024-05-01 12:30:00", "2024-05-01T12:30:00Z"),
            ("2024-05-01", "2024-05-01T00:00:00Z"),
            ("05/01/2024", "2024-05-01T00:00:00Z"),
            ("Wed May 01 12:30:00 +0000 2024", "2024-05-01T12:30:00Z"),
            ("Wed 05 01 12:30:00.000 +0100 2024", "2024-05-01T11:30:00Z"),
            ("Wed May 01 12:30:00 UTC 2024", "2024-05-01T12:30:00Z"),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_date(input), Some(utc(expected)), "input {input}");
        }
    }

    #[test]
    fn non_dates_and_out_of_range_years_are_not_dates() {
        for input in [
            "hello",
            "2024",
            "12:30",
            "3001-01-01",
            "",
            "2024-13-01",
            "Acme Inc",
        ] {
            assert_eq!(parse_date(input), None, "input {input:?}");
        }
        assert!(parse_date("3000-12-31").is_some());
    }

    #[test]
    fn typed_time_round_trips_and_renders_as_a_string() {
        let time = utc("2024-05-01T12:30:00.250Z");
        let value = time_value(time);
        assert_eq!(value, json!({"$time": "2024-05-01T12:30:00.250Z"}));
        assert_eq!(as_time(&value), Some(time));
        assert_eq!(as_time(&json!({"$time": 3})), None);
        assert_eq!(
            times_as_strings(&json!({"a": [value.clone()], "b": value})),
            json!({"a": ["2024-05-01T12:30:00.250Z"], "b": "2024-05-01T12:30:00.250Z"})
        );
    }
}
