//! The durable queues ([`Queue`]) and the tasks the workers enqueue on them ([`Task`]): a
//! task names its queue, so a task on a queue nobody reads cannot be written.
//!
//! A task is stored as its own JSON (the body), beside the queue's name in a column of its
//! own; [`Task::from_body`] reads it back from the two. Trigger jobs are no tasks: they are
//! written by the store from profile writes, events and purchases ([`crate::trigger`]).
//!
//! - `journeys`: canvas steps, delayed campaign sends, pages of broadcasts and scheduled
//!   API sends.
//! - `send`: the send task, the contract between the deciding workers and delivery.
//! - `export`: the segment export task, a file of users per job.
//! - `bulk`: a campaign broadcast sent through one Bulk API 2.0 run.

mod bulk;
mod export;
mod journeys;
mod message;
mod send;

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

pub use bulk::BulkSendTask;
pub use export::{ExportFormat, SegmentExportTask};
pub use journeys::{BroadcastTarget, BroadcastTask, CampaignTask, CanvasTask, ScheduleTask};
pub use message::{AdHocMessage, AdHocWebhook};
pub use send::{FollowUp, SendTask};

/// A durable queue; [`Queue::as_str`] is its name in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    /// Trigger jobs, written with the profile writes, events and purchases that cause them.
    Triggers,
    /// Canvas step tasks: an entry to advance (now, after a Delay, at the end of an Action
    /// Paths window, after an action, or after a Message step's send finished).
    Canvas,
    /// Campaign sends waiting for their delay or a rate-limit slot.
    Campaigns,
    /// Broadcast API triggers, one page of profiles per job.
    Broadcasts,
    /// Scheduled API sends (`/…/schedule/create`), each due at its time.
    Schedules,
    /// Webhook sends, for the delivery worker.
    Sends,
    /// Segment exports, a file of users per job.
    Exports,
    /// Campaign broadcasts over their template's `bulk_threshold`, for the delivery worker.
    Bulk,
}

impl Queue {
    pub const ALL: [Queue; 8] = [
        Self::Triggers,
        Self::Canvas,
        Self::Campaigns,
        Self::Broadcasts,
        Self::Schedules,
        Self::Sends,
        Self::Exports,
        Self::Bulk,
    ];

    /// The queue's name as stored in the `queue` column.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Triggers => "triggers",
            Self::Canvas => "canvas",
            Self::Campaigns => "campaigns",
            Self::Broadcasts => "broadcasts",
            Self::Schedules => "schedules",
            Self::Sends => "sends",
            Self::Exports => "exports",
            Self::Bulk => "bulk",
        }
    }

    /// The inverse of [`Queue::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|queue| queue.as_str() == name)
    }
}

impl fmt::Display for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Work a worker enqueues, for itself or for another worker. It serialises as the body of
/// its variant alone (the stored form); its queue tells the variant back.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Task {
    Canvas(CanvasTask),
    Campaign(CampaignTask),
    Broadcast(BroadcastTask),
    Schedule(ScheduleTask),
    Send(SendTask),
    SegmentExport(SegmentExportTask),
    Bulk(BulkSendTask),
}

impl Task {
    /// The queue the task goes to.
    pub fn queue(&self) -> Queue {
        match self {
            Self::Canvas(_) => Queue::Canvas,
            Self::Campaign(_) => Queue::Campaigns,
            Self::Broadcast(_) => Queue::Broadcasts,
            Self::Schedule(_) => Queue::Schedules,
            Self::Send(_) => Queue::Sends,
            Self::SegmentExport(_) => Queue::Exports,
            Self::Bulk(_) => Queue::Bulk,
        }
    }

    /// The user the task is about, when it is about one (a broadcast page is not).
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Self::Canvas(task) => task.user_id,
            Self::Campaign(task) => Some(task.user_id),
            Self::Broadcast(_) | Self::SegmentExport(_) | Self::Schedule(_) | Self::Bulk(_) => None,
            Self::Send(task) => Some(task.user_id),
        }
    }

    /// The task stored as `body` on `queue`. Fails when the body is not what the queue
    /// carries, or the queue carries no tasks (triggers).
    pub fn from_body(queue: Queue, body: Value) -> Result<Self, serde_json::Error> {
        fn read<T: serde::de::DeserializeOwned>(
            body: Value,
            what: &str,
        ) -> Result<T, serde_json::Error> {
            serde_json::from_value(body)
                .map_err(|error| serde::de::Error::custom(format!("not a {what}: {error}")))
        }
        Ok(match queue {
            Queue::Canvas => Self::Canvas(read(body, "canvas task")?),
            Queue::Campaigns => Self::Campaign(read(body, "campaign task")?),
            Queue::Broadcasts => Self::Broadcast(read(body, "broadcast task")?),
            Queue::Schedules => Self::Schedule(read(body, "schedule task")?),
            Queue::Sends => Self::Send(read(body, "send task")?),
            Queue::Exports => Self::SegmentExport(read(body, "segment export task")?),
            Queue::Bulk => Self::Bulk(read(body, "bulk send task")?),
            Queue::Triggers => {
                return Err(serde::de::Error::custom(
                    "the triggers queue carries trigger jobs, not tasks",
                ));
            }
        })
    }
}

impl From<CanvasTask> for Task {
    fn from(task: CanvasTask) -> Self {
        Self::Canvas(task)
    }
}

impl From<CampaignTask> for Task {
    fn from(task: CampaignTask) -> Self {
        Self::Campaign(task)
    }
}

impl From<BroadcastTask> for Task {
    fn from(task: BroadcastTask) -> Self {
        Self::Broadcast(task)
    }
}

impl From<ScheduleTask> for Task {
    fn from(task: ScheduleTask) -> Self {
        Self::Schedule(task)
    }
}

impl From<SendTask> for Task {
    fn from(task: SendTask) -> Self {
        Self::Send(task)
    }
}

impl From<BulkSendTask> for Task {
    fn from(task: BulkSendTask) -> Self {
        Self::Bulk(task)
    }
}

impl From<SegmentExportTask> for Task {
    fn from(task: SegmentExportTask) -> Self {
        Self::SegmentExport(task)
    }
}

#[cfg(test)]
mod tests;
