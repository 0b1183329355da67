//! What filters need to know about a user's past events, behind a trait the store implements.
//!
//! Filter evaluation is synchronous and pure. A worker on an async store first asks
//! [`required_event_counts`](super::Filter::required_event_counts) which counts a filter
//! needs, fetches them, and hands them over as [`EventCounts`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Counts of a user's custom events.
pub trait EventHistory {
    /// How many times `user` performed the custom event `name` at or after `since`.
    fn count_events(&self, user: Uuid, name: &str, since: DateTime<Utc>) -> u64;
}

/// An event history with no events, for filters that need none.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEvents;

impl EventHistory for NoEvents {
    fn count_events(&self, _user: Uuid, _name: &str, _since: DateTime<Utc>) -> u64 {
        0
    }
}

/// Pre-fetched counts keyed by (event name, window start). A missing entry counts as zero.
#[derive(Debug, Clone, Default)]
pub struct EventCounts {
    counts: HashMap<(String, DateTime<Utc>), u64>,
}

impl EventCounts {
    pub fn insert(&mut self, name: &str, since: DateTime<Utc>, count: u64) {
        self.counts.insert((name.to_owned(), since), count);
    }
}

impl EventHistory for EventCounts {
    fn count_events(&self, _user: Uuid, name: &str, since: DateTime<Utc>) -> u64 {
        self.counts
            .get(&(name.to_owned(), since))
            .copied()
            .unwrap_or(0)
    }
}

/// A list of timestamped events, for tests and small in-memory histories.
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    pub events: Vec<(String, DateTime<Utc>)>,
}

impl EventHistory for EventLog {
    fn count_events(&self, _user: Uuid, name: &str, since: DateTime<Utc>) -> u64 {
        let matching = self
            .events
            .iter()
            .filter(|(event, time)| event == name && *time >= since)
            .count();
        u64::try_from(matching).unwrap_or(u64::MAX)
    }
}
