//! Salesforce Bulk API 2.0 ingest jobs of a backfill: one row a job, saved before its
//! upload (so a restart resumes it and never uploads twice) and moved through its
//! [`BulkJobState`]s. The row keeps which user each CSV row belongs to, and the key its
//! result rows are matched by, since Salesforce's result files come in no particular order.
//! Marking a job recorded happens in the transaction that writes its activity entries, and
//! succeeds once, so each record's entry is written exactly once.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::StoreResult;

/// Where a job is, as far as leadwire knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkJobState {
    /// The Salesforce job exists (`sf_job_id`), its upload is not confirmed.
    Open,
    /// The upload was answered 201; it is never sent again.
    Uploaded,
    /// `UploadComplete` was accepted: only polling and results remain.
    Closed,
    /// The results were read and written to the activity log: finished.
    Recorded,
    /// Given up before its upload (aborted at Salesforce); its users went to a new job.
    Abandoned,
}

impl BulkJobState {
    /// The name stored in the `state` column.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Uploaded => "uploaded",
            Self::Closed => "closed",
            Self::Recorded => "recorded",
            Self::Abandoned => "abandoned",
        }
    }

    /// The inverse of [`BulkJobState::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Open,
            Self::Uploaded,
            Self::Closed,
            Self::Recorded,
            Self::Abandoned,
        ]
        .into_iter()
        .find(|state| state.as_str() == name)
    }

    /// Whether nothing is left to do for the job.
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Recorded | Self::Abandoned)
    }
}

/// One CSV row of a job: its user and the key its result row is matched by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkRow {
    pub user_id: Uuid,
    pub key: u64,
}

/// One ingest job.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkJob {
    /// leadwire's own id of the job.
    pub id: Uuid,
    /// The backfill the job belongs to.
    pub run_id: Uuid,
    pub template: String,
    pub connection: String,
    /// The REST base the job was created under, e.g. `https://…/services/data/v60.0`.
    pub api_base: String,
    /// `insert`, `update` or `upsert`.
    pub operation: String,
    pub external_id_field: Option<String>,
    /// Salesforce's job id (`750…`).
    pub sf_job_id: Option<String>,
    pub state: BulkJobState,
    /// Salesforce's state at the last poll.
    pub sf_state: Option<String>,
    /// The CSV's rows in upload order.
    pub rows: Vec<BulkRow>,
    pub processed: u64,
    pub failed: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The stored jobs of one template in one state, and their rows: what `/metrics` shows of
/// backfills, whichever process runs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkJobTally {
    pub template: String,
    pub state: BulkJobState,
    pub jobs: u64,
    /// CSV rows of those jobs.
    pub rows: u64,
    /// Of those rows, processed and failed at Salesforce, as last stored (a poll while the
    /// job runs, the results once recorded).
    pub processed: u64,
    pub failed: u64,
}

/// The most tallies [`BulkJobReads::bulk_job_tallies`] returns (templates × states).
pub const MAX_BULK_JOB_TALLIES: usize = 1_000;

/// Reads outside a transaction.
#[async_trait]
pub trait BulkJobReads {
    /// The jobs not yet finished, oldest first; of one backfill when `run_id` is given.
    async fn unfinished_bulk_jobs(&self, run_id: Option<Uuid>) -> StoreResult<Vec<BulkJob>>;

    /// The stored jobs counted by template and state, in that order: one aggregate over an
    /// index that covers it, at most [`MAX_BULK_JOB_TALLIES`].
    async fn bulk_job_tallies(&self) -> StoreResult<Vec<BulkJobTally>>;
}

/// Writes inside a transaction.
#[async_trait]
pub trait BulkJobWrites {
    /// Inserts or replaces the job.
    async fn save_bulk_job(&mut self, job: &BulkJob) -> StoreResult<()>;

    /// Marks the job recorded with its final counts; false when it already was (or is
    /// gone), so its entries must not be written again.
    async fn mark_bulk_job_recorded(
        &mut self,
        id: Uuid,
        sf_state: &str,
        processed: u64,
        failed: u64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
}

/// The `rows` column: one `user:key` line a row (simple uuid, 16 hex digits).
pub fn encode_rows(rows: &[BulkRow]) -> String {
    let mut text = String::with_capacity(rows.len() * 50);
    for row in rows {
        text.push_str(&format!("{}:{:016x}\n", row.user_id.simple(), row.key));
    }
    text
}

/// The inverse of [`encode_rows`]; `None` for a line that does not read.
pub fn decode_rows(text: &str) -> Option<Vec<BulkRow>> {
    text.lines()
        .map(|line| {
            let (user, key) = line.split_once(':')?;
            Some(BulkRow {
                user_id: Uuid::parse_str(user).ok()?,
                key: u64::from_str_radix(key, 16).ok()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_states_round_trip() {
        let rows = vec![
            BulkRow {
                user_id: Uuid::from_u128(7),
                key: u64::MAX,
            },
            BulkRow {
                user_id: Uuid::from_u128(u128::MAX),
                key: 0,
            },
        ];
        assert_eq!(decode_rows(&encode_rows(&rows)), Some(rows));
        assert_eq!(decode_rows("nope:12\n"), None);
        for state in ["open", "uploaded", "closed", "recorded", "abandoned"] {
            assert_eq!(
                BulkJobState::parse(state).map(BulkJobState::as_str),
                Some(state)
            );
        }
    }
}
