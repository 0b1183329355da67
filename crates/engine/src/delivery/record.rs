//! Recording a group of processed sends (those of a claimed batch that finished together,
//! see `batch.rs`) in one transaction: each job's ending, its activity
//! entries, its response capture, its follow-up task and, for a campaign send that did not
//! reach its user, the release of its receipt commit together or not at all.
//!
//! If the transaction fails, every job of the group stays leased; when the leases expire the
//! jobs are claimed and sent again. Delivery is therefore at least once, and a receiver
//! that honours the idempotency header (or an upsert template) sees each send once.

use leadwire_core::activity::ActivityType;
use leadwire_store::{BufferedTransaction, NewTask, StoreError, StoreResult};

use super::capture;
use super::outcome::SendResult;
use super::send::Processed;
use super::worker::DeliveryWorker;
use crate::journeys::receipts;

/// What a recorded group held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordSummary {
    pub delivered: usize,
    pub retrying: usize,
    pub deferred: usize,
    pub failed: usize,
    pub aborted: usize,
    /// Jobs whose lease had expired (another worker owns them now).
    pub leases_lost: usize,
}

impl std::ops::AddAssign for RecordSummary {
    fn add_assign(&mut self, other: Self) {
        self.delivered += other.delivered;
        self.retrying += other.retrying;
        self.deferred += other.deferred;
        self.failed += other.failed;
        self.aborted += other.aborted;
        self.leases_lost += other.leases_lost;
    }
}

impl RecordSummary {
    fn count(&mut self, result: SendResult) {
        match result {
            SendResult::Delivered => self.delivered += 1,
            SendResult::Retrying => self.retrying += 1,
            SendResult::Deferred => self.deferred += 1,
            SendResult::Failed => self.failed += 1,
            SendResult::Aborted => self.aborted += 1,
        }
    }
}

const RECORD_ATTEMPTS: usize = 3;

impl DeliveryWorker {
    /// Writes a group. A conflicting concurrent write (PostgreSQL) is retried.
    ///
    /// The group's completions are written together at commit ([`BufferedTransaction`]);
    /// if one of their leases turns out lost, the group is written again job by job, so
    /// only that job is left to the worker that holds it now.
    pub async fn record(&self, group: &mut [Processed]) -> StoreResult<RecordSummary> {
        let mut attempt = 0;
        let mut buffered = true;
        loop {
            attempt += 1;
            match self.record_once(group, buffered).await {
                Err(StoreError::Conflict) if attempt < RECORD_ATTEMPTS => {
                    tracing::debug!(attempt, "recording conflicted; trying again");
                }
                Err(StoreError::LeaseLost { job_id }) if buffered => {
                    tracing::debug!(job_id, "a lease was lost; recording job by job");
                    buffered = false;
                }
                other => return other,
            }
        }
    }

    async fn record_once(
        &self,
        group: &mut [Processed],
        buffered: bool,
    ) -> StoreResult<RecordSummary> {
        let now = self.clock.now();
        let mut summary = RecordSummary::default();
        let mut tx = self.store.begin().await?;
        if buffered {
            tx = Box::new(BufferedTransaction::wrap(tx));
        }
        let mut entries = Vec::new();
        let mut unreceived = Vec::new();
        for processed in group.iter_mut() {
            let held = tx.finish_job(&processed.job, &processed.finish).await?;
            entries.extend(processed.entries.iter().cloned());
            if !held {
                tracing::warn!(
                    job_id = processed.job.id,
                    "lease lost before recording; another worker owns the send"
                );
                summary.leases_lost += 1;
                continue;
            }
            summary.count(processed.result);
            unreceived.extend(processed.unreceived.clone());
            if let Some(follow_up) = &processed.follow_up {
                tx.enqueue_all(&[NewTask::new((*follow_up.task).clone(), now)])
                    .await?;
            }
            if let Some(write) = &processed.capture
                && let Some(note) = capture::save(&mut *tx, write, &self.limits, now).await?
            {
                tracing::warn!(job_id = processed.job.id, %note, "response capture incomplete");
                if let Some(success) = entries
                    .iter_mut()
                    .rev()
                    .find(|entry| entry.activity_type == ActivityType::Success)
                {
                    success.message.push_str("; ");
                    success.message.push_str(&note);
                }
            }
        }
        // After the captures: profile rows lock before receipt rows, as in the journey workers.
        for send in &unreceived {
            receipts::release(&mut *tx, &self.config, send).await?;
        }
        tx.record_activity(&entries).await?;
        tx.commit().await?;
        Ok(summary)
    }
}
