//! The time ranges a page offers (`?range=1h|24h|7d|30d`), how each is cut into bars, and
//! the links that switch between them.

use chrono::TimeDelta;
use maud::{Markup, html};
use serde::Deserialize;

use crate::console::error::ConsoleError;

/// A time range a page shows, ending now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    Hour,
    Day,
    Week,
    Month,
}

impl Range {
    pub const ALL: [Range; 4] = [Self::Hour, Self::Day, Self::Week, Self::Month];

    /// As written in `?range=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hour => "1h",
            Self::Day => "24h",
            Self::Week => "7d",
            Self::Month => "30d",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Hour => "last hour",
            Self::Day => "last 24 hours",
            Self::Week => "last 7 days",
            Self::Month => "last 30 days",
        }
    }

    /// `?range=`: absent means the last 24 hours.
    pub fn from_query(value: Option<&str>) -> Result<Self, ConsoleError> {
        let Some(value) = value.filter(|value| !value.is_empty()) else {
            return Ok(Self::Day);
        };
        Self::ALL
            .into_iter()
            .find(|range| range.as_str() == value)
            .ok_or_else(|| {
                ConsoleError::BadRequest(format!(
                    "`range={value}` is not a time range; use range=1h, 24h, 7d or 30d"
                ))
            })
    }

    /// How long one bar of the range's chart is.
    pub fn bucket(self) -> TimeDelta {
        match self {
            Self::Hour => TimeDelta::minutes(5),
            Self::Day => TimeDelta::hours(1),
            Self::Week => TimeDelta::hours(6),
            Self::Month => TimeDelta::days(1),
        }
    }

    pub(super) fn buckets(self) -> usize {
        match self {
            Self::Hour => 12,
            Self::Day => 24,
            Self::Week => 28,
            Self::Month => 30,
        }
    }
}

/// `?range=` of a page that follows a time range.
#[derive(Debug, Default, Deserialize)]
pub struct RangeQuery {
    pub range: Option<String>,
}

impl RangeQuery {
    /// The range asked for; the last 24 hours when none is.
    pub fn range(&self) -> Result<Range, ConsoleError> {
        Range::from_query(self.range.as_deref())
    }
}

/// The range picker: one link per range, `path?range=…`, the current one marked.
pub fn range_links(path: &str, current: Range) -> Markup {
    html! {
        nav.ranges aria-label="Time range" data-testid="ranges" {
            @for range in Range::ALL {
                @let href = format!("{path}?range={}", range.as_str());
                @if range == current {
                    a href=(href) aria-current="true" { (range.label()) }
                } @else {
                    a href=(href) { (range.label()) }
                }
            }
        }
    }
}
