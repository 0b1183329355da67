//! A claimed batch of journey jobs handled in one transaction: the profiles (and, for
//! triggers and campaign sends, the campaign receipts) of its users are read up front, and
//! its receipts, new tasks and job completions are written at commit
//! ([`BufferedTransaction`]). Each job runs the same handler as on its own.
//!
//! If any job of the batch fails, or a lease turns out lost at commit, nothing of the batch
//! is written and [`Journeys::handle_batch`] says so; the worker then handles the jobs one
//! transaction each, so one job's failure never decides another's outcome.

use chrono::{DateTime, Utc};
use leadwire_store::{
    BufferedTransaction, ClaimedJob, JobPayload, StoreTransaction, TRIGGER_QUEUE,
};
use uuid::Uuid;

use super::JourneyError;
use super::context::Journeys;
use super::tasks::{BROADCAST_QUEUE, CAMPAIGN_QUEUE};

impl Journeys {
    /// Whether jobs of `queue` may be handled a batch per transaction. A broadcast page
    /// already is a batch of its own.
    pub fn handles_batches(queue: &str) -> bool {
        queue != BROADCAST_QUEUE
    }

    /// Handles `jobs`, all of one queue that [`Self::handles_batches`], in one transaction.
    /// On `Err` nothing was written and every job is still leased.
    pub async fn handle_batch(
        &self,
        jobs: &[ClaimedJob],
        now: DateTime<Utc>,
    ) -> Result<(), JourneyError> {
        let users: Vec<Uuid> = jobs.iter().filter_map(job_user).collect();
        let mut tx = Box::new(BufferedTransaction::begin(&*self.store).await?);
        tx.preload_profiles(&users).await?;
        let reads_receipts = jobs
            .iter()
            .any(|job| matches!(job.queue.as_str(), TRIGGER_QUEUE | CAMPAIGN_QUEUE));
        if reads_receipts && !self.config.campaigns.is_empty() {
            tx.preload_receipts(&users).await?;
        }
        for job in jobs {
            self.handle_in(tx.as_mut(), job, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The user a job is about, when its payload names one.
fn job_user(job: &ClaimedJob) -> Option<Uuid> {
    match &job.payload {
        JobPayload::Trigger(trigger) => Some(trigger.user_id()),
        JobPayload::Task(task) => task.get("user_id")?.as_str()?.parse().ok(),
    }
}
