//! Replaying a failed send from its activity-log entry: a new send of the same template to
//! the same user, enqueued now and rendered at send time like any other. It gets a new
//! `send_id` (a new idempotency key): the original attempt failed, so the receiver must not
//! drop the replay as a repeat.
//!
//! The entry keeps the send's trigger properties, so a template that reads
//! `event_properties`, `api_trigger_properties` or `canvas_entry_properties` renders them
//! as the original send did.

use chrono::{DateTime, Utc};
use leadwire_core::activity::ActivityType;
use leadwire_core::queue::SendTask;
use leadwire_store::{ActivityQuery, NewTask, Store, StoreError};
use uuid::Uuid;

/// Why a replay was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("there is no activity entry {0}")]
    NotFound(Uuid),
    #[error(
        "activity entry {0} records a delivered send; only failed or aborted sends are replayed"
    )]
    Delivered(Uuid),
    #[error(
        "the send of activity entry {entry} was delivered by a later attempt (entry {delivered}); replaying it would send it twice"
    )]
    DeliveredLater { entry: Uuid, delivered: Uuid },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The send a replay (or a test send) enqueued.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Replayed {
    pub send_id: Uuid,
    pub job_id: i64,
}

/// The success entry of send `send_id`, if an attempt of it was delivered.
async fn delivery_of(store: &dyn Store, send_id: Uuid) -> Result<Option<Uuid>, StoreError> {
    let query = ActivityQuery {
        activity_type: Some(ActivityType::Success),
        send_id: Some(send_id),
        limit: 1,
        ..ActivityQuery::default()
    };
    Ok(store
        .activity(&query)
        .await?
        .entries
        .first()
        .map(|entry| entry.id))
}

/// Enqueues a new send for the send recorded in entry `id`, unless that send was delivered.
pub async fn replay(
    store: &dyn Store,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Replayed, ReplayError> {
    let entry = store
        .activity_entry(id)
        .await?
        .ok_or(ReplayError::NotFound(id))?;
    if entry.activity_type == ActivityType::Success {
        return Err(ReplayError::Delivered(id));
    }
    if let Some(delivered) = delivery_of(store, entry.send_id).await? {
        return Err(ReplayError::DeliveredLater {
            entry: id,
            delivered,
        });
    }
    let properties = entry.trigger_properties.unwrap_or_default();
    let task = SendTask {
        send_id: Uuid::new_v4(),
        tracking_send_id: entry.tracking_send_id,
        user_id: entry.user_id,
        template: entry.template,
        source: entry.source,
        created_at: now,
        event_properties: properties.event_properties,
        api_trigger_properties: properties.api_trigger_properties,
        canvas_entry_properties: properties.canvas_entry_properties,
        follow_up: None,
        webhook: None,
    };
    let replayed = enqueue_now(store, task, now).await?;
    tracing::info!(entry = %id, send_id = %replayed.send_id, job_id = replayed.job_id, "send replayed");
    Ok(replayed)
}

/// Enqueues `task` on the sends queue, due `now`, in a transaction of its own.
pub(super) async fn enqueue_now(
    store: &dyn Store,
    task: SendTask,
    now: DateTime<Utc>,
) -> Result<Replayed, StoreError> {
    let send_id = task.send_id;
    let mut tx = store.begin().await?;
    let job_id = tx.enqueue(&NewTask::new(task, now)).await?;
    tx.commit().await?;
    Ok(Replayed { send_id, job_id })
}
