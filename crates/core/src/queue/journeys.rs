//! The tasks the journey workers enqueue for themselves: canvas steps, delayed campaign
//! sends, pages of broadcast sends and scheduled API sends.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::message::AdHocMessage;
use crate::config::RequestAudience;
use crate::schedule::Schedule;

/// Advance one canvas entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CanvasTask {
    pub entry_id: Uuid,
    /// The entry's user: the worker locks the profile before the entry, in the same order
    /// as the trigger worker, so the two never deadlock on PostgreSQL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Uuid>,
    /// The number of steps the entry had completed when the task was enqueued. A task whose
    /// entry has moved on since (a window-expiry timer after an action advanced the user)
    /// is stale and does nothing.
    pub seq: usize,
    /// The send of the Message step the entry waits at has finished (delivered, failed for
    /// good, or aborted): the user advances past it.
    #[serde(default)]
    pub message_finished: bool,
}

/// A campaign send decided at trigger time and carried out at `run_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignTask {
    /// The campaign's api id.
    pub campaign: String,
    pub user_id: Uuid,
    /// When the trigger happened; an exception event after it cancels the send.
    pub triggered_at: DateTime<Utc>,
    /// When the send was due; the rate limit aborts it 72 hours after.
    pub scheduled_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_properties: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_trigger_properties: Option<Map<String, Value>>,
    /// Braze's `send_id` the send is tracked under, if the trigger gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_send_id: Option<String>,
}

/// What a broadcast triggers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BroadcastTarget {
    Campaign,
    Canvas,
    /// A `POST /messages/send` broadcast: [`BroadcastTask::message`] to every profile.
    Message,
}

/// One page of a broadcast (`broadcast: true`, no recipients): the campaign sends to, or
/// the canvas enters, every profile after `after` (in id order) that its audience admits.
/// A full page enqueues the next one in the same transaction, so a broadcast over any
/// number of profiles resumes where it was after a restart.
///
/// With `local`, the page reaches each profile at its own instant of that schedule: those
/// due already now, the others through a part (`users`) enqueued for each later instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BroadcastTask {
    pub target: BroadcastTarget,
    /// The campaign's or canvas's api id.
    pub id: String,
    pub dispatch_id: String,
    /// `trigger_properties` or `context`.
    #[serde(default)]
    pub properties: Map<String, Value>,
    /// The last profile id of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Uuid>,
    /// What a [`BroadcastTarget::Message`] broadcast sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<AdHocMessage>,
    /// Braze's `send_id` every send of a campaign broadcast is tracked under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_send_id: Option<String>,
    /// The request's `segment_id` and `audience`: only the profiles they admit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Box<RequestAudience>>,
    /// A local-time schedule (`in_local_time`, `at_optimal_time`) the page follows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<Schedule>,
    /// A part of a local-time broadcast: exactly these profiles, due at this job's time,
    /// instead of a page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<Uuid>>,
}

/// A scheduled API send (`/campaigns/trigger/schedule/create` and friends) coming due.
/// The schedule itself is a row of its own; a task whose `version` is not the row's (the
/// schedule was replaced since) or whose row is gone (deleted, or sent) does nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleTask {
    pub schedule_id: String,
    pub version: i64,
    /// A local-time schedule's part: the indices of the recipients (a message's users)
    /// due at this job's time. Absent: the schedule's first job, which sends to everyone due and enqueues a
    /// part for each later instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipients: Option<Vec<usize>>,
}
