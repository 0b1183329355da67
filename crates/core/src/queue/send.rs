//! The send task: the contract between the workers that decide to send a webhook
//! (campaigns, canvas Message steps, API triggers, replays) and the delivery worker.
//!
//! A send task names a webhook template and a user; the template is rendered at send time,
//! against the profile as it is then. Every attempt of one send shares its `send_id`, which
//! is also sent as the idempotency header so a receiver can drop repeats.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::message::AdHocWebhook;
use super::{Queue, Task};
use crate::activity::MessageSource;

/// A task to enqueue when a send is finished. Stored as `{"queue": …, "payload": …}`: the
/// queue's name and the task's body.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "StoredFollowUp")]
pub struct FollowUp {
    pub task: Box<Task>,
}

impl FollowUp {
    pub fn new(task: impl Into<Task>) -> Self {
        Self {
            task: Box::new(task.into()),
        }
    }
}

/// A follow-up as read back.
#[derive(Deserialize)]
struct StoredFollowUp {
    queue: Queue,
    payload: Value,
}

impl TryFrom<StoredFollowUp> for FollowUp {
    type Error = serde_json::Error;

    fn try_from(stored: StoredFollowUp) -> Result<Self, Self::Error> {
        Task::from_body(stored.queue, stored.payload).map(Self::new)
    }
}

impl Serialize for FollowUp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Stored<'a> {
            queue: Queue,
            payload: &'a Task,
        }
        Stored {
            queue: self.task.queue(),
            payload: &self.task,
        }
        .serialize(serializer)
    }
}

/// One webhook to send to one user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendTask {
    /// Stable across every attempt of this send.
    pub send_id: Uuid,
    /// Braze's `send_id` the send is tracked under (an API campaign's, for
    /// `/sends/data_series`); not this send's own id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_send_id: Option<String>,
    /// The profile's internal id.
    pub user_id: Uuid,
    /// The webhook template's name in config.
    pub template: String,
    pub source: MessageSource,
    /// When the send was decided (not when it runs).
    pub created_at: DateTime<Utc>,
    /// Properties of the custom event that triggered it: `event_properties.${…}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_properties: Option<Map<String, Value>>,
    /// `api_trigger_properties.${…}` from `/campaigns/trigger/send`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_trigger_properties: Option<Map<String, Value>>,
    /// `canvas_entry_properties.${…}` / `context.${…}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canvas_entry_properties: Option<Map<String, Value>>,
    /// Enqueued in the same transaction that records the send's final outcome (delivered,
    /// failed for good, or aborted), e.g. the canvas step that follows a Message step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUp>,
    /// The webhook itself, when the request gave it (`POST /messages/send`) rather than a
    /// template of the config; `template` then only labels the send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<Box<AdHocWebhook>>,
}
