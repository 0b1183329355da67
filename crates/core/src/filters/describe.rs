//! Filters in words, as Braze's segment details describe them ("`lead_score` is greater
//! than 50 and performed `demo_requested` more than 2 times in the last 30 days"): the text
//! of `GET /segments/details` and the phrases the console's pages use.

use serde_json::Value;

use super::{Condition, CountCondition, Filter};
use crate::time::Interval;

/// An AND list of filters in one sentence; an empty list is "all users".
pub fn filters(list: &[Filter]) -> String {
    if list.is_empty() {
        return "all users".into();
    }
    let each: Vec<String> = list.iter().map(filter).collect();
    each.join(" and ")
}

/// One filter in words; groups are bracketed.
pub fn filter(filter: &Filter) -> String {
    match filter {
        Filter::Attribute {
            attribute,
            condition: comparison,
        } => format!("`{attribute}` {}", condition(comparison)),
        Filter::EmailAvailable(true) => "has an email address".into(),
        Filter::EmailAvailable(false) => "has no email address".into(),
        Filter::CustomEventCount {
            event,
            count: times,
            within,
        } => format!(
            "performed `{event}` {} in the last {}",
            count(*times),
            interval(*within)
        ),
        Filter::All(members) => group("all of", members),
        Filter::Any(members) => group("any of", members),
        Filter::Segment(segment) => format!("is in segment `{}`", segment.reference),
    }
}

fn group(kind: &str, members: &[Filter]) -> String {
    let each: Vec<String> = members.iter().map(filter).collect();
    format!("{kind} ({})", each.join("; "))
}

/// A comparison in words: "is greater than 50", "is blank".
pub fn condition(condition: &Condition) -> String {
    match condition {
        Condition::Equals(value) => format!("equals {value}"),
        Condition::NotEquals(value) => format!("does not equal {value}"),
        Condition::GreaterThan(value) => format!("is greater than {value}"),
        Condition::LessThan(value) => format!("is less than {value}"),
        Condition::Exists => "exists".into(),
        Condition::DoesNotExist => "does not exist".into(),
        Condition::IsBlank => "is blank".into(),
        Condition::IsNotBlank => "is not blank".into(),
        Condition::IncludesValue(value) => format!("includes {value}"),
        Condition::MatchesRegex(pattern) => format!("matches /{}/", pattern.as_str()),
        Condition::IsNoneOf(values) => format!("is none of {}", Value::from(values.clone())),
        Condition::DoesNotMatchRegex(pattern) => format!("does not match /{}/", pattern.as_str()),
        Condition::DoesNotIncludeValue(value) => format!("does not include {value}"),
    }
}

/// An event count in words: "more than 2 times".
pub fn count(condition: CountCondition) -> String {
    let times = |count: u64| if count == 1 { "time" } else { "times" };
    match condition {
        CountCondition::MoreThan(count) => format!("more than {count} {}", times(count)),
        CountCondition::LessThan(count) => format!("fewer than {count} {}", times(count)),
        CountCondition::Exactly(count) => format!("exactly {count} {}", times(count)),
    }
}

/// "1 day 2 hours", "15 minutes", "0 seconds".
pub fn interval(span: Interval) -> String {
    let units = [
        ("day", 86_400),
        ("hour", 3_600),
        ("minute", 60),
        ("second", 1),
    ];
    let mut left = span.seconds();
    let mut parts = Vec::new();
    for (unit, seconds) in units {
        let amount = left / seconds;
        left %= seconds;
        if amount > 0 {
            let plural = if amount == 1 { "" } else { "s" };
            parts.push(format!("{amount} {unit}{plural}"));
        }
    }
    if parts.is_empty() {
        "0 seconds".into()
    } else {
        parts.join(" ")
    }
}
