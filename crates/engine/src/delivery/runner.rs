//! The delivery loop: claim a batch of send jobs, attempt them side by side and record them
//! as they finish (`batch.rs`). Several lanes run at once so HTTP waits overlap the
//! database writes.
//! Housekeeping runs beside them: activity-log pruning and the queue gauges (depth and the
//! age of the oldest due, unclaimed job, for the send and bulk queues and the journey queues), and so
//! does the `/limits` poller (`limits.rs`) when a template sends through a connection.
//! [`DeliveryWorker::run`] owns the lanes, housekeeping and the poller: one that ends before shutdown,
//! or panics, stops the others and is returned as the error.

use std::sync::Arc;
use std::time::Duration;

use leadwire_store::{Queue, StoreResult};
use tokio_util::sync::CancellationToken;

use super::record::RecordSummary;
use super::worker::DeliveryWorker;
use crate::tasks::{TaskEnd, TaskSet};

/// How long an idle lane waits before it looks for work again, unless a commit of sends in
/// this process wakes it first.
const IDLE_POLL: Duration = Duration::from_millis(50);
/// How long a lane waits after a database error.
const ERROR_PAUSE: Duration = Duration::from_secs(1);
/// How often the queue gauges are refreshed.
const GAUGES_EVERY: Duration = Duration::from_secs(5);
/// How often old activity is pruned, in gauge refreshes (once a minute).
const PRUNE_EVERY_GAUGES: u32 = 12;

impl DeliveryWorker {
    /// Claims up to one batch of due sends, attempts them and records them as they finish.
    /// Returns how many jobs it handled (0 when none was due).
    pub async fn run_once(&self) -> StoreResult<(usize, RecordSummary)> {
        let now = self.clock.now();
        let jobs = self
            .store
            .claim(
                Queue::Sends,
                now,
                self.settings.lease_duration(),
                self.settings.batch_size,
            )
            .await?;
        if jobs.is_empty() {
            return Ok((0, RecordSummary::default()));
        }
        let count = jobs.len();
        let summary = self.run_batch(jobs).await?;
        Ok((count, summary))
    }

    /// Runs `run_once` until no send is due; returns the summed summary. For tests and the
    /// bench, which drive the clock themselves.
    pub async fn drain(&self) -> StoreResult<RecordSummary> {
        let mut total = RecordSummary::default();
        loop {
            let (count, summary) = self.run_once().await?;
            if count == 0 {
                return Ok(total);
            }
            total += summary;
        }
    }

    /// Deletes activity older than the retention, keeping entries with a tracking send id
    /// for Braze's days of send analytics at least; returns how many entries went.
    pub async fn prune_activity(&self) -> StoreResult<u64> {
        let now = self.clock.now();
        let before = now - self.settings.activity_retention.as_delta();
        let tracked_before = leadwire_core::send_id::analytics_kept_since(now);
        self.store.prune_activity(before, tracked_before).await
    }

    /// Runs the lanes and housekeeping until `shutdown` is cancelled and each lane has
    /// recorded its batch in progress. A lane or the housekeeping that ends before that, or
    /// panics, stops the others; its name and how it ended are the error.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) -> Result<(), TaskEnd> {
        let stop = shutdown.child_token();
        let mut tasks = TaskSet::new();
        for lane in 0..self.settings.lanes {
            let worker = self.clone();
            let stop = stop.clone();
            tasks.spawn(format!("delivery lane {lane}"), async move {
                worker.lane(lane, stop).await
            });
        }
        let worker = self.clone();
        let housekeeping = stop.clone();
        tasks.spawn("the delivery housekeeping loop", async move {
            worker.housekeeping(housekeeping).await
        });
        if !self.budgeted_connections().is_empty() {
            let worker = self.clone();
            let polling = stop.clone();
            tasks.spawn("the Salesforce /limits poller", async move {
                worker.poll_limits_until(polling).await;
            });
        }
        tasks.supervise(stop).await
    }

    async fn lane(&self, lane: usize, shutdown: CancellationToken) {
        let committed = self.store.job_signals().waiter(Queue::Sends);
        while !shutdown.is_cancelled() {
            let pause = match self.run_once().await {
                Ok((0, _)) => IDLE_POLL,
                Ok((count, summary)) => {
                    tracing::debug!(lane, count, ?summary, "send batch recorded");
                    continue;
                }
                Err(error) => {
                    tracing::error!(lane, %error, "send batch failed; its unrecorded jobs are retried when their leases expire");
                    ERROR_PAUSE
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(pause) => {}
                () = committed.notified(), if pause == IDLE_POLL => {}
            }
        }
    }

    /// Sets the depth and oldest-due-job-age gauges of every queue from the store.
    pub async fn refresh_queue_gauges(&self) -> StoreResult<()> {
        let now = self.clock.now();
        let journey_queues = crate::journeys::Journeys::QUEUES;
        for queue in [Queue::Sends, Queue::Bulk]
            .into_iter()
            .chain(journey_queues)
        {
            let depth = self.store.pending_jobs(queue).await?;
            let age = self
                .store
                .oldest_due_job(queue, now)
                .await?
                .map_or(0, |run_at| (now - run_at).num_seconds().max(0));
            self.metrics.set_queue(
                queue.as_str(),
                i64::try_from(depth).unwrap_or(i64::MAX),
                age,
            );
        }
        Ok(())
    }

    async fn housekeeping(&self, shutdown: CancellationToken) {
        let mut round = 0u32;
        loop {
            if round.is_multiple_of(PRUNE_EVERY_GAUGES) {
                match self.prune_activity().await {
                    Ok(0) => {}
                    Ok(pruned) => tracing::info!(pruned, "old activity pruned"),
                    Err(error) => tracing::warn!(%error, "activity pruning failed"),
                }
            }
            round = round.wrapping_add(1);
            if let Err(error) = self.refresh_queue_gauges().await {
                tracing::warn!(%error, "queue gauges unavailable");
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(GAUGES_EVERY) => {}
            }
        }
    }
}
