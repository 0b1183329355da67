//! [`JourneyError`]: why a journey job could not be handled, and whether to retry it.

use leadwire_store::StoreError;

/// Why a job could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum JourneyError {
    /// The database failed or a concurrent write conflicted; the job is retried.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The job's payload is not what its queue carries; retrying cannot help.
    #[error("the job payload is not a valid {expected}: {reason}")]
    Payload {
        expected: &'static str,
        reason: String,
    },
    /// A job on a queue no journey worker handles.
    #[error("no journey worker handles queue `{0}`")]
    UnknownQueue(String),
}

impl JourneyError {
    /// Whether running the job again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, JourneyError::Store(_))
    }
}
