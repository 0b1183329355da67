//! The ingest jobs the emulator knows, in creation order, and the queue of closed jobs
//! waiting for the processing task.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::mpsc;

use super::job::Job;
use leadwire_salesforce::ids::{IdGenerator, RecordId};

/// A job shared between the handlers and the processing task.
pub type SharedJob = Arc<Mutex<Job>>;

/// Locks a job (a poisoned lock still holds a usable job).
pub fn lock(job: &SharedJob) -> MutexGuard<'_, Job> {
    job.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Every job, plus the queue the processing task reads.
#[derive(Debug)]
pub struct BulkJobs {
    jobs: Mutex<Vec<SharedJob>>,
    ids: IdGenerator,
    queue: mpsc::UnboundedSender<SharedJob>,
    waiting: Mutex<Option<mpsc::UnboundedReceiver<SharedJob>>>,
}

impl Default for BulkJobs {
    fn default() -> Self {
        let (queue, waiting) = mpsc::unbounded_channel();
        Self {
            jobs: Mutex::new(Vec::new()),
            ids: IdGenerator::new(*b"750", *b"Ka", 1),
            queue,
            waiting: Mutex::new(Some(waiting)),
        }
    }
}

impl BulkJobs {
    fn all(&self) -> MutexGuard<'_, Vec<SharedJob>> {
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A fresh job id (key prefix `750`).
    pub fn next_id(&self) -> RecordId {
        self.ids.next_id().0
    }

    pub fn add(&self, job: Job) -> SharedJob {
        let shared = Arc::new(Mutex::new(job));
        self.all().push(shared.clone());
        shared
    }

    /// The job a path segment names (15- or 18-character id).
    pub fn find(&self, segment: &str) -> Option<SharedJob> {
        let id = RecordId::parse(segment)?;
        self.all().iter().find(|job| lock(job).id == id).cloned()
    }

    /// Whether the job is still known (not deleted, not reset away).
    pub fn contains(&self, job: &SharedJob) -> bool {
        self.all().iter().any(|known| Arc::ptr_eq(known, job))
    }

    /// Every job, oldest first.
    pub fn list(&self) -> Vec<SharedJob> {
        self.all().clone()
    }

    pub fn remove(&self, job: &SharedJob) {
        self.all().retain(|known| !Arc::ptr_eq(known, job));
    }

    pub fn clear(&self) {
        self.all().clear();
    }

    /// Hands a closed job to the processing task.
    pub fn enqueue(&self, job: SharedJob) {
        if self.queue.send(job).is_err() {
            tracing::error!("the Bulk processing task has stopped; a closed job will not run");
        }
    }

    /// The queue's receiving end, for the one processing task (`None` once taken).
    pub fn take_queue(&self) -> Option<mpsc::UnboundedReceiver<SharedJob>> {
        self.waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}
