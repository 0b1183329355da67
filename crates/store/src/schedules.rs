//! Scheduled API sends (`/campaigns/trigger/schedule/*`, `/canvas/trigger/schedule/*`,
//! `/messages/schedule/*`): one row a schedule, holding the request as sent and its
//! `schedule` object. The row is written in the transaction that enqueues its job on
//! [`Queue::Schedules`](leadwire_core::queue::Queue::Schedules); an update bumps its
//! `version` (older jobs then do nothing), a delete removes it, and the job that sends
//! the last part removes it in the transaction of the send.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use leadwire_core::schedule::Schedule;
use serde_json::{Map, Value};

use crate::error::StoreResult;

/// What a schedule sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleKind {
    /// `/campaigns/trigger/schedule/create`: an API-triggered campaign.
    Campaign,
    /// `/canvas/trigger/schedule/create`: an API-triggered canvas.
    Canvas,
    /// `/messages/schedule/create`: an ad-hoc message.
    Messages,
}

impl ScheduleKind {
    /// The name stored in the `kind` column.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Campaign => "campaign",
            Self::Canvas => "canvas",
            Self::Messages => "messages",
        }
    }

    /// The inverse of [`ScheduleKind::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Campaign, Self::Canvas, Self::Messages]
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

/// One schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiSchedule {
    /// `schedule_id`, as answered to the create call.
    pub id: String,
    pub kind: ScheduleKind,
    /// The campaign's or canvas's api id; for a message, its `campaign_id` if any.
    pub target: Option<String>,
    pub dispatch_id: String,
    /// The `send_id` the sends are counted under, if any.
    pub send_id: Option<String>,
    /// The request body as sent, without its `schedule`.
    pub body: Map<String, Value>,
    pub schedule: Schedule,
    /// Bumped by every update; a job of another version does nothing.
    pub version: i64,
    /// Jobs of this version still to run (a local-time schedule sends in parts).
    pub parts_left: i64,
    pub created_at: DateTime<Utc>,
}

/// Reads outside a transaction.
#[async_trait]
pub trait ScheduleReads {
    /// Up to `limit` schedules whose first send is at or before `end`, soonest first.
    async fn schedules_due_by(
        &self,
        end: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ApiSchedule>>;
}

/// Reads and writes inside a transaction; a schedule read here is locked on PostgreSQL.
#[async_trait]
pub trait ScheduleWrites {
    async fn schedule(&mut self, id: &str) -> StoreResult<Option<ApiSchedule>>;

    /// Inserts or replaces the schedule.
    async fn save_schedule(&mut self, schedule: &ApiSchedule) -> StoreResult<()>;

    /// Removes the schedule; whether there was one.
    async fn delete_schedule(&mut self, id: &str) -> StoreResult<bool>;
}
