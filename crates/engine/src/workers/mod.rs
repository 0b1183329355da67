//! The worker runtime for the journey queues (triggers, canvas steps, delayed campaign
//! sends): one loop per queue with a bounded number of jobs in flight, polling with
//! backoff when idle (and woken at once when this process commits jobs to its queue, see
//! [`leadwire_store::JobSignals`]), and a graceful shutdown that stops claiming and drains
//! what is in flight. [`Workers::run_until_idle`] is the deterministic driver for tests and benches:
//! it handles every job due at a given `now`, a claimed batch at a time, until none is left.
//!
//! The trigger, canvas and campaign queues claim a batch and handle it in one transaction
//! ([`Journeys::claim_and_handle_batch`]), one batch at a time per queue; when that fails,
//! the batch is claimed on its own and its jobs are handled one transaction each.
//!
//! Beside the queue loops, a housekeeping loop prunes exited canvas entries past their
//! retention and measures the segments' sizes (`journeys::segments::measure_due`) every
//! [`WorkerOptions::housekeeping_every`].
//!
//! [`Workers::run`] owns its loops: one that ends on its own or panics stops the others
//! and is returned as the error, so whoever runs the workers learns which loop died.
//!
//! A job whose handler fails is released to run again with backoff; after
//! [`WorkerOptions::max_attempts`] (or at once when retrying cannot help) it is failed with
//! the error recorded on the job.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use leadwire_store::{ClaimedJob, Queue, StoreError, StoreResult};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::journeys::{JourneyError, Journeys, segments};
use crate::tasks::{Ended, TaskEnd, TaskSet};

mod options;

pub use options::WorkerOptions;

/// The journey workers over one store and config.
#[derive(Clone)]
pub struct Workers {
    journeys: Arc<Journeys>,
    options: WorkerOptions,
}

/// The workers running in a task of their own; [`WorkersHandle::shutdown`] stops them.
pub struct WorkersHandle {
    token: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), TaskEnd>>,
}

impl Workers {
    pub fn new(journeys: Arc<Journeys>, options: WorkerOptions) -> Self {
        Self { journeys, options }
    }

    pub fn journeys(&self) -> &Arc<Journeys> {
        &self.journeys
    }

    /// Runs one loop per journey queue, and the housekeeping loop, until `stop` is
    /// cancelled and the jobs in flight finish. A loop that ends before that, or panics,
    /// stops the others; its name and how it ended are the error.
    pub async fn run(self, stop: CancellationToken) -> Result<(), TaskEnd> {
        let stop = stop.child_token();
        let mut loops = TaskSet::new();
        for queue in Journeys::QUEUES {
            let workers = self.clone();
            let token = stop.clone();
            let name = format!("the {queue} queue loop");
            if Journeys::handles_batches(queue) {
                loops.spawn(
                    name,
                    async move { workers.run_batch_queue(queue, token).await },
                );
            } else {
                loops.spawn(name, async move { workers.run_queue(queue, token).await });
            }
        }
        let workers = self.clone();
        let housekeeping = stop.clone();
        loops.spawn("the canvas housekeeping loop", async move {
            workers.housekeep(housekeeping).await
        });
        tracing::info!(queues = ?Journeys::QUEUES, concurrency = self.options.concurrency, "journey workers started");
        loops.supervise(stop).await
    }

    /// Starts [`Workers::run`] in a task of its own on the current runtime. The loops stop
    /// when `token` is cancelled, after the jobs in flight finish.
    pub fn start(&self, token: CancellationToken) -> WorkersHandle {
        let task = tokio::spawn(self.clone().run(token.clone()));
        WorkersHandle { token, task }
    }

    async fn run_queue(&self, queue: Queue, token: CancellationToken) {
        let permits = Arc::new(Semaphore::new(self.options.concurrency.max(1)));
        let committed = self.journeys.store().job_signals().waiter(queue);
        let mut in_flight = JoinSet::new();
        let mut idle = self.options.poll_min();
        while !token.is_cancelled() {
            while let Some(done) = in_flight.try_join_next() {
                report_job_task(queue, done);
            }
            let free = permits.available_permits();
            if free == 0 {
                tokio::select! {
                    Some(done) = in_flight.join_next() => report_job_task(queue, done),
                    () = token.cancelled() => break,
                }
                continue;
            }
            let limit = u32::try_from(free)
                .unwrap_or(u32::MAX)
                .min(self.options.batch);
            match self
                .journeys
                .store()
                .claim(queue, Utc::now(), self.options.lease(), limit)
                .await
            {
                Ok(jobs) if !jobs.is_empty() => {
                    idle = self.options.poll_min();
                    for job in jobs {
                        let Ok(permit) = permits.clone().acquire_owned().await else {
                            break;
                        };
                        let workers = self.clone();
                        in_flight.spawn(async move {
                            workers.process(&job, Utc::now()).await;
                            drop(permit);
                        });
                    }
                    continue;
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%queue, %error, "claiming jobs failed; retrying"),
            }
            tokio::select! {
                () = tokio::time::sleep(idle) => idle = (idle * 2).min(self.options.poll_max()),
                () = committed.notified() => idle = self.options.poll_min(),
                () = token.cancelled() => break,
            }
        }
        while let Some(done) = in_flight.join_next().await {
            report_job_task(queue, done);
        }
        tracing::info!(%queue, "journey worker stopped");
    }

    /// The loop of a queue whose jobs are handled a batch per transaction: claim and handle
    /// a batch, again at once while there is work, else wait for a commit or the next poll.
    /// A batch in progress finishes before the loop stops.
    async fn run_batch_queue(&self, queue: Queue, token: CancellationToken) {
        let committed = self.journeys.store().job_signals().waiter(queue);
        let mut idle = self.options.poll_min();
        while !token.is_cancelled() {
            match self.claim_and_process(queue, Utc::now()).await {
                Ok(0) => {}
                Ok(_) => {
                    idle = self.options.poll_min();
                    continue;
                }
                Err(error) => tracing::warn!(%queue, %error, "claiming jobs failed; retrying"),
            }
            tokio::select! {
                () = tokio::time::sleep(idle) => idle = (idle * 2).min(self.options.poll_max()),
                () = committed.notified() => idle = self.options.poll_min(),
                () = token.cancelled() => break,
            }
        }
        tracing::info!(%queue, "journey worker stopped");
    }

    /// One batch of a queue that handles batches: claimed and handled in one transaction
    /// ([`Journeys::claim_and_handle_batch`]); if that fails, claimed in a transaction of its
    /// own and handled one job per transaction, so a failing job affects only itself.
    /// Returns how many jobs were claimed.
    pub async fn claim_and_process(&self, queue: Queue, now: DateTime<Utc>) -> StoreResult<usize> {
        let (lease, limit) = (self.options.lease(), self.options.batch);
        match self
            .journeys
            .claim_and_handle_batch(queue, now, lease, limit)
            .await
        {
            Ok(handled) => return Ok(handled),
            Err(error) => {
                tracing::debug!(%queue, %error, "a job batch failed; handling its jobs one at a time");
            }
        }
        let jobs = self
            .journeys
            .store()
            .claim(queue, now, lease, limit)
            .await?;
        for job in &jobs {
            self.process(job, now).await;
        }
        Ok(jobs.len())
    }

    /// Prunes old exited canvas entries now and every `housekeeping_every` until `token` is
    /// cancelled.
    async fn housekeep(&self, token: CancellationToken) {
        loop {
            match self
                .journeys
                .prune_exited_entries(Utc::now(), self.options.canvas_entry_retention)
                .await
            {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(pruned, "exited canvas entries pruned"),
                Err(error) => tracing::warn!(%error, "pruning canvas entries failed; trying later"),
            }
            let config = self.journeys.config();
            match segments::measure_due(self.journeys.store().as_ref(), config, Utc::now()).await {
                Ok(0) => {}
                Ok(measured) => tracing::debug!(measured, "segment sizes measured"),
                Err(error) => {
                    tracing::warn!(%error, "measuring segment sizes failed; trying later")
                }
            }
            tokio::select! {
                () = tokio::time::sleep(self.options.housekeeping_every()) => {}
                () = token.cancelled() => return,
            }
        }
    }

    /// Handles one claimed job, then retries or fails it on error.
    pub async fn process(&self, job: &ClaimedJob, now: DateTime<Utc>) {
        let Err(error) = self.journeys.handle(job, now).await else {
            return;
        };
        let store = self.journeys.store();
        let message = error.to_string();
        let outcome = if matches!(error, JourneyError::Store(StoreError::LeaseLost { .. })) {
            Ok(())
        } else if !error.is_retryable() || job.attempts >= self.options.max_attempts {
            tracing::error!(job = job.id, queue = %job.queue, attempts = job.attempts, error = %message, "job failed for good");
            store.fail(job, &message, now).await
        } else {
            let at = now + retry_delay(job.attempts);
            tracing::warn!(job = job.id, queue = %job.queue, attempts = job.attempts, error = %message, retry_at = %at, "job failed; retrying");
            store.retry_at(job, at, &message).await
        };
        if let Err(error) = outcome {
            tracing::warn!(job = job.id, %error, "could not release the failed job; its lease will expire");
        }
    }

    /// Handles every journey job due at `now`, one at a time, until no queue has one.
    /// Returns how many were handled. Jobs due later (delays, windows, retries) stay.
    pub async fn run_until_idle(&self, now: DateTime<Utc>) -> StoreResult<usize> {
        let mut handled = 0;
        loop {
            let mut this_round = 0;
            for queue in Journeys::QUEUES {
                if Journeys::handles_batches(queue) {
                    this_round += self.claim_and_process(queue, now).await?;
                    continue;
                }
                let jobs = self
                    .journeys
                    .store()
                    .claim(queue, now, self.options.lease(), self.options.batch)
                    .await?;
                this_round += jobs.len();
                for job in &jobs {
                    self.process(job, now).await;
                }
            }
            if this_round == 0 {
                return Ok(handled);
            }
            handled += this_round;
        }
    }
}

impl WorkersHandle {
    /// Stops claiming, waits for the jobs in flight, and returns how the loops ended.
    pub async fn shutdown(self) -> Result<(), TaskEnd> {
        self.token.cancel();
        match self.task.await {
            Ok(outcome) => outcome,
            Err(error) => Err(TaskEnd {
                name: "the journey workers".into(),
                ended: Ended::from(error),
            }),
        }
    }
}

/// Logs a job's task that panicked: its job was not released, so it runs again when its
/// lease expires.
fn report_job_task(queue: Queue, done: Result<(), tokio::task::JoinError>) {
    if let Err(error) = done {
        let ended = Ended::from(error);
        tracing::error!(%queue, %ended, "a journey job's task ended abnormally; the job runs again when its lease expires");
    }
}

/// 1 s, 4 s, 9 s, … capped at 5 minutes.
fn retry_delay(attempts: u32) -> TimeDelta {
    let seconds = i64::from(attempts.max(1)).pow(2).min(300);
    TimeDelta::seconds(seconds)
}
