//! The durable job queue's types: payloads, triggers and claimed jobs.
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
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// The queue trigger jobs are written to.
pub const TRIGGER_QUEUE: &str = "triggers";

/// A trigger: something a user did that campaigns and canvases may react to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "trigger", rename_all = "snake_case")]
pub enum Trigger {
    /// The profile's email went from absent to present (a change to another address does
    /// not count).
    EmailAdded { user_id: Uuid, email: String },
    /// A custom attribute took a new non-null value (`old` is `None` for a first value).
    CustomAttributeChanged {
        user_id: Uuid,
        name: String,
        old: Option<Value>,
        new: Value,
    },
    CustomEventPerformed {
        user_id: Uuid,
        name: String,
        properties: Map<String, Value>,
        time: DateTime<Utc>,
    },
    PurchaseMade {
        user_id: Uuid,
        product_id: String,
        currency: String,
        price: f64,
        quantity: u32,
        properties: Map<String, Value>,
        time: DateTime<Utc>,
    },
}

impl Trigger {
    pub fn user_id(&self) -> Uuid {
        match self {
            Self::EmailAdded { user_id, .. }
            | Self::CustomAttributeChanged { user_id, .. }
            | Self::CustomEventPerformed { user_id, .. }
            | Self::PurchaseMade { user_id, .. } => *user_id,
        }
    }
}

/// What a job carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "body", rename_all = "snake_case")]
pub enum JobPayload {
    Trigger(Trigger),
    /// Work enqueued by a worker (a canvas step, a delivery): the owner's own serialised type.
    Task(Value),
}

impl JobPayload {
    /// The user the job is about: a trigger's user, or a task's `user_id` field (every
    /// per-user task names its user so; a batch reads their profiles up front).
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Self::Trigger(trigger) => Some(trigger.user_id()),
            Self::Task(task) => task.get("user_id")?.as_str()?.parse().ok(),
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
