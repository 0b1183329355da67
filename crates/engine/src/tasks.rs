//! Named tasks with one owner. A [`TaskSet`] spawns futures under a name and says how each
//! ended ([`TaskEnd`]): returned, failed with an error, panicked, or aborted. Dropping a set
//! aborts what still runs, so no task outlives its owner.
//!
//! [`TaskSet::supervise`] runs loops that should stop only when told to: the first one that
//! ends on its own, fails or panics stops the others and is the error, so a dead loop is
//! never left unnoticed behind living ones.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;

use tokio::task::{Id, JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

/// How a task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// It returned without an error.
    Returned,
    /// It returned an error; its text.
    Failed(String),
    /// It panicked; the panic's message.
    Panicked(String),
    /// Its owner aborted it.
    Aborted,
}

impl Ended {
    /// How a task that returned `result` (or whose join failed) ended.
    pub fn of<E: fmt::Display + Send + 'static>(result: Result<Result<(), E>, JoinError>) -> Self {
        match result {
            Ok(output) => output.ended(),
            Err(error) => Self::from(error),
        }
    }

    /// Whether the task returned without an error.
    pub fn is_clean(&self) -> bool {
        matches!(self, Self::Returned)
    }
}

impl From<JoinError> for Ended {
    fn from(error: JoinError) -> Self {
        match error.try_into_panic() {
            Ok(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|text| (*text).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic without a message".to_owned());
                Self::Panicked(message)
            }
            Err(_) => Self::Aborted,
        }
    }
}

impl fmt::Display for Ended {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Returned => f.write_str("ended on its own"),
            Self::Failed(error) => write!(f, "failed: {error}"),
            Self::Panicked(message) => write!(f, "panicked: {message}"),
            Self::Aborted => f.write_str("was aborted"),
        }
    }
}

/// What a task may return: nothing, a result whose error is reported by its text, or how
/// it ended.
pub trait TaskOutput: Send + 'static {
    fn ended(self) -> Ended;
}

impl TaskOutput for () {
    fn ended(self) -> Ended {
        Ended::Returned
    }
}

impl<E: fmt::Display + Send + 'static> TaskOutput for Result<(), E> {
    fn ended(self) -> Ended {
        match self {
            Ok(()) => Ended::Returned,
            Err(error) => Ended::Failed(format!("{error:#}")),
        }
    }
}

impl TaskOutput for Ended {
    fn ended(self) -> Ended {
        self
    }
}

/// A task's name and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} {ended}")]
pub struct TaskEnd {
    pub name: String,
    pub ended: Ended,
}

/// Tasks spawned under names, owned by the set.
#[derive(Default)]
pub struct TaskSet {
    tasks: JoinSet<Ended>,
    names: HashMap<Id, String>,
}

impl TaskSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Spawns `task` on the current runtime as `name`.
    pub fn spawn<F>(&mut self, name: impl Into<String>, task: F)
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput,
    {
        let handle = self.tasks.spawn(async move { task.await.ended() });
        self.names.insert(handle.id(), name.into());
    }

    /// The names of the tasks that have not been joined yet, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.names.values().cloned().collect();
        names.sort();
        names
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Waits for the next task to end; `None` when the set is empty.
    pub async fn join_next(&mut self) -> Option<TaskEnd> {
        let (id, ended) = match self.tasks.join_next_with_id().await? {
            Ok((id, ended)) => (id, ended),
            Err(error) => (error.id(), Ended::from(error)),
        };
        let name = self.names.remove(&id).unwrap_or_default();
        Some(TaskEnd { name, ended })
    }

    /// Aborts every task; [`TaskSet::join_next`] then reports each as aborted, unless it
    /// ended first.
    pub fn abort_all(&mut self) {
        self.tasks.abort_all();
    }

    /// Waits for every task. The tasks are loops that return once `stop` is cancelled; the
    /// first that ends before that (returning, failing or panicking) cancels `stop`, so the
    /// others drain, and is the error. A task that fails or panics while draining is the
    /// error when none ended early.
    pub async fn supervise(mut self, stop: CancellationToken) -> Result<(), TaskEnd> {
        let mut first = None;
        while let Some(end) = self.join_next().await {
            if end.ended.is_clean() && stop.is_cancelled() {
                continue;
            }
            tracing::error!(task = %end.name, ended = %end.ended, "a task ended unexpectedly; stopping the tasks beside it");
            stop.cancel();
            first.get_or_insert(end);
        }
        first.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn supervise_returns_cleanly_when_every_loop_stops_on_request() {
        let stop = CancellationToken::new();
        let mut loops = TaskSet::new();
        for index in 0..3 {
            let stop = stop.clone();
            loops.spawn(
                format!("loop {index}"),
                async move { stop.cancelled().await },
            );
        }
        stop.cancel();
        assert_eq!(loops.supervise(stop).await, Ok(()));
    }

    async fn broken() {
        panic!("fault injected")
    }

    #[tokio::test]
    async fn a_loop_that_panics_stops_the_others_and_is_named() {
        let stop = CancellationToken::new();
        let mut loops = TaskSet::new();
        let waiting = stop.clone();
        loops.spawn("patient loop", async move { waiting.cancelled().await });
        loops.spawn("broken loop", broken());
        let died = loops
            .supervise(stop.clone())
            .await
            .expect_err("a loop died");
        assert_eq!(died.name, "broken loop");
        assert_eq!(died.ended, Ended::Panicked("fault injected".into()));
        assert!(stop.is_cancelled(), "the patient loop was told to stop");
        assert_eq!(died.to_string(), "broken loop panicked: fault injected");
    }

    #[tokio::test]
    async fn a_loop_that_returns_early_or_fails_is_the_error() {
        let mut loops = TaskSet::new();
        loops.spawn("quitter", async {});
        let died = loops
            .supervise(CancellationToken::new())
            .await
            .expect_err("it ended before being told to");
        assert_eq!(died.to_string(), "quitter ended on its own");

        let mut loops = TaskSet::new();
        loops.spawn("failing", async { Err::<(), _>("the store is closed") });
        let died = loops
            .supervise(CancellationToken::new())
            .await
            .expect_err("it failed");
        assert_eq!(died.ended, Ended::Failed("the store is closed".into()));
    }

    #[tokio::test]
    async fn aborted_tasks_are_reported_under_their_names() {
        let mut tasks = TaskSet::new();
        tasks.spawn("sleeper", std::future::pending::<()>());
        assert_eq!(tasks.names(), vec!["sleeper".to_owned()]);
        tasks.abort_all();
        let end = tasks.join_next().await.expect("one task");
        assert_eq!((end.name.as_str(), end.ended), ("sleeper", Ended::Aborted));
        assert!(tasks.is_empty());
        assert!(tasks.join_next().await.is_none());
    }
}
