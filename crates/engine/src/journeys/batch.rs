//! A claimed batch of journey jobs handled in one transaction: the profiles (and, for
//! triggers and campaign sends, the campaign receipts) of its users are read up front, and
//! its receipts, new tasks and job completions are written at commit
//! ([`BufferedTransaction`]). Each job runs the same handler as on its own.
//!
//! The queue loops claim the batch inside that same transaction
//! ([`Journeys::claim_and_handle_batch`]), so a batch costs one transaction in all.
//!
//! If any job of the batch fails, or a lease turns out lost at commit, nothing of the batch
//! is written (the transaction is rolled back before returning, releasing the batch's
//! jobs) and the caller is told; it then claims the jobs in a transaction of their own
//! and handles them one transaction each, so one job's failure never decides another's
//! outcome.

use chrono::{DateTime, Utc};
use leadwire_store::{BatchWrites, BufferedTransaction, ClaimedJob, Queue, StoreTransaction};
use uuid::Uuid;

use super::context::Journeys;
use super::error::JourneyError;

impl Journeys {
    /// Whether jobs of `queue` may be handled a batch per transaction. A broadcast page
    /// or a segment export file already is a batch of its own, and so is a schedule's send.
    pub fn handles_batches(queue: Queue) -> bool {
        !matches!(queue, Queue::Broadcasts | Queue::Exports | Queue::Schedules)
    }

    /// Claims up to `limit` jobs of `queue` (one that [`Self::handles_batches`]) and handles
    /// them in the same transaction, so the claim costs no transaction of its own. Returns
    /// how many were handled. On `Err` nothing was written and nothing claimed: the caller
    /// claims the jobs on their own and handles them one transaction each.
    pub async fn claim_and_handle_batch(
        &self,
        queue: Queue,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: u32,
    ) -> Result<usize, JourneyError> {
        let mut tx = Box::new(BufferedTransaction::begin(&*self.store).await?);
        let jobs = tx.claim_jobs(queue, now, lease, limit).await?;
        if jobs.is_empty() {
            // Committed all the same: the claim fails the rows it could not read, and
            // that must stick, or they are read (and passed over) at every poll.
            tx.commit().await?;
            return Ok(0);
        }
        if let Err(error) = self.handle_in_batch(&mut tx, &jobs, now).await {
            // Released now, not when the connection is next used: the caller's fallback
            // claims these jobs at once, and `SKIP LOCKED` would pass them over.
            if let Err(rollback) = tx.rollback().await {
                tracing::debug!(%rollback, "rolling back a failed job batch failed");
            }
            return Err(error);
        }
        tx.commit().await?;
        Ok(jobs.len())
    }

    async fn handle_in_batch(
        &self,
        tx: &mut BufferedTransaction,
        jobs: &[ClaimedJob],
        now: DateTime<Utc>,
    ) -> Result<(), JourneyError> {
        let users: Vec<Uuid> = jobs
            .iter()
            .filter_map(|job| job.payload.user_id())
            .collect();
        tx.preload_profiles(&users).await?;
        let reads_receipts = jobs
            .iter()
            .any(|job| matches!(job.queue, Queue::Triggers | Queue::Campaigns));
        if reads_receipts && !self.config.campaigns.is_empty() {
            tx.preload_receipts(&users).await?;
        }
        for job in jobs {
            self.handle_in(tx, job, now).await?;
        }
        Ok(())
    }
}
