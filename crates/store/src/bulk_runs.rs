//! Salesforce Bulk API 2.0 runs: one row per backfill of a template, with the last profile
//! id it handed to a job (its cursor). The cursor moves in the transaction that stores the
//! job taking those profiles (`bulk_jobs`), so a backfill started again continues after it,
//! whichever job it died between, and never hands a profile to a second job.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::StoreResult;

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkRunState {
    /// Profiles after the cursor, or stored jobs, remain.
    Running,
    /// Every profile of its audience went through a recorded job.
    Finished,
    /// Given up (`--abandon-unfinished`): its stored jobs were finished, nobody after its
    /// cursor was sent.
    Abandoned,
}

impl BulkRunState {
    /// The name stored in the `state` column.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Finished => "finished",
            Self::Abandoned => "abandoned",
        }
    }

    /// The inverse of [`BulkRunState::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Running, Self::Finished, Self::Abandoned]
            .into_iter()
            .find(|state| state.as_str() == name)
    }
}

/// One run: a backfill of a template over an audience.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkRun {
    /// The `run_id` of its jobs.
    pub id: Uuid,
    pub template: String,
    pub connection: String,
    /// What started it, e.g. `backfill`.
    pub source: String,
    /// The audience it was started with, as given; `None` for a run adopted from jobs
    /// stored before runs were (any audience continues it).
    pub audience: Option<String>,
    /// The last profile id handed to a job or recorded as not sent; the run continues
    /// after it.
    pub last_profile_id: Option<Uuid>,
    pub state: BulkRunState,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Reads outside a transaction.
#[async_trait]
pub trait BulkRunReads {
    /// The run with this id.
    async fn bulk_run(&self, id: Uuid) -> StoreResult<Option<BulkRun>>;

    /// The runs of `template` started by `source` still running, oldest first.
    async fn running_bulk_runs(&self, template: &str, source: &str) -> StoreResult<Vec<BulkRun>>;
}

/// Writes inside a transaction.
#[async_trait]
pub trait BulkRunWrites {
    /// Inserts or replaces the run.
    async fn save_bulk_run(&mut self, run: &BulkRun) -> StoreResult<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip() {
        for state in ["running", "finished", "abandoned"] {
            assert_eq!(
                BulkRunState::parse(state).map(BulkRunState::as_str),
                Some(state)
            );
        }
        assert_eq!(BulkRunState::parse("open"), None);
    }
}
