//! Send outcomes over time, as the activity counters give them: the time ranges a page
//! offers (`?range=`), a range cut into buckets, totals per outcome, and their chart.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use leadwire_core::activity::ActivityType;
use leadwire_store::{ActivityCount, ActivityCountQuery, Store};
use maud::{Markup, html};

pub use leadwire_core::activity::Outcomes;
pub use range::{Range, RangeQuery, range_links};

use super::chart::{self, Bar, Series, StackedBars};
use crate::console::error::ConsoleError;

mod range;

/// Which entries a timeline counts: all of them, or a campaign's (by name), or a canvas's
/// (by name), or one step's of a canvas.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub campaign: Option<String>,
    pub canvas: Option<String>,
    pub step: Option<String>,
}

impl Scope {
    /// The counter query for this scope from `since` on.
    pub fn since(self, since: DateTime<Utc>) -> ActivityCountQuery {
        ActivityCountQuery {
            campaign: self.campaign,
            canvas: self.canvas,
            step: self.step,
            ..ActivityCountQuery::since(since)
        }
    }
}

/// The CSS class and label of each outcome in a chart, in stacking order.
const SERIES: [Series<'static>; 5] = [
    Series {
        label: "success",
        class: "ok",
    },
    Series {
        label: "webhook_error",
        class: "err",
    },
    Series {
        label: "connected_content_error",
        class: "cc",
    },
    Series {
        label: "aborted_message",
        class: "abort",
    },
    Series {
        label: "deferred",
        class: "wait",
    },
];

/// A range cut into buckets ending with the one that holds `now`.
#[derive(Debug, Clone)]
pub struct Timeline {
    pub range: Range,
    pub start: DateTime<Utc>,
    /// When the range ends: now.
    pub end: DateTime<Utc>,
    pub buckets: Vec<Outcomes>,
}

impl Timeline {
    pub fn new(range: Range, now: DateTime<Utc>) -> Self {
        let width = range.bucket();
        let current = now.duration_trunc(width).unwrap_or(now);
        let earlier = i32::try_from(range.buckets() - 1).unwrap_or(0);
        Self {
            range,
            start: current - width * earlier,
            end: now,
            buckets: vec![Outcomes::default(); range.buckets()],
        }
    }

    /// The range's outcomes of the entries `scope` selects, from the activity counters.
    pub async fn load(
        store: &dyn Store,
        range: Range,
        now: DateTime<Utc>,
        scope: Scope,
    ) -> Result<Self, ConsoleError> {
        let mut timeline = Self::new(range, now);
        let counts = store.activity_counts(&scope.since(timeline.start)).await?;
        timeline.add_counts(&counts);
        Ok(timeline)
    }

    /// Adds the counts that fall in the range.
    pub fn add_counts(&mut self, counts: &[ActivityCount]) {
        for count in counts {
            self.add(count.bucket, count.activity_type, count.count);
        }
    }

    /// Counts `count` entries of `kind` in the counter bucket starting at `at`; times outside
    /// the range are left out.
    pub fn add(&mut self, at: DateTime<Utc>, kind: ActivityType, count: u64) {
        let Some(offset) = (at - self.start).num_microseconds() else {
            return;
        };
        let Some(width) = self.range.bucket().num_microseconds() else {
            return;
        };
        if offset < 0 {
            return;
        }
        if let Some(bucket) = usize::try_from(offset / width)
            .ok()
            .and_then(|index| self.buckets.get_mut(index))
        {
            bucket.add(kind, count);
        }
    }

    pub fn totals(&self) -> Outcomes {
        let mut totals = Outcomes::default();
        for bucket in &self.buckets {
            totals.merge(bucket);
        }
        totals
    }

    fn bucket_start(&self, index: usize) -> DateTime<Utc> {
        self.start + self.range.bucket() * i32::try_from(index).unwrap_or(i32::MAX)
    }

    /// The stacked bar chart of the buckets, named `id`.
    pub fn chart(&self, id: &str, caption: &str) -> Markup {
        let bars: Vec<Bar> = self
            .buckets
            .iter()
            .enumerate()
            .map(|(index, outcomes)| Bar {
                label: span_label(self.bucket_start(index), self.range.bucket()),
                values: ActivityType::ALL
                    .into_iter()
                    .map(|kind| outcomes.get(kind))
                    .collect(),
            })
            .collect();
        let first = axis_label(self.start);
        let last = axis_label(self.end);
        chart::render(&StackedBars {
            id,
            caption,
            series: &SERIES,
            bars: &bars,
            axis: (&first, &last),
        })
    }
}

/// "2026-05-01 12:00–12:05" for a bucket shorter than a day, "2026-05-01" for a day.
fn span_label(start: DateTime<Utc>, width: TimeDelta) -> String {
    if width >= TimeDelta::days(1) {
        return start.format("%Y-%m-%d").to_string();
    }
    format!(
        "{}–{}",
        start.format("%Y-%m-%d %H:%M"),
        (start + width).format("%H:%M")
    )
}

fn axis_label(time: DateTime<Utc>) -> String {
    time.format("%m-%d %H:%M UTC").to_string()
}

/// The totals as a row of cards: sent, delivered, errors, aborted.
pub fn totals_cards(totals: &Outcomes, id: &str) -> Markup {
    let cards = [
        ("Sent", "sent", totals.sent()),
        ("Delivered", "delivered", totals.delivered()),
        ("Errors", "errors", totals.errors()),
        ("Aborted", "aborted", totals.aborted()),
    ];
    html! {
        div.cards data-testid=(id) {
            @for (label, class, value) in cards {
                div class={ "card " (class) } {
                    h3 { (label) }
                    p.figure data-testid={ (id) "-" (class) } { (value) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
