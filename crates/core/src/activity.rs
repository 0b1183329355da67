//! The message activity log's entries: every send attempt, error and abort, with enough
//! context to find out why a webhook failed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The entry types, named as in Braze's Message Activity Log filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityType {
    /// The webhook was delivered (2xx).
    Success,
    /// The webhook failed: an error status, a connection error, or a refused URL.
    WebhookError,
    /// A `connected_content` call failed while the message was rendered.
    ConnectedContentError,
    /// The message was aborted by `abort_message` or could not be rendered.
    AbortedMessage,
    /// The message is waiting, not sent: e.g. held at a connection's Salesforce API budget
    /// floor. It is neither sent nor an error; its send gets its own entry when it goes out.
    Deferred,
}

impl ActivityType {
    pub const ALL: [ActivityType; 5] = [
        Self::Success,
        Self::WebhookError,
        Self::ConnectedContentError,
        Self::AbortedMessage,
        Self::Deferred,
    ];

    /// The stable name used in the API, the CLI and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::WebhookError => "webhook_error",
            Self::ConnectedContentError => "connected_content_error",
            Self::AbortedMessage => "aborted_message",
            Self::Deferred => "deferred",
        }
    }

    /// The inverse of [`ActivityType::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// Whether an entry of this type is a message that went out, delivered or not (an
    /// aborted or deferred message was not sent): what [`Outcomes::sent`] counts.
    pub fn counts_as_sent(self) -> bool {
        !matches!(self, Self::AbortedMessage | Self::Deferred)
    }
}

/// A count per activity type, and what the console and the REST API's data series call
/// sent, delivered, errors and aborted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcomes([u64; 5]);

fn slot(kind: ActivityType) -> usize {
    match kind {
        ActivityType::Success => 0,
        ActivityType::WebhookError => 1,
        ActivityType::ConnectedContentError => 2,
        ActivityType::AbortedMessage => 3,
        ActivityType::Deferred => 4,
    }
}

impl Outcomes {
    pub fn add(&mut self, kind: ActivityType, count: u64) {
        let total = &mut self.0[slot(kind)];
        *total = total.saturating_add(count);
    }

    pub fn get(&self, kind: ActivityType) -> u64 {
        self.0[slot(kind)]
    }

    pub fn delivered(&self) -> u64 {
        self.get(ActivityType::Success)
    }

    /// Webhook and Connected Content errors.
    pub fn errors(&self) -> u64 {
        self.get(ActivityType::WebhookError) + self.get(ActivityType::ConnectedContentError)
    }

    pub fn aborted(&self) -> u64 {
        self.get(ActivityType::AbortedMessage)
    }

    /// Every attempt that was sent, delivered or not (aborted messages were not sent).
    pub fn sent(&self) -> u64 {
        ActivityType::ALL
            .into_iter()
            .filter(|kind| kind.counts_as_sent())
            .map(|kind| self.get(kind))
            .sum()
    }

    /// Every entry of every type.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &Outcomes) {
        for kind in ActivityType::ALL {
            self.add(kind, other.get(kind));
        }
    }
}

/// What sent the message: a campaign, or a step of a canvas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MessageSource {
    Campaign {
        campaign: String,
    },
    Canvas {
        canvas: String,
        step: String,
    },
    /// A replay started by a person.
    Manual,
    /// A `POST /messages/send` that names no campaign.
    Api,
    /// A test send from the console's template page (Braze's `[TEST SEND]`), started by
    /// the holder of the API key named `operator`. It counts toward no campaign or canvas.
    Test {
        operator: String,
    },
}

impl MessageSource {
    /// What kind of source this is: `campaign`, `canvas`, `manual`, `api` or `test`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Campaign { .. } => "campaign",
            Self::Canvas { .. } => "canvas",
            Self::Manual => "manual",
            Self::Api => "api",
            Self::Test { .. } => "test",
        }
    }

    pub fn is_test(&self) -> bool {
        matches!(self, Self::Test { .. })
    }
}

/// The request as it is kept: secrets already redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// The body as sent, redacted, then cut at 20 KB; `None` for a request without a body
    /// (and on entries recorded before bodies were kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// The response as it is kept: the body cut at 20 KB, secrets redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// The properties a send was triggered with, kept on its failure entries so a replay
/// renders `event_properties`, `api_trigger_properties` and `canvas_entry_properties` as
/// the original send did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TriggerProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_properties: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_trigger_properties: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canvas_entry_properties: Option<serde_json::Map<String, serde_json::Value>>,
}

impl TriggerProperties {
    /// True when the send had no trigger properties at all.
    pub fn is_empty(&self) -> bool {
        self.event_properties.is_none()
            && self.api_trigger_properties.is_none()
            && self.canvas_entry_properties.is_none()
    }
}

/// One activity-log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityEntry {
    pub id: Uuid,
    pub time: DateTime<Utc>,
    pub activity_type: ActivityType,
    pub source: MessageSource,
    /// The profile's internal id.
    pub user_id: Uuid,
    /// The profile's external id at the time of the send, when it had one.
    pub external_id: Option<String>,
    pub template: String,
    /// The vendor's error body, `<url> is not a valid URL`, the abort reason, or a summary.
    pub message: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The HTTP status, real or synthetic (598 host paused, 599 connection error).
    pub status: Option<u16>,
    pub duration_ms: u64,
    pub request: Option<RecordedRequest>,
    pub response: Option<RecordedResponse>,
    /// The send this attempt belongs to; every attempt of one send shares it.
    pub send_id: Uuid,
    /// Braze's `send_id` the send is tracked under (`/sends/data_series`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_send_id: Option<String>,
    /// The send's trigger properties, on entries of sends that did not succeed (what a
    /// replay needs); `None` on success entries and for sends without properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_properties: Option<TriggerProperties>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_round_trip() {
        for kind in ActivityType::ALL {
            assert_eq!(ActivityType::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ActivityType::parse("push_error"), None);
    }

    #[test]
    fn a_request_recorded_without_a_body_still_reads() {
        let old = r#"{"method":"POST","url":"https://x.example/lead","headers":[["Content-Type","application/json"]]}"#;
        let request: RecordedRequest = serde_json::from_str(old).expect("an old request reads");
        assert_eq!(request.body, None);
        assert_eq!(
            serde_json::to_string(&request).expect("serializable"),
            old,
            "no body, no key"
        );
        let with_body = RecordedRequest {
            body: Some(r#"{"LastName":"Ada"}"#.into()),
            ..request
        };
        let json = serde_json::to_string(&with_body).expect("serializable");
        assert_eq!(
            serde_json::from_str::<RecordedRequest>(&json).expect("reads back"),
            with_body
        );
    }

    #[test]
    fn source_serializes_with_a_kind_tag() {
        let source = MessageSource::Canvas {
            canvas: "lead_scoring".into(),
            step: "update_lead".into(),
        };
        let json = serde_json::to_value(&source).expect("serializable");
        assert_eq!(
            json,
            serde_json::json!({"kind": "canvas", "canvas": "lead_scoring", "step": "update_lead"})
        );
    }

    #[test]
    fn a_test_send_is_its_own_kind() {
        let source = MessageSource::Test {
            operator: "operators".into(),
        };
        let json = serde_json::to_value(&source).expect("serializable");
        assert_eq!(
            json,
            serde_json::json!({"kind": "test", "operator": "operators"})
        );
        assert_eq!(
            serde_json::from_value::<MessageSource>(json).ok(),
            Some(source.clone())
        );
        assert_eq!(source.kind(), "test");
        assert!(source.is_test() && !MessageSource::Manual.is_test());
    }
}
