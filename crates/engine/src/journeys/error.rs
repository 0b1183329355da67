//! [`JourneyError`]: why a journey job could not be handled, and whether to retry it.

use leadwire_store::{Queue, StoreError};

/// Why a job could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum JourneyError {
    /// The database failed or a concurrent write conflicted; the job is retried.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A task that is not handled inside a caller's transaction: a broadcast page or a
    /// schedule (each commits a transaction of its own, see
    /// [`Journeys::handle`](super::Journeys::handle)) or a send (the delivery worker's). The journey workers never claim one so.
    #[error("a task of the {0} queue is not handled inside a journey transaction")]
    NotInTransaction(Queue),
    /// A segment export's file could not be written (a full disk, a directory without
    /// write permission); the job is retried.
    #[error("writing a segment export failed: {0}")]
    Export(std::io::Error),
}

impl JourneyError {
    /// Whether running the job again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, JourneyError::Store(_) | JourneyError::Export(_))
    }
}
