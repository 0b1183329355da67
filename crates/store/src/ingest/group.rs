//! Group commit: concurrent `/users/track` requests share one write transaction.
//!
//! An [`Ingestor`] hands each request to a writer task. The writer takes a group of the
//! requests waiting (see `backlog` for which), applies them in arrival order in one
//! transaction, each exactly as a lone request would be applied (see `track_in`: one read
//! of the group's profiles, writes gathered into few statements), and commits once. A
//! request is answered only after that commit, so nothing acknowledged can be lost. A
//! request heavier than a part is written part by part (see `parts`), each part queued
//! after the one before it committed, so it takes its turns beside everyone else's.
//!
//! Object errors are per request and never touch the database. When a store error stops
//! any request of a group, or the commit fails, the shared transaction is rolled back and
//! every request of the group runs again in a transaction of its own, so one request's
//! failure never decides another's result.
//!
//! The ingestor owns its writer tasks: they run as long as it does, unless the store is
//! closed (a writer then answers the requests it holds and ends) or a writer panics.
//! [`Ingestor::writer_ended`] waits for that, so the node can tell a dead writer from a
//! quiet one.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use leadwire_core::attributes::AttributeLimits;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::{JoinError, JoinSet};

use super::backlog::{Backlog, Waiting};
use super::parts::{self, PART_WEIGHT};
use super::{TrackOutcome, TrackRequest, track, track_in};
use crate::error::{StoreError, StoreResult};
use crate::repository::Store;

/// Requests waiting for a writer, in the queue and again in the backlog; a full queue
/// makes callers wait (back-pressure).
const QUEUE_DEPTH: usize = 1_024;

struct Pending {
    request: TrackRequest,
    weight: usize,
    part: bool,
    now: DateTime<Utc>,
    reply: oneshot::Sender<StoreResult<TrackOutcome>>,
}

impl Waiting for Pending {
    fn objects(&self) -> usize {
        self.request.objects()
    }

    fn weight(&self) -> usize {
        self.weight
    }

    fn is_part(&self) -> bool {
        self.part
    }
}

/// The queue the ingestor fills and the backlog its writers take groups from.
struct Intake {
    receiver: mpsc::Receiver<Pending>,
    backlog: Backlog<Pending>,
}

/// Applies `/users/track` requests with group commit; cheap to share behind an `Arc`.
pub struct Ingestor {
    store: Arc<dyn Store>,
    limits: AttributeLimits,
    writers: usize,
    started: OnceLock<Writers>,
}

/// The writer tasks and their queue, started on first use.
struct Writers {
    queue: mpsc::Sender<Pending>,
    tasks: Mutex<JoinSet<StoreResult<()>>>,
}

impl Ingestor {
    /// An ingestor over `store`. Writer tasks start on first use: one on SQLite (which has a
    /// single writer connection), several on PostgreSQL.
    pub fn new(store: Arc<dyn Store>, limits: AttributeLimits) -> Self {
        let writers = match store.backend() {
            crate::repository::Backend::Sqlite => 1,
            crate::repository::Backend::Postgres => 4,
        };
        Self {
            store,
            limits,
            writers,
            started: OnceLock::new(),
        }
    }

    /// Applies one request and answers after its data is committed; a request heavier than
    /// a part is written in parts, and answered after the last.
    pub async fn track(
        &self,
        request: TrackRequest,
        now: DateTime<Utc>,
    ) -> StoreResult<TrackOutcome> {
        let weight = request.weight();
        if weight <= PART_WEIGHT {
            return self.write(request, weight, false, now).await;
        }
        let (layout, parts) = parts::split(request, PART_WEIGHT);
        let mut outcomes = Vec::with_capacity(parts.len());
        for (part, weight) in parts {
            outcomes.push(self.write(part, weight, true, now).await?);
        }
        Ok(parts::merge(&layout, outcomes))
    }

    async fn write(
        &self,
        request: TrackRequest,
        weight: usize,
        part: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<TrackOutcome> {
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            request,
            weight,
            part,
            now,
            reply,
        };
        if let Err(refused) = self.started().queue.send(pending).await {
            // The writers are gone (the runtime is shutting down): write it here instead.
            let pending = refused.0;
            return track(
                self.store.as_ref(),
                &pending.request,
                &self.limits,
                pending.now,
            )
            .await;
        }
        answer.await.unwrap_or(Err(StoreError::WriterStopped))
    }

    /// Waits until a writer task ends, which happens only when the store is closed or a
    /// writer panics, and returns how it ended. Starts the writers when they have not
    /// started yet. Meant for one watcher at a time.
    pub async fn writer_ended(&self) -> Result<StoreResult<()>, JoinError> {
        let mut tasks = self.started().tasks.lock().await;
        match tasks.join_next().await {
            Some(ended) => ended,
            None => Ok(Err(StoreError::WriterStopped)),
        }
    }

    fn started(&self) -> &Writers {
        self.started.get_or_init(|| {
            let (queue, receiver) = mpsc::channel(QUEUE_DEPTH);
            let intake = Arc::new(Mutex::new(Intake {
                receiver,
                backlog: Backlog::default(),
            }));
            let mut tasks = JoinSet::new();
            for _ in 0..self.writers {
                tasks.spawn(write_groups(
                    self.store.clone(),
                    self.limits,
                    intake.clone(),
                ));
            }
            Writers {
                queue,
                tasks: Mutex::new(tasks),
            }
        })
    }
}

/// One writer: takes the next group from the backlog, writes it, repeats until the
/// ingestor is dropped or the store is closed.
async fn write_groups(
    store: Arc<dyn Store>,
    limits: AttributeLimits,
    intake: Arc<Mutex<Intake>>,
) -> StoreResult<()> {
    loop {
        let group = {
            let mut intake = intake.lock().await;
            let Intake { receiver, backlog } = &mut *intake;
            if backlog.is_empty() {
                let Some(first) = receiver.recv().await else {
                    return Ok(());
                };
                backlog.push(first);
            }
            while backlog.len() < QUEUE_DEPTH {
                match receiver.try_recv() {
                    Ok(next) => backlog.push(next),
                    Err(_) => break,
                }
            }
            backlog.next_group()
        };
        if write_group(store.as_ref(), &limits, group).await == Written::StoreClosed {
            return Err(StoreError::Closed);
        }
    }
}

/// Whether the store could still be written after a group.
#[derive(Debug, PartialEq, Eq)]
enum Written {
    Answered,
    StoreClosed,
}

/// Writes a group and answers each request.
async fn write_group(store: &dyn Store, limits: &AttributeLimits, group: Vec<Pending>) -> Written {
    if group.len() > 1 {
        match shared_transaction(store, limits, &group).await {
            Ok(outcomes) => {
                for (pending, outcome) in group.into_iter().zip(outcomes) {
                    pending.reply.send(Ok(outcome)).ok();
                }
                return Written::Answered;
            }
            Err(error) => {
                tracing::debug!(%error, requests = group.len(), "group write failed; writing each request alone");
            }
        }
    }
    let mut written = Written::Answered;
    for pending in group {
        let outcome = track(store, &pending.request, limits, pending.now).await;
        if matches!(outcome, Err(StoreError::Closed)) {
            written = Written::StoreClosed;
        }
        pending.reply.send(outcome).ok();
    }
    written
}

async fn shared_transaction(
    store: &dyn Store,
    limits: &AttributeLimits,
    group: &[Pending],
) -> StoreResult<Vec<TrackOutcome>> {
    let requests: Vec<_> = group
        .iter()
        .map(|pending| (&pending.request, pending.now))
        .collect();
    let mut tx = store.begin().await?;
    let outcomes = match track_in(tx.as_mut(), &requests, limits).await {
        Ok(outcomes) => outcomes,
        Err(error) => {
            // Released now: the fallback writes the same profiles on other connections.
            if let Err(rollback) = tx.rollback().await {
                tracing::debug!(%rollback, "rolling back a failed group failed");
            }
            return Err(error);
        }
    };
    tx.commit().await?;
    Ok(outcomes)
}
