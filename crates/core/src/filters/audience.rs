//! Who an API request reaches beyond the users it names: `segment_id` (a `[[segments]]`
//! entry) and `audience`, Braze's connected audience object, mapped onto [`Filter`]s.
//!
//! A connected audience is one filter, or `{"AND": [...]}` / `{"OR": [...]}` of filters and
//! groups. Mapped: `custom_attribute` with every comparison Braze lists (relative times,
//! `x_days_ago` and `x_days_in_the_future`, are taken from `now`, the time the audience is
//! evaluated), and `email_subscription_status` / `push_subscription_status` over the
//! `email_subscribe` / `push_subscribe` attributes (`subscribed` when unset, as in Braze).
//! `last_used_app` is refused: leadwire records no app sessions.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Map, Value};

use super::Filter;
use super::condition::{Condition, Operator, Pattern};

/// Groups nest at most this deep.
pub const MAX_DEPTH: usize = 16;

/// Braze's connected audience object as one filter, or what is wrong with it and where.
pub fn connected_audience(value: &Value, now: DateTime<Utc>) -> Result<Filter, String> {
    node(value, "audience", 0, now)
}

/// Checks a connected audience's shape without evaluating it (its relative times are taken
/// when it is evaluated).
pub fn check_connected_audience(value: &Value) -> Result<(), String> {
    connected_audience(value, DateTime::UNIX_EPOCH).map(|_| ())
}

fn node(value: &Value, at: &str, depth: usize, now: DateTime<Utc>) -> Result<Filter, String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "{at}: AND and OR groups nest at most {MAX_DEPTH} deep"
        ));
    }
    let Value::Object(object) = value else {
        return Err(format!(
            "{at} must be an object: one filter such as {{\"custom_attribute\": {{…}}}}, or {{\"AND\": [...]}} or {{\"OR\": [...]}}"
        ));
    };
    let mut keys = object.keys();
    let (Some(key), None) = (keys.next(), keys.next()) else {
        return Err(format!(
            "{at} must hold exactly one key: AND, OR, custom_attribute, email_subscription_status or push_subscription_status"
        ));
    };
    let inner = &object[key.as_str()];
    let at = format!("{at}.{key}");
    match key.as_str() {
        "AND" | "OR" => {
            let Value::Array(members) = inner else {
                return Err(format!("{at} must be an array of filters"));
            };
            let filters = members
                .iter()
                .enumerate()
                .map(|(index, member)| node(member, &format!("{at}[{index}]"), depth + 1, now))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if key == "AND" {
                Filter::All(filters)
            } else {
                Filter::Any(filters)
            })
        }
        "custom_attribute" => custom_attribute(inner, &at, now),
        "email_subscription_status" => subscription(inner, &at, "email_subscribe"),
        "push_subscription_status" => subscription(inner, &at, "push_subscribe"),
        "last_used_app" => Err(format!(
            "{at} is not supported: leadwire records no app sessions; filter on a custom attribute instead"
        )),
        _ => Err(format!(
            "{at} is not a connected audience filter leadwire supports; use custom_attribute, email_subscription_status or push_subscription_status, combined with AND and OR"
        )),
    }
}

fn fields<'a>(value: &'a Value, at: &str) -> Result<&'a Map<String, Value>, String> {
    match value {
        Value::Object(object) => Ok(object),
        _ => Err(format!("{at} must be an object")),
    }
}

fn comparison<'a>(object: &'a Map<String, Value>, at: &str) -> Result<&'a str, String> {
    match object.get("comparison") {
        Some(Value::String(comparison)) => Ok(comparison),
        _ => Err(format!(
            "{at}.comparison is required: a string such as \"equals\""
        )),
    }
}

fn custom_attribute(value: &Value, at: &str, now: DateTime<Utc>) -> Result<Filter, String> {
    let object = fields(value, at)?;
    let attribute = match object.get("custom_attribute_name") {
        Some(Value::String(name)) if !name.is_empty() => name.clone(),
        _ => {
            return Err(format!(
                "{at}.custom_attribute_name is required: the attribute's name"
            ));
        }
    };
    let comparison = comparison(object, at)?;
    let value = object
        .get("value")
        .filter(|value| !value.is_null())
        .cloned();
    let condition = |op: Operator, value: Option<Value>| {
        Condition::from_parts(op, value).map_err(|error| format!("{at}: {error}"))
    };
    let attribute_filter = |condition: Condition| Filter::Attribute {
        attribute: attribute.clone(),
        condition,
    };
    let needs_value = || {
        value
            .clone()
            .ok_or_else(|| format!("{at}.value is required for `{comparison}`"))
    };
    let days = |sign: i64| -> Result<Value, String> {
        let count = needs_value()?
            .as_f64()
            .filter(|days| days.is_finite() && *days >= 0.0 && *days <= 36_500.0)
            .ok_or_else(|| format!("{at}.value must be a number of days for `{comparison}`"))?;
        // Whole seconds: the count may be fractional.
        let seconds = (count * 86_400.0).round() as i64;
        let at = now + Duration::seconds(sign * seconds);
        Ok(Value::String(at.to_rfc3339_opts(SecondsFormat::Secs, true)))
    };
    let now_text = || Value::String(now.to_rfc3339_opts(SecondsFormat::Secs, true));
    let filter = match comparison {
        "equals" => attribute_filter(condition(Operator::Equals, value)?),
        "not_equal" | "does_not_equal" => attribute_filter(condition(Operator::NotEquals, value)?),
        "greater_than" | "after" => attribute_filter(condition(Operator::GreaterThan, value)?),
        "less_than" | "before" => attribute_filter(condition(Operator::LessThan, value)?),
        "greater_than_or_equal_to" => Filter::Any(vec![
            attribute_filter(condition(Operator::GreaterThan, value.clone())?),
            attribute_filter(condition(Operator::Equals, value)?),
        ]),
        "less_than_or_equal_to" => Filter::Any(vec![
            attribute_filter(condition(Operator::LessThan, value.clone())?),
            attribute_filter(condition(Operator::Equals, value)?),
        ]),
        "exists" => attribute_filter(Condition::Exists),
        "does_not_exist" => attribute_filter(Condition::DoesNotExist),
        "matches_regex" => attribute_filter(condition(Operator::MatchesRegex, value)?),
        "does_not_match_regex" => match needs_value()? {
            Value::String(source) => attribute_filter(Condition::DoesNotMatchRegex(
                Pattern::new(&source).map_err(|error| format!("{at}: {error}"))?,
            )),
            _ => return Err(format!("{at}.value must be a regular expression string")),
        },
        "includes_value" => attribute_filter(condition(Operator::IncludesValue, value)?),
        "does_not_include_value" => {
            attribute_filter(Condition::DoesNotIncludeValue(needs_value()?))
        }
        // More than N days ago: before now - N days.
        "greater_than_x_days_ago" => {
            attribute_filter(condition(Operator::LessThan, Some(days(-1)?))?)
        }
        // Within the last N days: after now - N days, and not in the future.
        "less_than_x_days_ago" => Filter::All(vec![
            attribute_filter(condition(Operator::GreaterThan, Some(days(-1)?))?),
            attribute_filter(condition(Operator::LessThan, Some(now_text()))?),
        ]),
        "greater_than_x_days_in_the_future" => {
            attribute_filter(condition(Operator::GreaterThan, Some(days(1)?))?)
        }
        "less_than_x_days_in_the_future" => Filter::All(vec![
            attribute_filter(condition(Operator::GreaterThan, Some(now_text()))?),
            attribute_filter(condition(Operator::LessThan, Some(days(1)?))?),
        ]),
        other => {
            return Err(format!(
                "{at}.comparison `{other}` is not one of Braze's comparisons (equals, not_equal, greater_than, greater_than_or_equal_to, less_than, less_than_or_equal_to, matches_regex, does_not_match_regex, exists, does_not_exist, includes_value, does_not_include_value, before, after, greater_than_x_days_ago, less_than_x_days_ago, greater_than_x_days_in_the_future, less_than_x_days_in_the_future)"
            ));
        }
    };
    Ok(filter)
}

/// `{comparison: is | is_not, value: opted_in | subscribed | unsubscribed}` over the
/// subscription attribute `attribute`; an unset one counts as `subscribed`.
fn subscription(value: &Value, at: &str, attribute: &str) -> Result<Filter, String> {
    let object = fields(value, at)?;
    let positive = match comparison(object, at)? {
        "is" => true,
        "is_not" => false,
        other => {
            return Err(format!(
                "{at}.comparison `{other}` must be \"is\" or \"is_not\""
            ));
        }
    };
    let state = match object.get("value") {
        Some(Value::String(state))
            if ["opted_in", "subscribed", "unsubscribed"].contains(&state.as_str()) =>
        {
            state.clone()
        }
        _ => {
            return Err(format!(
                "{at}.value must be \"opted_in\", \"subscribed\" or \"unsubscribed\""
            ));
        }
    };
    let filter = |condition: Condition| Filter::Attribute {
        attribute: attribute.to_owned(),
        condition,
    };
    let unset_counts = state == "subscribed";
    let is = filter(Condition::Equals(Value::String(state.clone())));
    Ok(match (positive, unset_counts) {
        (true, false) => is,
        (true, true) => Filter::Any(vec![is, filter(Condition::DoesNotExist)]),
        (false, false) => filter(Condition::NotEquals(Value::String(state))),
        (false, true) => Filter::All(vec![
            filter(Condition::Exists),
            filter(Condition::NotEquals(Value::String(state))),
        ]),
    })
}

#[cfg(test)]
mod tests;
