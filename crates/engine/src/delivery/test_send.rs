//! A test send: one template sent for real to one user, started from the console's
//! template page (Braze's "Send Test"). It goes the normal durable way, a send job that the
//! delivery worker renders, sends, retries and records like any other, but its source is
//! [`MessageSource::Test`]: its entries say "test" and it counts toward no campaign or
//! canvas (no receipt, no follow-up step).

use chrono::{DateTime, Utc};
use leadwire_core::activity::MessageSource;
use leadwire_core::queue::SendTask;
use leadwire_store::{Store, StoreError};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::replay::{Replayed, enqueue_now};

/// What to send, to whom, and who asked.
#[derive(Debug, Clone, Default)]
pub struct TestSend {
    pub template: String,
    /// The profile's internal id.
    pub user_id: Uuid,
    /// The name of the API key the operator logged in with.
    pub operator: String,
    pub event_properties: Option<Map<String, Value>>,
    pub api_trigger_properties: Option<Map<String, Value>>,
    pub canvas_entry_properties: Option<Map<String, Value>>,
}

/// Enqueues the test send, due now; returns its send id and job id.
pub async fn send_test(
    store: &dyn Store,
    test: TestSend,
    now: DateTime<Utc>,
) -> Result<Replayed, StoreError> {
    let task = SendTask {
        send_id: Uuid::now_v7(),
        tracking_send_id: None,
        user_id: test.user_id,
        template: test.template,
        source: MessageSource::Test {
            operator: test.operator,
        },
        created_at: now,
        event_properties: test.event_properties,
        api_trigger_properties: test.api_trigger_properties,
        canvas_entry_properties: test.canvas_entry_properties,
        follow_up: None,
        webhook: None,
    };
    let template = task.template.clone();
    let enqueued = enqueue_now(store, task, now).await?;
    tracing::info!(%template, send_id = %enqueued.send_id, job_id = enqueued.job_id, "test send enqueued");
    Ok(enqueued)
}
