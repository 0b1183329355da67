//! The store's error type.

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A concurrent write touched the same rows (unique violation, serialization failure or
    /// deadlock). Retrying the whole transaction is safe.
    #[error("a concurrent write conflicted with this one; retry the transaction")]
    Conflict,
    /// The job's lease expired and another worker may hold it now.
    #[error("job {job_id} is no longer leased by this worker")]
    LeaseLost { job_id: i64 },
    /// The alias already names another user.
    #[error("the alias {alias_label}/{alias_name} already names another user")]
    AliasTaken {
        alias_name: String,
        alias_label: String,
    },
    /// A stored document could not be read back.
    #[error("stored {what} is unreadable: {source}")]
    Corrupt {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// The group-commit writer stopped before answering (the runtime is shutting down);
    /// the request's data may or may not have been committed.
    #[error("the ingest writer stopped before the write was confirmed")]
    WriterStopped,
    /// The store was closed; nothing can be read or written through it any more.
    #[error("the store is closed")]
    Closed,
    #[error("invalid store configuration: {0}")]
    Config(String),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if matches!(error, sqlx::Error::PoolClosed) {
            return StoreError::Closed;
        }
        if let sqlx::Error::Database(database) = &error {
            let retryable_code = matches!(database.code().as_deref(), Some("40001" | "40P01"));
            if database.is_unique_violation() || retryable_code {
                return StoreError::Conflict;
            }
        }
        StoreError::Database(error)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
