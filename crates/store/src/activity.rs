//! The message activity log's storage types: filters, pages and cursors, and how a leased
//! job ends inside the transaction that records its outcome.
//!
//! Entries are listed newest first. A page's `next` cursor continues to older entries
//! (`before`); `after` asks for entries newer than a cursor, which is how `--follow` polls.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use leadwire_core::activity::{ActivityEntry, ActivityType};
use uuid::Uuid;

/// The largest page the store returns.
pub const MAX_ACTIVITY_PAGE: u32 = 1000;

/// Filters of an activity-log query. Empty filters match everything.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ActivityQuery {
    pub activity_type: Option<ActivityType>,
    pub campaign: Option<String>,
    pub canvas: Option<String>,
    pub step: Option<String>,
    /// A profile's internal id or its external id.
    pub user: Option<String>,
    pub status: Option<u16>,
    /// Entries at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Every attempt of one send.
    pub send_id: Option<Uuid>,
    /// Entries older than this cursor (the next page).
    pub before: Option<ActivityCursor>,
    /// Entries newer than this cursor (following the log).
    pub after: Option<ActivityCursor>,
    /// At most this many entries; 0 or more than [`MAX_ACTIVITY_PAGE`] means the maximum.
    pub limit: u32,
}

impl ActivityQuery {
    pub fn page_size(&self) -> u32 {
        if self.limit == 0 || self.limit > MAX_ACTIVITY_PAGE {
            MAX_ACTIVITY_PAGE
        } else {
            self.limit
        }
    }
}

/// One page of entries, newest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ActivityPage {
    pub entries: Vec<ActivityEntry>,
    /// Where the next (older) page starts, when there may be one.
    pub next: Option<ActivityCursor>,
}

/// A position in the log: an entry's time and id. Written as `MICROS_ID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityCursor {
    pub time_micros: i64,
    pub id: Uuid,
}

impl ActivityCursor {
    pub fn of(entry: &ActivityEntry) -> Self {
        Self {
            time_micros: entry.time.timestamp_micros(),
            id: entry.id,
        }
    }
}

impl fmt::Display for ActivityCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.time_micros, self.id.simple())
    }
}

/// Why a cursor could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an activity cursor; pass the `next` value of a previous page")]
pub struct InvalidCursor(pub String);

impl FromStr for ActivityCursor {
    type Err = InvalidCursor;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidCursor(text.to_owned());
        let (micros, id) = text.split_once('_').ok_or_else(invalid)?;
        Ok(Self {
            time_micros: micros.parse().map_err(|_| invalid())?,
            id: id.parse().map_err(|_| invalid())?,
        })
    }
}

/// How a leased job ends, written in the same transaction as its activity entries.
#[derive(Debug, Clone, PartialEq)]
pub enum JobFinish {
    /// Done: the job is removed.
    Complete,
    /// Try again at `at`; this claim counted as an attempt.
    RetryAt { at: DateTime<Utc>, error: String },
    /// Run again at `at` without counting this claim as an attempt (nothing was sent: the
    /// host or connection was paused).
    Defer { at: DateTime<Utc>, reason: String },
    /// Failed for good; kept for inspection.
    Fail { error: String, now: DateTime<Utc> },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let cursor = ActivityCursor {
            time_micros: 1_800_000_000_000_000,
            id: Uuid::from_u128(42),
        };
        assert_eq!(cursor.to_string().parse::<ActivityCursor>(), Ok(cursor));
        for junk in ["", "12", "x_y", "12_not-a-uuid"] {
            assert!(junk.parse::<ActivityCursor>().is_err(), "{junk}");
        }
    }

    #[test]
    fn page_size_is_bounded() {
        let mut query = ActivityQuery::default();
        assert_eq!(query.page_size(), MAX_ACTIVITY_PAGE);
        query.limit = 20;
        assert_eq!(query.page_size(), 20);
        query.limit = 1_000_000;
        assert_eq!(query.page_size(), MAX_ACTIVITY_PAGE);
    }
}
