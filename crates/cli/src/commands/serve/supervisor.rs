//! Supervision of a running node. Every task `serve` starts belongs to the [`Supervisor`]
//! under a component name, and is up in the node's [`Readiness`] while it runs. A task
//! that ends before shutdown (returning, failing or panicking) is a crash: the node logs
//! which one and why, shuts the rest down and `serve` exits non-zero, so an orchestrator
//! restarts it. Jobs are durable: a batch cut short runs again when its lease expires.
//!
//! Shutdown cancels one drain token: the API stops accepting and finishes its requests, the
//! workers finish their current batches. What is still running when the grace ends is
//! aborted and named in the log.

use std::future::Future;
use std::time::Duration;

use leadwire_engine::tasks::{Ended, TaskEnd, TaskOutput, TaskSet};
use leadwire_server::Readiness;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The REST API server.
pub const API: &str = "api";
/// The group-commit writer behind `POST /users/track`.
pub const INGEST_WRITER: &str = "ingest writer";
/// The campaign and canvas workers.
pub const JOURNEY_WORKERS: &str = "journey workers";
/// The webhook delivery worker.
pub const DELIVERY_WORKER: &str = "delivery worker";
/// The delivery worker's Bulk API 2.0 runs of campaign broadcasts.
pub const BULK_LANE: &str = "bulk lane";
/// The built-in Salesforce emulator.
pub const EMULATOR: &str = "salesforce emulator";
/// The store's migrations, run when it opens.
pub const MIGRATIONS: &str = "migrations";

/// How long closing the emulator and the store may take after the drain.
pub const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Owns the node's tasks by component name.
pub struct Supervisor {
    tasks: TaskSet,
    readiness: Readiness,
    drain: CancellationToken,
}

impl Supervisor {
    /// A supervisor that marks its components in `readiness`.
    pub fn new(readiness: Readiness) -> Self {
        Self {
            tasks: TaskSet::new(),
            readiness,
            drain: CancellationToken::new(),
        }
    }

    /// Cancelled when the node shuts down; every task must then finish and return.
    pub fn drain_token(&self) -> CancellationToken {
        self.drain.clone()
    }

    /// Runs `task` as the component `name`, up while it runs.
    pub fn spawn<F>(&mut self, name: &'static str, task: F)
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput,
    {
        let up = self.readiness.up_while(name);
        self.tasks.spawn(name, async move {
            let _up = up;
            task.await
        });
    }

    /// Watches a component that runs in tasks it owns itself: it is up until `ended`
    /// completes, which before the drain is a crash.
    pub fn watch<F>(&mut self, name: &'static str, ended: F)
    where
        F: Future<Output = Ended> + Send + 'static,
    {
        let drain = self.drain.clone();
        self.spawn(name, async move {
            tokio::select! {
                biased;
                () = drain.cancelled() => Ended::Returned,
                ended = ended => ended,
            }
        });
    }

    /// Waits for `signal`; a task that ends first is a crash, returned.
    pub async fn until_crash(&mut self, signal: impl Future<Output = ()>) -> Option<TaskEnd> {
        tokio::select! {
            () = signal => None,
            Some(end) = self.tasks.join_next() => Some(end),
        }
    }

    /// Cancels the drain token and waits for every task until `deadline`; what is left then
    /// is aborted and named in the log. Returns the tasks that failed or panicked meanwhile.
    pub async fn shut_down(mut self, deadline: Instant) -> Vec<TaskEnd> {
        self.drain.cancel();
        let mut failed = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, self.tasks.join_next()).await {
                Ok(None) => return failed,
                Ok(Some(end)) if end.ended.is_clean() => {
                    tracing::debug!(task = %end.name, "stopped");
                }
                Ok(Some(end)) => {
                    tracing::error!(task = %end.name, ended = %end.ended, "a task failed while shutting down");
                    failed.push(end);
                }
                Err(_) => break,
            }
        }
        tracing::warn!(
            cut_off = %self.tasks.names().join(", "),
            "the shutdown grace ran out; aborting what is still running (its requests get no answer, its jobs run again when their leases expire)"
        );
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
        failed
    }
}
