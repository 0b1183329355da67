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
//!
//! A row's payload is `{"type": "trigger" | "triggers" | "task", "body": …}`; a task's body
//! is the task's own JSON, and the row's `queue` column says which task it is
//! ([`JobPayload::read`]).

use chrono::{DateTime, Utc};
use leadwire_core::queue::{Queue, Task};
use leadwire_core::trigger::UserTrigger;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// What a job carries. A trigger job is on [`Queue::Triggers`], a task on its own queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// Work enqueued by a worker (a canvas step, a delivery).
    Task(Task),
}

/// A payload as stored, before its queue tells which task a task's body is.
#[derive(Deserialize)]
#[serde(tag = "type", content = "body", rename_all = "snake_case")]
enum StoredPayload {
    Trigger(UserTrigger),
    Triggers(Vec<UserTrigger>),
    Task(Value),
}

impl JobPayload {
    /// The payload of a row of `queue` stored as `json`. Fails when the JSON is not a
    /// payload, a task's body is not the task `queue` carries, or a trigger job is on
    /// another queue than [`Queue::Triggers`].
    pub fn read(queue: Queue, json: &str) -> Result<Self, serde_json::Error> {
        let payload = match serde_json::from_str(json)? {
            StoredPayload::Task(body) => Self::Task(Task::from_body(queue, body)?),
            StoredPayload::Trigger(_) | StoredPayload::Triggers(_) if queue != Queue::Triggers => {
                return Err(serde::de::Error::custom(format!(
                    "a trigger job on the {queue} queue"
                )));
            }
            StoredPayload::Trigger(trigger) => Self::Trigger(trigger),
            StoredPayload::Triggers(triggers) => Self::Triggers(triggers),
        };
        Ok(payload)
    }

    /// The user the job is about: a trigger's user, or a task's (a batch reads their
    /// profiles up front).
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Self::Trigger(trigger) => Some(trigger.user_id),
            Self::Triggers(triggers) => triggers.first().map(|trigger| trigger.user_id),
            Self::Task(task) => task.user_id(),
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

/// A task to enqueue on its queue, to run at `run_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    pub task: Task,
    pub run_at: DateTime<Utc>,
}

impl NewTask {
    pub fn new(task: impl Into<Task>, run_at: DateTime<Utc>) -> Self {
        Self {
            task: task.into(),
            run_at,
        }
    }

    /// The queue the task goes to.
    pub fn queue(&self) -> Queue {
        self.task.queue()
    }
}

/// A job leased to a worker.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedJob {
    pub id: i64,
    pub queue: Queue,
    pub payload: JobPayload,
    /// Attempts so far, including this one.
    pub attempts: u32,
    pub run_at: DateTime<Utc>,
    /// Proves the lease in `complete`/`fail`/`retry_at`.
    pub lease_token: Uuid,
    pub lease_until: DateTime<Utc>,
    /// What the job's previous ending noted: a retry's error or a deferral's reason.
    pub last_note: Option<String>,
}

/// A job that failed for good, for inspection.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedJob {
    pub id: i64,
    pub queue: Queue,
    pub attempts: u32,
    pub last_error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadwire_core::queue::CanvasTask;
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
        let row = json!({"type": "trigger", "body": stored_email}).to_string();
        let single = JobPayload::read(Queue::Triggers, &row).expect("a single-trigger row");
        assert_eq!(single, JobPayload::Trigger(email()));
        let several = JobPayload::Triggers(vec![email(), email()]);
        assert_eq!(
            serde_json::to_value(&several).expect("serialisable"),
            json!({"type": "triggers", "body": [stored_email, stored_email]})
        );
        assert_eq!(several.user_id(), Some(user_id));
        assert_eq!(several.triggers().map(<[UserTrigger]>::len), Some(2));
        assert!(
            JobPayload::read(Queue::Canvas, &row).is_err(),
            "a trigger job belongs on the trigger queue"
        );
    }

    #[test]
    fn task_rows_read_from_their_queue_and_body() {
        let entry_id = Uuid::from_u128(1);
        let body = json!({"entry_id": entry_id, "user_id": Uuid::nil(), "seq": 2});
        let stored = json!({"type": "task", "body": body});
        let payload =
            JobPayload::read(Queue::Canvas, &stored.to_string()).expect("a canvas task row");
        let task = CanvasTask {
            entry_id,
            user_id: Some(Uuid::nil()),
            seq: 2,
            message_finished: false,
        };
        assert_eq!(payload, JobPayload::Task(Task::Canvas(task)));
        assert_eq!(payload.triggers(), None);
        assert_eq!(payload.user_id(), Some(Uuid::nil()));
        let written = serde_json::to_value(&payload).expect("serialisable");
        assert_eq!(
            written,
            json!({"type": "task", "body": {"entry_id": entry_id, "user_id": Uuid::nil(), "seq": 2, "message_finished": false}}),
            "written in the same form"
        );
        assert_eq!(
            JobPayload::read(Queue::Canvas, &written.to_string()).expect("reads back"),
            payload
        );
        for queue in [Queue::Campaigns, Queue::Sends, Queue::Triggers] {
            assert!(
                JobPayload::read(queue, &stored.to_string()).is_err(),
                "a canvas task is not a {queue} task"
            );
        }
    }
}
