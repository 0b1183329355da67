//! Request counters by endpoint and by access token, read through `GET /__emulator/stats`.

use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// Counters, cheap to bump from many connections at once.
#[derive(Debug, Default)]
pub struct Stats {
    total: AtomicU64,
    by_endpoint: RwLock<HashMap<String, AtomicU64>>,
    by_token: RwLock<HashMap<String, AtomicU64>>,
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
}

impl StatsSnapshot {
    /// The count for one endpoint label (0 when never hit).
    pub fn endpoint(&self, label: &str) -> u64 {
        self.by_endpoint.get(label).copied().unwrap_or(0)
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
    /// Counts one request to `endpoint`, made with `token` when it carried an accepted one.
    pub fn record(&self, endpoint: &str, token: Option<&str>) {
        self.total.fetch_add(1, Ordering::Relaxed);
        bump(&self.by_endpoint, endpoint);
        if let Some(token) = token {
            bump(&self.by_token, token);
        }
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
        }
    }

    /// Zeroes every counter.
    pub fn clear(&self) {
        self.total.store(0, Ordering::Relaxed);
        self.by_endpoint
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        self.by_token
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
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
