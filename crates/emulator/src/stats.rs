//! Request counters by endpoint, by access token and by API family (requests, API calls charged, records written), read through `GET /__emulator/stats`.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::bulk::{BulkCounters, BulkStats};
use super::families::ApiFamily;

/// Counters, cheap to bump from many connections at once.
#[derive(Debug, Default)]
pub struct Stats {
    total: AtomicU64,
    by_endpoint: RwLock<HashMap<String, AtomicU64>>,
    by_token: RwLock<HashMap<String, AtomicU64>>,
    by_api: [FamilyCounters; ApiFamily::ALL.len()],
    /// Bulk API 2.0 ingest jobs, uploads, batches and rows.
    pub bulk: BulkCounters,
}

#[derive(Debug, Default)]
struct FamilyCounters {
    requests: AtomicU64,
    api_calls: AtomicU64,
    created: AtomicU64,
    updated: AtomicU64,
    deleted: AtomicU64,
    record_errors: AtomicU64,
}

/// One API family's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FamilyStats {
    /// HTTP requests received, whatever their answer (injected faults included).
    pub requests: u64,
    /// Requests charged to the daily API allocation (`DailyApiRequests`, `Sforce-Limit-Info`).
    pub api_calls: u64,
    /// Leads created, updated and deleted by the family's requests (rolled-back writes excluded).
    pub created: u64,
    pub updated: u64,
    pub deleted: u64,
    /// Per-record failures answered inside a 200 (sObject Collections), injected ones included.
    pub record_errors: u64,
}

/// What a successful record write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Created,
    Updated,
    Deleted,
}

/// The writes of one request, gathered while it runs and added to its family at the end.
#[derive(Debug, Default)]
pub struct Writes {
    counts: Cell<[u64; 4]>,
}

impl Writes {
    /// Counts one successful write.
    pub fn add(&self, written: Written) {
        self.bump(written as usize);
    }

    /// Counts one per-record failure.
    pub fn add_record_error(&self) {
        self.bump(3);
    }

    fn bump(&self, slot: usize) {
        let mut counts = self.counts.get();
        counts[slot] += 1;
        self.counts.set(counts);
    }

    /// The counts so far, to put back with [`Writes::restore`] when writes are rolled back.
    pub fn mark(&self) -> [u64; 4] {
        self.counts.get()
    }

    /// Forgets what was counted since `mark`.
    pub fn restore(&self, mark: [u64; 4]) {
        self.counts.set(mark);
    }
}

/// A copy of the counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsSnapshot {
    /// Requests served (admin requests excluded).
    pub total: u64,
    /// Requests by endpoint label, e.g. `POST /sobjects/Lead`.
    pub by_endpoint: BTreeMap<String, u64>,
    /// Requests by the access token they carried (only tokens the emulator issued and accepted).
    pub by_token: BTreeMap<String, u64>,
    /// Calls counted against the daily API limit.
    pub api_usage: u64,
    /// Counters by API family; every family is listed.
    pub by_api: BTreeMap<ApiFamily, FamilyStats>,
    /// Bulk API 2.0 ingest counters.
    pub bulk: BulkStats,
}

impl StatsSnapshot {
    /// The count for one endpoint label (0 when never hit).
    pub fn endpoint(&self, label: &str) -> u64 {
        self.by_endpoint.get(label).copied().unwrap_or(0)
    }

    /// The counters of one API family.
    pub fn api(&self, family: ApiFamily) -> FamilyStats {
        self.by_api.get(&family).copied().unwrap_or_default()
    }
}

fn bump(map: &RwLock<HashMap<String, AtomicU64>>, key: &str) {
    {
        let read = map
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(counter) = read.get(key) {
            counter.fetch_add(1, Ordering::Relaxed);
            return;
        }
    }
    let mut write = map
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    write
        .entry(key.to_owned())
        .or_default()
        .fetch_add(1, Ordering::Relaxed);
}

impl Stats {
    /// Counts one request to `endpoint` of `family`, made with `token` when it carried an
    /// accepted one, and what it wrote.
    pub fn record(&self, endpoint: &str, family: ApiFamily, token: Option<&str>, writes: &Writes) {
        self.total.fetch_add(1, Ordering::Relaxed);
        self.by_api[family.index()]
            .requests
            .fetch_add(1, Ordering::Relaxed);
        self.add_writes(family, writes);
        bump(&self.by_endpoint, endpoint);
        if let Some(token) = token {
            bump(&self.by_token, token);
        }
    }

    /// Adds writes made outside any request (Bulk API rows, run by the processing task) to
    /// `family`.
    pub fn add_writes(&self, family: ApiFamily, writes: &Writes) {
        let counters = &self.by_api[family.index()];
        let [created, updated, deleted, record_errors] = writes.mark();
        counters.created.fetch_add(created, Ordering::Relaxed);
        counters.updated.fetch_add(updated, Ordering::Relaxed);
        counters.deleted.fetch_add(deleted, Ordering::Relaxed);
        counters
            .record_errors
            .fetch_add(record_errors, Ordering::Relaxed);
    }

    /// Counts one call charged to the daily API allocation.
    pub fn charge(&self, family: ApiFamily) {
        self.by_api[family.index()]
            .api_calls
            .fetch_add(1, Ordering::Relaxed);
    }

    /// A copy of the counters.
    pub fn snapshot(&self, api_usage: u64) -> StatsSnapshot {
        let by_endpoint = collect_map(&self.by_endpoint);
        let by_token = {
            let read = self
                .by_token
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            read.iter()
                .map(|(k, v)| (k.clone(), v.load(Ordering::Relaxed)))
                .collect()
        };
        StatsSnapshot {
            total: self.total.load(Ordering::Relaxed),
            by_endpoint,
            by_token,
            api_usage,
            by_api: ApiFamily::ALL
                .iter()
                .map(|family| (*family, self.by_api[family.index()].read()))
                .collect(),
            bulk: self.bulk.snapshot(),
        }
    }

    /// Zeroes every counter.
    pub fn clear(&self) {
        self.total.store(0, Ordering::Relaxed);
        self.bulk.clear();
        self.by_endpoint
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        self.by_token
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        for counters in &self.by_api {
            counters.clear();
        }
    }
}

impl FamilyCounters {
    fn read(&self) -> FamilyStats {
        FamilyStats {
            requests: self.requests.load(Ordering::Relaxed),
            api_calls: self.api_calls.load(Ordering::Relaxed),
            created: self.created.load(Ordering::Relaxed),
            updated: self.updated.load(Ordering::Relaxed),
            deleted: self.deleted.load(Ordering::Relaxed),
            record_errors: self.record_errors.load(Ordering::Relaxed),
        }
    }

    fn clear(&self) {
        for counter in [
            &self.requests,
            &self.api_calls,
            &self.created,
            &self.updated,
            &self.deleted,
            &self.record_errors,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }
}

fn collect_map(map: &RwLock<HashMap<String, AtomicU64>>) -> BTreeMap<String, u64> {
    let read = map
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    read.iter()
        .map(|(k, v)| (k.clone(), v.load(Ordering::Relaxed)))
        .collect()
}
