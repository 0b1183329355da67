//! Audience filters: attribute comparisons, email availability and custom event counts,
//! combined with AND/OR groups, evaluated over a [`Profile`] at a given time.
//!
//! In the config a list of filters means AND; `{ any = [...] }` and `{ all = [...] }` nest
//! groups; `{ segment = "..." }` admits the users of a `[[segments]]` entry, named by id or
//! name (see `crate::config::segment`). Evaluation never fails: bad runtime data makes a comparison
//! false, and a segment reference that was never resolved admits nobody.

pub mod audience;
mod condition;
pub mod describe;
mod history;

pub use condition::{Condition, Operator, Pattern};
pub use history::{EventCounts, EventHistory, EventLog, NoEvents};

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::profile::{Profile, is_standard_attribute};
use crate::time::Interval;

/// One filter, or a group of them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawFilter")]
pub enum Filter {
    /// `{ attribute = "lead_score", op = "greater_than", value = 50 }`
    Attribute {
        attribute: String,
        condition: Condition,
    },
    /// `{ email_available = true }`: the profile has a non-blank email (or has none).
    EmailAvailable(bool),
    /// `{ custom_event = "webinar_joined", op = "greater_than", value = 2, within = "30d" }`
    CustomEventCount {
        event: String,
        count: CountCondition,
        within: Interval,
    },
    /// `{ all = [...] }`: every filter holds (an empty group holds).
    All(Vec<Filter>),
    /// `{ any = [...] }`: at least one filter holds.
    Any(Vec<Filter>),
    /// `{ segment = "Marketing qualified" }`: the user is in the segment.
    Segment(SegmentFilter),
}

/// A reference to a `[[segments]]` entry by its id or name, and that segment's filters once
/// `crate::config::segment::resolve` has looked them up (`None` before, or for an unknown segment).
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentFilter {
    pub reference: String,
    pub resolved: Option<Arc<Vec<Filter>>>,
}

impl SegmentFilter {
    pub fn new(reference: impl Into<String>) -> Self {
        Self {
            reference: reference.into(),
            resolved: None,
        }
    }
}

/// How an event count is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountCondition {
    MoreThan(u64),
    LessThan(u64),
    Exactly(u64),
}

impl CountCondition {
    pub fn holds_for(self, count: u64) -> bool {
        match self {
            CountCondition::MoreThan(bound) => count > bound,
            CountCondition::LessThan(bound) => count < bound,
            CountCondition::Exactly(bound) => count == bound,
        }
    }
}

/// Everything a filter reads.
pub struct FilterContext<'a> {
    pub profile: &'a Profile,
    pub history: &'a dyn EventHistory,
    pub now: DateTime<Utc>,
}

impl Filter {
    /// Whether the filter holds for the context's profile at its time.
    pub fn matches(&self, context: &FilterContext<'_>) -> bool {
        match self {
            Filter::Attribute {
                attribute,
                condition,
            } => condition.holds_for(attribute_value(context.profile, attribute).as_deref()),
            Filter::EmailAvailable(wanted) => context.profile.email().is_some() == *wanted,
            Filter::CustomEventCount {
                event,
                count,
                within,
            } => {
                let since = within.before(context.now);
                count.holds_for(
                    context
                        .history
                        .count_events(context.profile.id, event, since),
                )
            }
            Filter::All(filters) => filters.iter().all(|filter| filter.matches(context)),
            Filter::Any(filters) => filters.iter().any(|filter| filter.matches(context)),
            Filter::Segment(segment) => segment
                .resolved
                .as_deref()
                .is_some_and(|filters| all_match(filters, context)),
        }
    }

    /// The (event name, window start) counts this filter reads, for a store to pre-fetch.
    pub fn required_event_counts(&self, now: DateTime<Utc>) -> Vec<(String, DateTime<Utc>)> {
        let mut needed = Vec::new();
        self.collect_event_counts(now, &mut needed);
        needed
    }

    fn collect_event_counts(&self, now: DateTime<Utc>, needed: &mut Vec<(String, DateTime<Utc>)>) {
        match self {
            Filter::CustomEventCount { event, within, .. } => {
                needed.push((event.clone(), within.before(now)));
            }
            Filter::All(filters) | Filter::Any(filters) => {
                for filter in filters {
                    filter.collect_event_counts(now, needed);
                }
            }
            Filter::Segment(segment) => {
                for filter in segment.resolved.iter().flat_map(|filters| filters.iter()) {
                    filter.collect_event_counts(now, needed);
                }
            }
            Filter::Attribute { .. } | Filter::EmailAvailable(_) => {}
        }
    }
}

/// Whether every filter of an AND list holds (an empty list holds: "all users").
pub fn all_match(filters: &[Filter], context: &FilterContext<'_>) -> bool {
    filters.iter().all(|filter| filter.matches(context))
}

/// A profile attribute by the name a filter uses: `external_id` (or `user_id`), a standard
/// attribute's API name, or else a custom attribute (`address.city` reaches into a nested one).
pub fn attribute_value<'a>(profile: &'a Profile, name: &str) -> Option<Cow<'a, Value>> {
    match name {
        "external_id" | "user_id" => profile
            .external_id
            .as_ref()
            .map(|id| Cow::Owned(Value::String(id.clone()))),
        _ if is_standard_attribute(name) => profile.standard.get(name).map(Cow::Borrowed),
        _ => profile
            .custom
            .get(name)
            .or_else(|| nested_value(&profile.custom, name))
            .map(Cow::Borrowed),
    }
}

/// `address.city` in a nested custom attribute `address`, when no attribute has the dotted name.
fn nested_value<'a>(custom: &'a serde_json::Map<String, Value>, path: &str) -> Option<&'a Value> {
    let (first, rest) = path.split_once('.')?;
    rest.split('.')
        .try_fold(custom.get(first)?, |value, segment| value.get(segment))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFilter {
    attribute: Option<String>,
    custom_event: Option<String>,
    op: Option<Operator>,
    value: Option<Value>,
    within: Option<Interval>,
    email_available: Option<bool>,
    all: Option<Vec<Filter>>,
    any: Option<Vec<Filter>>,
    segment: Option<String>,
}

const FILTER_SHAPES: &str = "write one of { attribute = \"name\", op = \"equals\", value = ... }, \
{ email_available = true }, { custom_event = \"name\", op = \"greater_than\", value = 2, within = \"30d\" }, \
{ segment = \"name or id\" }, { all = [...] } or { any = [...] }";

impl TryFrom<RawFilter> for Filter {
    type Error = String;

    fn try_from(raw: RawFilter) -> Result<Self, String> {
        let kinds = [
            raw.attribute.is_some(),
            raw.custom_event.is_some(),
            raw.email_available.is_some(),
            raw.all.is_some(),
            raw.any.is_some(),
            raw.segment.is_some(),
        ];
        if kinds.iter().filter(|kind| **kind).count() != 1 {
            return Err(format!(
                "a filter must be exactly one kind: {FILTER_SHAPES}"
            ));
        }
        if let Some(attribute) = raw.attribute {
            if raw.within.is_some() {
                return Err("`within` belongs to custom_event filters; remove it".into());
            }
            let op = raw
                .op
                .ok_or_else(|| format!("the filter on `{attribute}` needs an `op`"))?;
            let condition = Condition::from_parts(op, raw.value)?;
            return Ok(Filter::Attribute {
                attribute,
                condition,
            });
        }
        if let Some(event) = raw.custom_event {
            return custom_event_filter(event, raw.op, raw.value, raw.within);
        }
        if raw.op.is_some() || raw.value.is_some() || raw.within.is_some() {
            return Err(format!(
                "`op`, `value` and `within` belong to attribute and custom_event filters; {FILTER_SHAPES}"
            ));
        }
        if let Some(wanted) = raw.email_available {
            return Ok(Filter::EmailAvailable(wanted));
        }
        if let Some(filters) = raw.all {
            return Ok(Filter::All(filters));
        }
        if let Some(reference) = raw.segment {
            return Ok(Filter::Segment(SegmentFilter::new(reference)));
        }
        Ok(Filter::Any(raw.any.unwrap_or_default()))
    }
}

fn custom_event_filter(
    event: String,
    op: Option<Operator>,
    value: Option<Value>,
    within: Option<Interval>,
) -> Result<Filter, String> {
    let within = within.ok_or_else(|| {
        format!("the custom_event filter on `{event}` needs a time window, e.g. within = \"30d\"")
    })?;
    let bound = value.as_ref().and_then(Value::as_u64).ok_or_else(|| {
        format!("the custom_event filter on `{event}` needs a whole-number `value`")
    })?;
    let count = match op {
        Some(Operator::GreaterThan) => CountCondition::MoreThan(bound),
        Some(Operator::LessThan) => CountCondition::LessThan(bound),
        Some(Operator::Equals) => CountCondition::Exactly(bound),
        _ => {
            return Err(format!(
                "the custom_event filter on `{event}` needs op = \"greater_than\", \"less_than\" or \"equals\""
            ));
        }
    };
    Ok(Filter::CustomEventCount {
        event,
        count,
        within,
    })
}

#[cfg(test)]
mod tests;
