//! Segment sizes over time: one row per segment and UTC day, upserted by the engine's
//! measuring (the last measurement of a day wins) and read by `GET /segments/data_series`.
//! Rows are history: a segment removed from the config keeps its rows.
//!
//! And the running segment exports: at most one per segment, marked in the transaction that
//! enqueues the export's first job and unmarked in the one that completes its last.
//!
//! [`SegmentSizes`] is a supertrait of [`Store`](crate::Store), [`SegmentExportWrites`] of
//! [`StoreTransaction`](crate::StoreTransaction).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::error::StoreResult;

/// How many users one segment held on one day, measured at `measured_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentSize {
    /// The segment's id (`[[segments]] id`).
    pub segment_id: String,
    /// The UTC day.
    pub day: NaiveDate,
    pub size: u64,
    pub measured_at: DateTime<Utc>,
}

/// The segment size rows.
#[async_trait]
pub trait SegmentSizes {
    /// Stores `size`, replacing the row of the same segment and day.
    async fn record_segment_size(&self, size: &SegmentSize) -> StoreResult<()>;

    /// The rows of `segment_id` from `first` to `last` (both included), oldest day first.
    async fn segment_sizes(
        &self,
        segment_id: &str,
        first: NaiveDate,
        last: NaiveDate,
    ) -> StoreResult<Vec<SegmentSize>>;
}

/// The marks of running segment exports, written inside a transaction.
#[async_trait]
pub trait SegmentExportWrites {
    /// Marks an export of `segment_id` as running, unless one already is; a mark older than
    /// `stale_before` (an export that failed for good) no longer counts. Returns whether it
    /// was marked.
    async fn start_segment_export(
        &mut self,
        segment_id: &str,
        object_prefix: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Removes the mark of the export `object_prefix` of `segment_id` (nothing when another
    /// export holds the mark).
    async fn finish_segment_export(
        &mut self,
        segment_id: &str,
        object_prefix: &str,
    ) -> StoreResult<()>;
}
