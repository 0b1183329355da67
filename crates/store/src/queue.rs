//! The durable job queue's types: payloads and claimed jobs. Trigger jobs carry core's
//! [`UserTrigger`].
//!
//! Jobs live in the `jobs` table of the same database as profiles. Trigger jobs are written
//! only by [`StoreTransaction::save_profiles`](crate::StoreTransaction::save_profiles),
//! [`record_events`](crate::StoreTransaction::record_events) and
//! [`record_purchases`](crate::StoreTransaction::record_purchases), inside the transaction of
//! the write that caused them; other work is enqueued with
//! [`StoreTransaction::enqueue`](crate::StoreTransaction::enqueue), also inside a transaction.
//!
//! A worker calls [`Store::claim`](crate::Store::claim), which leases up to N ready jobs
//! (`run_at <= now`, not failed, lease absent or expired) and counts an attempt; then
//! [`complete`](crate::Store::complete), [`fail`](crate::Store::fail) or
//! [`retry_at`](crate::Store::retry_at) with the lease token. A worker that crashes lets its
//! lease expire, and the job is claimed again.

use chrono::{DateTime, Utc};
use leadwire_core::trigger::UserTrigger;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// The queue trigger jobs are written to.
pub const TRIGGER_QUEUE: &str = "triggers";

/// What a job carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "body", rename_all = "snake_case")]
pub enum JobPayload {
    /// One trigger: an event, a purchase, or a profile write that caused a single trigger.
    Trigger(UserTrigger),
    /// The triggers of one profile write (email added first, then the custom attribute
    /// changes in their order), all of one user. They are handled in order, in one
    /// transaction, atomically: with the effects the same triggers would have as separate
    /// jobs handled one after another in one batch, and the job completed once. A profile
    /// write costs one job row, however many triggers it causes.
    Triggers(Vec<UserTrigger>),
    /// Work enqueued by a worker (a canvas step, a delivery): the owner's own serialised type.
    Task(Value),
}

impl JobPayload {
    /// The user the job is about: a trigger's user, or a task's `user_id` field (every
    /// per-user task names its user so; a batch reads their profiles up front).
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Self::Trigger(trigger) => Some(trigger.user_id),
            Self::Triggers(triggers) => triggers.first().map(|trigger| trigger.user_id),
            Self::Task(task) => task.get("user_id")?.as_str()?.parse().ok(),
        }
    }

    /// The triggers a trigger job carries, in the order they are handled; `None` for a task.
    pub fn triggers(&self) -> Option<&[UserTrigger]> {
        match self {
            Self::Trigger(trigger) => Some(std::slice::from_ref(trigger)),
            Self::Triggers(triggers) => Some(triggers),
            Self::Task(_) => None,
        }
    }
}

/// A task to enqueue on a named queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    pub queue: String,
    pub payload: Value,
    pub run_at: DateTime<Utc>,
}

/// A job leased to a worker.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedJob {
    pub id: i64,
    pub queue: String,
    pub payload: JobPayload,
    /// Attempts so far, including this one.
    pub attempts: u32,
    pub run_at: DateTime<Utc>,
    /// Proves the lease in `complete`/`fail`/`retry_at`.
    pub lease_token: Uuid,
    pub lease_until: DateTime<Utc>,
}

/// A job that failed for good, for inspection.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedJob {
    pub id: i64,
    pub queue: String,
    pub attempts: u32,
    pub last_error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadwire_core::trigger::TriggerEvent;
    use serde_json::json;

    #[test]
    fn payloads_keep_their_stored_form() {
        let user_id = Uuid::nil();
        let email = || UserTrigger {
            user_id,
            event: TriggerEvent::EmailAdded {
                email: "a@example.com".into(),
            },
        };
        let stored_email =
            json!({"trigger": "email_added", "user_id": user_id, "email": "a@example.com"});
        // Rows written before several triggers could share a job still parse.
        let single: JobPayload =
            serde_json::from_value(json!({"type": "trigger", "body": stored_email}))
                .expect("a single-trigger row");
        assert_eq!(single, JobPayload::Trigger(email()));
        let several = JobPayload::Triggers(vec![email(), email()]);
        assert_eq!(
            serde_json::to_value(&several).expect("serialisable"),
            json!({"type": "triggers", "body": [stored_email, stored_email]})
        );
        assert_eq!(several.user_id(), Some(user_id));
        assert_eq!(several.triggers().map(<[UserTrigger]>::len), Some(2));
        assert_eq!(JobPayload::Task(json!({})).triggers(), None);
    }
}
