//! The Bulk API 2.0 counters: every count the emulator keeps about ingest jobs, in one
//! place, read through `GET /__emulator/stats` (`bulk`) and `/limits`
//! (`DailyBulkApiBatches`). Each HTTP call of a job also counts toward the daily API usage
//! like any REST call, in the router.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// Live counters, bumped by the job handlers and the processing task.
#[derive(Debug, Default)]
pub struct BulkCounters {
    jobs_created: AtomicU64,
    uploads: AtomicU64,
    batches: AtomicU64,
    records_processed: AtomicU64,
    records_failed: AtomicU64,
    jobs_completed: AtomicU64,
    jobs_failed: AtomicU64,
    jobs_aborted: AtomicU64,
}

/// A copy of the Bulk counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkStats {
    /// Ingest jobs created.
    pub jobs_created: u64,
    /// CSV uploads accepted (`PUT …/batches`).
    pub uploads: u64,
    /// Internal batches of up to 10,000 rows processed: what `DailyBulkApiBatches` counts.
    pub batches: u64,
    /// Rows processed, failed ones included.
    pub records_processed: u64,
    /// Rows that failed.
    pub records_failed: u64,
    /// Jobs that ended `JobComplete`, `Failed` and `Aborted`.
    pub jobs_completed: u64,
    pub jobs_failed: u64,
    pub jobs_aborted: u64,
}

/// How a job ended, for the counters.
#[derive(Debug, Clone, Copy)]
pub enum JobEnd {
    Completed,
    Failed,
    Aborted,
}

fn add(counter: &AtomicU64, amount: u64) {
    counter.fetch_add(amount, Ordering::Relaxed);
}

impl BulkCounters {
    pub fn job_created(&self) {
        add(&self.jobs_created, 1);
    }

    pub fn upload(&self) {
        add(&self.uploads, 1);
    }

    /// Takes one batch of the daily allocation `limit`; false when none is left.
    pub fn take_batch(&self, limit: u64) -> bool {
        self.batches
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                (used < limit).then_some(used + 1)
            })
            .is_ok()
    }

    /// Batches used so far.
    pub fn batches_used(&self) -> u64 {
        self.batches.load(Ordering::SeqCst)
    }

    pub fn rows(&self, processed: u64, failed: u64) {
        add(&self.records_processed, processed);
        add(&self.records_failed, failed);
    }

    pub fn job_ended(&self, end: JobEnd) {
        match end {
            JobEnd::Completed => add(&self.jobs_completed, 1),
            JobEnd::Failed => add(&self.jobs_failed, 1),
            JobEnd::Aborted => add(&self.jobs_aborted, 1),
        }
    }

    pub fn snapshot(&self) -> BulkStats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        BulkStats {
            jobs_created: load(&self.jobs_created),
            uploads: load(&self.uploads),
            batches: load(&self.batches),
            records_processed: load(&self.records_processed),
            records_failed: load(&self.records_failed),
            jobs_completed: load(&self.jobs_completed),
            jobs_failed: load(&self.jobs_failed),
            jobs_aborted: load(&self.jobs_aborted),
        }
    }

    pub fn clear(&self) {
        for counter in [
            &self.jobs_created,
            &self.uploads,
            &self.batches,
            &self.records_processed,
            &self.records_failed,
            &self.jobs_completed,
            &self.jobs_failed,
            &self.jobs_aborted,
        ] {
            counter.store(0, Ordering::SeqCst);
        }
    }
}
