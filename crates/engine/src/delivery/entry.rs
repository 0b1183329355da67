//! Activity-log entries for one send: every attempt and abort, with the request (its body
//! included) and the response redacted before they are kept, and (on entries of sends that
//! did not succeed) the send's trigger properties, so a replay renders as the original did.

use chrono::{DateTime, Utc};
use leadwire_core::activity::{
    ActivityEntry, ActivityType, RecordedRequest, RecordedResponse, TriggerProperties,
};
use leadwire_core::queue::SendTask;
use uuid::Uuid;

use super::http::{AttemptResult, OutboundRequest, RESPONSE_BODY_LIMIT};
use super::redact::Redactor;

/// Makes the entries of one claimed send.
pub struct EntryMaker<'a> {
    pub task: &'a SendTask,
    pub external_id: Option<String>,
    pub attempt: u32,
    pub redactor: &'a Redactor,
}

impl EntryMaker<'_> {
    /// An entry without a request (an abort, a render error, a refused URL).
    pub fn note(&self, kind: ActivityType, message: &str, now: DateTime<Utc>) -> ActivityEntry {
        self.entry(kind, self.redactor.text(message), None, 0, now)
    }

    /// An entry for an attempt that was made (or simulated, as 598).
    pub fn attempt(
        &self,
        kind: ActivityType,
        message: &str,
        request: &OutboundRequest,
        result: &AttemptResult,
        now: DateTime<Utc>,
    ) -> ActivityEntry {
        let mut entry = self.entry(
            kind,
            self.redactor.body(message),
            Some(result.status),
            u64::try_from(result.duration.as_millis()).unwrap_or(u64::MAX),
            now,
        );
        entry.request = Some(RecordedRequest {
            method: request.method.as_str().to_owned(),
            url: self.redactor.url(&request.url),
            headers: request
                .headers
                .iter()
                .map(|(name, value)| (name.clone(), self.redactor.header(name, value)))
                .collect(),
            body: request.body.as_deref().map(|body| self.request_body(body)),
        });
        entry.response = result.error.is_none().then(|| RecordedResponse {
            status: result.status,
            headers: result
                .headers
                .iter()
                .map(|(name, value)| (name.clone(), self.redactor.header(name, value)))
                .collect(),
            body: self.redactor.body(&result.body),
        });
        entry
    }

    /// A request body fit to keep: redacted whole (so a JSON or form body is redacted by
    /// field name however long it is), then cut at [`RESPONSE_BODY_LIMIT`] on a character
    /// boundary, the size a response body is kept at.
    fn request_body(&self, body: &str) -> String {
        let mut kept = self.redactor.body(body);
        kept.truncate(kept.floor_char_boundary(RESPONSE_BODY_LIMIT));
        kept
    }

    fn entry(
        &self,
        kind: ActivityType,
        message: String,
        status: Option<u16>,
        duration_ms: u64,
        now: DateTime<Utc>,
    ) -> ActivityEntry {
        ActivityEntry {
            id: Uuid::now_v7(),
            time: now,
            activity_type: kind,
            source: self.task.source.clone(),
            user_id: self.task.user_id,
            external_id: self.external_id.clone(),
            template: self.task.template.clone(),
            message,
            attempt: self.attempt,
            status,
            duration_ms,
            request: None,
            response: None,
            send_id: self.task.send_id,
            tracking_send_id: self.task.tracking_send_id.clone(),
            trigger_properties: self.trigger_properties(kind),
        }
    }
}

impl EntryMaker<'_> {
    /// What a replay needs to render as this send did; kept on entries of sends that did
    /// not succeed, since only those can be replayed.
    fn trigger_properties(&self, kind: ActivityType) -> Option<TriggerProperties> {
        if kind == ActivityType::Success {
            return None;
        }
        let properties = TriggerProperties {
            event_properties: self.task.event_properties.clone(),
            api_trigger_properties: self.task.api_trigger_properties.clone(),
            canvas_entry_properties: self.task.canvas_entry_properties.clone(),
        };
        (!properties.is_empty()).then_some(properties)
    }
}

/// The message of a failed attempt: the vendor's body, or the connection error, or the
/// status when the body is empty.
pub fn failure_message(result: &AttemptResult) -> String {
    if let Some(error) = &result.error {
        return error.clone();
    }
    if result.body.trim().is_empty() {
        return format!("HTTP {}", result.status);
    }
    result.body.clone()
}

#[cfg(test)]
mod redaction;
