//! One comparison against one value: the operators of Braze's attribute and property
//! filters, and what each does with missing or wrongly typed data (a false comparison,
//! never an error).

use std::fmt;

use chrono::{DateTime, Utc};
use regex::Regex;
use serde::Deserialize;
use serde_json::Value;

use crate::time::as_time;

/// A filter operator as written in the config (`op = "greater_than"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Equals,
    NotEquals,
    GreaterThan,
    LessThan,
    Exists,
    DoesNotExist,
    IsBlank,
    IsNotBlank,
    IncludesValue,
    MatchesRegex,
    IsNoneOf,
}

/// A compiled regular expression; equal when the source text is equal.
#[derive(Debug, Clone)]
pub struct Pattern(Regex);

impl Pattern {
    pub fn new(source: &str) -> Result<Self, String> {
        Regex::new(source)
            .map(Pattern)
            .map_err(|error| format!("invalid regular expression `{source}`: {error}"))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

/// An operator with its operand, checked when the config is loaded.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Equals(Value),
    NotEquals(Value),
    GreaterThan(Value),
    LessThan(Value),
    Exists,
    DoesNotExist,
    IsBlank,
    IsNotBlank,
    IncludesValue(Value),
    MatchesRegex(Pattern),
    IsNoneOf(Vec<Value>),
    /// Not a config operator: a connected audience's `does_not_match_regex`. Holds for a
    /// missing value, and for a value that is not a string.
    DoesNotMatchRegex(Pattern),
    /// Not a config operator: a connected audience's `does_not_include_value`. Holds for
    /// a missing value, and for a value that is not an array.
    DoesNotIncludeValue(Value),
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Operator::Equals => "equals",
            Operator::NotEquals => "not_equals",
            Operator::GreaterThan => "greater_than",
            Operator::LessThan => "less_than",
            Operator::Exists => "exists",
            Operator::DoesNotExist => "does_not_exist",
            Operator::IsBlank => "is_blank",
            Operator::IsNotBlank => "is_not_blank",
            Operator::IncludesValue => "includes_value",
            Operator::MatchesRegex => "matches_regex",
            Operator::IsNoneOf => "is_none_of",
        };
        f.write_str(name)
    }
}

impl Condition {
    /// Builds a condition from `op` and an optional `value`, with a message naming what is
    /// missing or superfluous.
    pub fn from_parts(op: Operator, value: Option<Value>) -> Result<Self, String> {
        let needs_value =
            |value: Option<Value>| value.ok_or_else(|| format!("operator `{op}` needs a `value`"));
        let no_value = |value: &Option<Value>, condition: Condition| match value {
            Some(_) => Err(format!("operator `{op}` takes no `value`; remove it")),
            None => Ok(condition),
        };
        match op {
            Operator::Equals => needs_value(value).map(Condition::Equals),
            Operator::NotEquals => needs_value(value).map(Condition::NotEquals),
            Operator::GreaterThan => needs_value(value)
                .and_then(ordered)
                .map(Condition::GreaterThan),
            Operator::LessThan => needs_value(value)
                .and_then(ordered)
                .map(Condition::LessThan),
            Operator::IncludesValue => needs_value(value).map(Condition::IncludesValue),
            Operator::MatchesRegex => match needs_value(value)? {
                Value::String(source) => Pattern::new(&source).map(Condition::MatchesRegex),
                _ => Err("operator `matches_regex` needs a string `value`".into()),
            },
            Operator::IsNoneOf => match needs_value(value)? {
                Value::Array(values) => Ok(Condition::IsNoneOf(values)),
                single => Ok(Condition::IsNoneOf(vec![single])),
            },
            Operator::Exists => no_value(&value, Condition::Exists),
            Operator::DoesNotExist => no_value(&value, Condition::DoesNotExist),
            Operator::IsBlank => no_value(&value, Condition::IsBlank),
            Operator::IsNotBlank => no_value(&value, Condition::IsNotBlank),
        }
    }

    /// Evaluates the condition against a value that may be absent. Missing data and
    /// mismatched types make a positive comparison false; the negative operators
    /// (`not_equals`, `does_not_exist`, `is_none_of`) hold for a missing value.
    pub fn holds_for(&self, actual: Option<&Value>) -> bool {
        let actual = actual.filter(|value| !value.is_null());
        match self {
            Condition::Equals(expected) => actual.is_some_and(|value| same_value(value, expected)),
            Condition::NotEquals(expected) => {
                !actual.is_some_and(|value| same_value(value, expected))
            }
            Condition::GreaterThan(bound) => {
                actual.is_some_and(|value| order(value, bound) == Some(std::cmp::Ordering::Greater))
            }
            Condition::LessThan(bound) => {
                actual.is_some_and(|value| order(value, bound) == Some(std::cmp::Ordering::Less))
            }
            Condition::Exists => actual.is_some(),
            Condition::DoesNotExist => actual.is_none(),
            Condition::IsBlank => is_blank(actual),
            Condition::IsNotBlank => !is_blank(actual),
            Condition::IncludesValue(item) => match actual {
                Some(Value::Array(items)) => items.iter().any(|value| same_value(value, item)),
                _ => false,
            },
            Condition::MatchesRegex(pattern) => match actual {
                Some(Value::String(text)) => pattern.0.is_match(text),
                _ => false,
            },
            Condition::IsNoneOf(values) => !actual
                .is_some_and(|value| values.iter().any(|candidate| same_value(value, candidate))),
            Condition::DoesNotMatchRegex(pattern) => {
                !Condition::MatchesRegex(pattern.clone()).holds_for(actual)
            }
            Condition::DoesNotIncludeValue(item) => {
                !Condition::IncludesValue(item.clone()).holds_for(actual)
            }
        }
    }
}

fn ordered(value: Value) -> Result<Value, String> {
    match &value {
        Value::Number(_) => Ok(value),
        Value::String(text) if parse_time(text).is_some() => Ok(value),
        _ => Err("`greater_than` and `less_than` compare numbers or ISO 8601 times; give a number or a time".into()),
    }
}

/// Equality with numbers compared by value (so `5` equals `5.0`).
fn same_value(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => actual == expected,
    }
}

fn order(actual: &Value, bound: &Value) -> Option<std::cmp::Ordering> {
    match (actual, bound) {
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        _ => Some(time_of(actual)?.cmp(&time_of(bound)?)),
    }
}

/// A time written as an ISO 8601 string, or stored as a typed profile time.
fn time_of(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::String(text) => parse_time(text),
        other => as_time(other),
    }
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

fn is_blank(actual: Option<&Value>) -> bool {
    match actual {
        None => true,
        Some(Value::String(text)) => text.trim().is_empty(),
        Some(Value::Array(items)) => items.is_empty(),
        Some(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn condition(op: Operator, value: Option<Value>) -> Condition {
        Condition::from_parts(op, value).expect("valid condition")
    }

    #[test]
    fn equals_compares_numbers_by_value_and_is_false_on_missing() {
        let equals = condition(Operator::Equals, Some(json!(5)));
        assert!(equals.holds_for(Some(&json!(5.0))));
        assert!(!equals.holds_for(Some(&json!("5"))));
        assert!(!equals.holds_for(None));
        assert!(!equals.holds_for(Some(&Value::Null)));
    }

    #[test]
    fn not_equals_and_is_none_of_hold_for_missing() {
        assert!(condition(Operator::NotEquals, Some(json!("MQL"))).holds_for(None));
        let none_of = condition(Operator::IsNoneOf, Some(json!(["MQL", "SQL"])));
        assert!(none_of.holds_for(None));
        assert!(none_of.holds_for(Some(&json!("Lead"))));
        assert!(!none_of.holds_for(Some(&json!("SQL"))));
        assert!(!condition(Operator::IsNoneOf, Some(json!("MQL"))).holds_for(Some(&json!("MQL"))));
    }

    #[test]
    fn ordering_is_false_for_wrong_types() {
        let greater = condition(Operator::GreaterThan, Some(json!(50)));
        assert!(greater.holds_for(Some(&json!(51))));
        assert!(!greater.holds_for(Some(&json!(50))));
        assert!(!greater.holds_for(Some(&json!("60"))));
        assert!(!greater.holds_for(Some(&json!([60]))));
        assert!(!greater.holds_for(None));
        let less = condition(Operator::LessThan, Some(json!("2026-01-01T00:00:00Z")));
        assert!(less.holds_for(Some(&json!("2025-12-31T23:59:59Z"))));
        assert!(!less.holds_for(Some(&json!("not a time"))));
        assert!(less.holds_for(Some(&json!({"$time": "2025-06-01T00:00:00.000Z"}))));
        assert!(!less.holds_for(Some(&json!({"$time": "2026-06-01T00:00:00.000Z"}))));
    }

    #[test]
    fn ordering_rejects_non_ordered_operands() {
        assert!(Condition::from_parts(Operator::GreaterThan, Some(json!("big"))).is_err());
        assert!(Condition::from_parts(Operator::LessThan, None).is_err());
    }

    #[test]
    fn existence_and_blankness() {
        assert!(condition(Operator::Exists, None).holds_for(Some(&json!(false))));
        assert!(!condition(Operator::Exists, None).holds_for(Some(&Value::Null)));
        assert!(condition(Operator::DoesNotExist, None).holds_for(None));
        let blank = condition(Operator::IsBlank, None);
        assert!(blank.holds_for(None));
        assert!(blank.holds_for(Some(&json!("   "))));
        assert!(blank.holds_for(Some(&json!([]))));
        assert!(!blank.holds_for(Some(&json!(0))));
        assert!(condition(Operator::IsNotBlank, None).holds_for(Some(&json!("x"))));
        assert!(Condition::from_parts(Operator::Exists, Some(json!(1))).is_err());
    }

    #[test]
    fn includes_value_needs_an_array() {
        let includes = condition(Operator::IncludesValue, Some(json!("webinar")));
        assert!(includes.holds_for(Some(&json!(["demo", "webinar"]))));
        assert!(!includes.holds_for(Some(&json!("webinar"))));
        assert!(!includes.holds_for(None));
    }

    #[test]
    fn regex_matches_strings_only() {
        let regex = condition(Operator::MatchesRegex, Some(json!("gmail\\.com$")));
        assert!(regex.holds_for(Some(&json!("ada@gmail.com"))));
        assert!(!regex.holds_for(Some(&json!("ada@example.com"))));
        assert!(!regex.holds_for(Some(&json!(42))));
        let error = Condition::from_parts(Operator::MatchesRegex, Some(json!("(unclosed")))
            .expect_err("bad regex");
        assert!(error.contains("invalid regular expression"));
    }
}
