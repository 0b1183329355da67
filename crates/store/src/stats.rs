//! Counters the workers keep for the console, so no page counts by scanning the activity
//! log or the canvas entries: activity entries per 5-minute bucket and per source,
//! template and type, per canvas step the arrivals, entries present, exits and paths
//! taken, and per canvas the entries of each day.
//!
//! Both are written in the transaction of the write they count: `record_activity` adds its
//! entries (a repeated entry id, which the log ignores, is not counted), and
//! `save_canvas_entry` / `delete_profile` apply the change between the stored and the new
//! state ([`leadwire_core::canvas::step_count_changes`]). A transaction gathers its changes
//! and writes them when it commits, one upsert per distinct counter in key order, so
//! concurrent transactions lock counter rows briefly and in one order. Counters are
//! history: pruning the log or exited entries leaves them as they are.
//!
//! [`StatsReads`] is a supertrait of [`Store`](crate::Store).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use leadwire_core::activity::ActivityType;

use crate::error::StoreResult;
use crate::journeys::CanvasEntry;

/// The width of an activity-count bucket.
pub const ACTIVITY_BUCKET: TimeDelta = TimeDelta::minutes(5);

/// The most entries [`StatsReads::canvas_entries_at`] returns.
pub const MAX_ENTRIES_AT: u32 = 1000;

/// The start of the bucket holding `time`, in microseconds since the epoch.
pub(crate) fn bucket_micros(time_micros: i64) -> i64 {
    let width = ACTIVITY_BUCKET.num_microseconds().unwrap_or(1);
    time_micros - time_micros.rem_euclid(width)
}

/// Which activity counts to read: every bucket that overlaps `[since, until)`, narrowed by
/// the filters that are set (a filter set to the empty string matches nothing). The step
/// filter is meant to go with the canvas filter; alone it matches that step name in every
/// canvas.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityCountQuery {
    pub since: DateTime<Utc>,
    /// No end when `None`.
    pub until: Option<DateTime<Utc>>,
    pub campaign: Option<String>,
    pub canvas: Option<String>,
    pub step: Option<String>,
    pub template: Option<String>,
}

impl ActivityCountQuery {
    /// Every entry since `since`.
    pub fn since(since: DateTime<Utc>) -> Self {
        Self {
            since,
            until: None,
            campaign: None,
            canvas: None,
            step: None,
            template: None,
        }
    }
}

/// How many entries of one type one bucket holds (summed over the keys not filtered on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityCount {
    /// The start of the 5-minute bucket.
    pub bucket: DateTime<Utc>,
    pub activity_type: ActivityType,
    pub count: u64,
}

/// The counters of one canvas, step by step (ordered by step name, then path).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CanvasCounts {
    pub steps: Vec<StepCounts>,
    pub paths: Vec<PathCount>,
}

/// One step's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepCounts {
    pub step: String,
    /// Arrivals at the step; an entry that comes back arrives again.
    pub entered: u64,
    /// Entries at the step now.
    pub present: u64,
    /// Entries that left the canvas from the step.
    pub exited: u64,
}

/// How many times entries left one step down one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathCount {
    pub step: String,
    pub path: String,
    pub taken: u64,
}

/// How many entries a canvas had on one day (UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCount {
    pub day: NaiveDate,
    pub count: u64,
}

/// The console's and the REST API's reads: counters and indexed lists, never a scan of the
/// log.
#[async_trait]
pub trait StatsReads {
    /// Entries per bucket and type, ordered by bucket (then type name).
    async fn activity_counts(&self, query: &ActivityCountQuery) -> StoreResult<Vec<ActivityCount>>;

    /// The counters of the canvas with this api id (empty when nothing was counted).
    async fn canvas_counts(&self, canvas: &str) -> StoreResult<CanvasCounts>;

    /// Entries into the canvas with this api id per day, from `first` to `last` (UTC days,
    /// both included), oldest first; days without entries are left out. A primary-key
    /// range read.
    async fn canvas_entry_days(
        &self,
        canvas: &str,
        first: NaiveDate,
        last: NaiveDate,
    ) -> StoreResult<Vec<DayCount>>;

    /// The most recent entries at `step` (newest arrival first), from an index; at most
    /// `limit`, and never more than [`MAX_ENTRIES_AT`].
    async fn canvas_entries_at(
        &self,
        canvas: &str,
        step: &str,
        limit: u32,
    ) -> StoreResult<Vec<CanvasEntry>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_start_on_five_minute_boundaries() {
        let width = 300_000_000;
        assert_eq!(bucket_micros(0), 0);
        assert_eq!(bucket_micros(width - 1), 0);
        assert_eq!(bucket_micros(width), width);
        assert_eq!(bucket_micros(7 * width + 12), 7 * width);
        assert_eq!(
            bucket_micros(-1),
            -width,
            "before the epoch rounds down too"
        );
    }
}
