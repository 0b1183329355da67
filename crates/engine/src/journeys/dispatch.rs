//! The dispatch of a claimed journey job to its handler: trigger jobs to `triggers`,
//! canvas, campaign, broadcast and schedule tasks to `canvas`, `campaigns`, `broadcast` and
//! `schedules`, segment exports to `segment_export`.

use chrono::{DateTime, Utc};
use leadwire_core::queue::Task;
use leadwire_store::{ClaimedJob, JobPayload, StoreTransaction};

use super::context::Journeys;
use super::error::JourneyError;
use super::{broadcast, campaigns, canvas, schedules, segment_export, triggers};

impl Journeys {
    /// Handles one claimed job of any journey queue at `now`, completing it in the same
    /// transaction as its effects. On `Err` nothing was written and the job is still leased.
    pub async fn handle(&self, job: &ClaimedJob, now: DateTime<Utc>) -> Result<(), JourneyError> {
        if let JobPayload::Task(Task::Broadcast(task)) = &job.payload {
            return broadcast::handle(self, job, task, now).await;
        }
        if let JobPayload::Task(Task::SegmentExport(task)) = &job.payload {
            return segment_export::handle(self, job, task, now).await;
        }
        if let JobPayload::Task(Task::Schedule(task)) = &job.payload {
            return schedules::handle(self, job, task, now).await;
        }
        let mut tx = self.store.begin().await?;
        self.handle_in(tx.as_mut(), job, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Handles one job of the trigger, canvas or campaign queue inside `tx`, completing it
    /// there.
    pub(crate) async fn handle_in(
        &self,
        tx: &mut dyn StoreTransaction,
        job: &ClaimedJob,
        now: DateTime<Utc>,
    ) -> Result<(), JourneyError> {
        match &job.payload {
            JobPayload::Trigger(trigger) => {
                let triggers = std::slice::from_ref(trigger);
                triggers::handle_in(self, tx, job, triggers, now).await
            }
            JobPayload::Triggers(triggers) => {
                triggers::handle_in(self, tx, job, triggers, now).await
            }
            JobPayload::Task(Task::Canvas(task)) => {
                canvas::handle_in(self, tx, job, task, now).await
            }
            JobPayload::Task(Task::Campaign(task)) => {
                campaigns::handle_in(self, tx, job, task, now).await
            }
            JobPayload::Task(
                task @ (Task::Broadcast(_)
                | Task::Schedule(_)
                | Task::Send(_)
                | Task::SegmentExport(_)
                | Task::Bulk(_)),
            ) => Err(JourneyError::NotInTransaction(task.queue())),
        }
    }
}
