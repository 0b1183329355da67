//! Braze's send ids ([`leadwire_core::send_id`]): the `campaign_id` + `send_id` pairs
//! `POST /sends/id/create` registers, at most a daily limit of new ones per UTC day, and
//! the per-day figures of one tracked send that `GET /sends/data_series` answers with, read
//! from the activity log through its index on the tracking send id.
//!
//! [`SendIdStore`] is a supertrait of [`Store`](crate::Store).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use leadwire_core::activity::ActivityType;

use crate::error::StoreResult;
use crate::stats::DayCount;

/// What registering a pair did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendIdOutcome {
    /// A new pair, counted toward the day's limit.
    Created,
    /// The pair was registered before; nothing counted.
    AlreadyRegistered,
    /// A new pair, refused: the day's limit is reached.
    OverDailyLimit,
}

/// A registration's outcome and the new pairs registered so far on its UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendIdRegistration {
    pub outcome: SendIdOutcome,
    pub created_today: u32,
}

/// Which tracked send to read: the entries of campaign `campaign` (its name, as the log
/// records it) tracked under `send_id`, at or after `since` and before `until`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedSendQuery {
    pub campaign: String,
    pub send_id: String,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// How many entries of one type one UTC day holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackedSendCount {
    pub day: NaiveDate,
    pub activity_type: ActivityType,
    pub count: u64,
}

/// A tracked send's figures per UTC day, oldest first; days without entries are left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrackedSendSeries {
    pub counts: Vec<TrackedSendCount>,
    /// Distinct users a message went out to each day (the entry types that
    /// [`ActivityType::counts_as_sent`]).
    pub recipients: Vec<DayCount>,
}

#[async_trait]
pub trait SendIdStore {
    /// Registers `campaign_id` + `send_id` at `now`, unless it is new and `daily_limit`
    /// new pairs were already registered on the UTC day of `now`.
    async fn register_send_id(
        &self,
        campaign_id: &str,
        send_id: &str,
        daily_limit: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<SendIdRegistration>;

    /// The figures of one tracked send per UTC day.
    async fn tracked_send_series(&self, query: &TrackedSendQuery)
    -> StoreResult<TrackedSendSeries>;
}
