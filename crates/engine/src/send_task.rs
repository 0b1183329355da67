//! The send task: the contract between the workers that decide to send a webhook
//! (campaigns, canvas Message steps, API triggers, replays) and the delivery worker.
//!
//! A send task names a webhook template and a user; the template is rendered at send time,
//! against the profile as it is then. Every attempt of one send shares its `send_id`, which
//! is also sent as the idempotency header so a receiver can drop repeats.

use chrono::{DateTime, Utc};
use leadwire_core::activity::MessageSource;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// The queue send tasks are enqueued on.
pub const SEND_QUEUE: &str = "sends";

/// The header that carries a send's stable id on every attempt.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// A task to enqueue when a send is finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUp {
    pub queue: String,
    pub payload: Value,
}

/// One webhook to send to one user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendTask {
    /// Stable across every attempt of this send.
    pub send_id: Uuid,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_send_task_round_trips_through_json() {
        let task = SendTask {
            send_id: Uuid::nil(),
            user_id: Uuid::nil(),
            template: "create_lead".into(),
            source: MessageSource::Campaign {
                campaign: "new_lead".into(),
            },
            created_at: DateTime::from_timestamp(1_800_000_000, 0).expect("valid time"),
            event_properties: None,
            api_trigger_properties: None,
            canvas_entry_properties: None,
            follow_up: Some(FollowUp {
                queue: "canvas".into(),
                payload: serde_json::json!({"step": "next"}),
            }),
        };
        let json = serde_json::to_value(&task).expect("serializable");
        assert!(json.get("event_properties").is_none());
        let back: SendTask = serde_json::from_value(json).expect("deserializable");
        assert_eq!(back, task);
    }
}
