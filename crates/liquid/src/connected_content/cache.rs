//! The pluggable cache of Connected Content responses, shared across renders by the caller.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::FetchedResponse;

/// A cache of responses keyed by [`super::ConnectedRequest::cache_key`]. Entries may be
/// evicted early; a TTL is an upper bound, as in Braze.
pub trait ResponseCache: Send + Sync {
    fn get(&self, key: &str, now: DateTime<Utc>) -> Option<FetchedResponse>;
    fn put(&self, key: &str, response: &FetchedResponse, ttl: Duration, now: DateTime<Utc>);
}

/// Caches nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoCache;

impl ResponseCache for NoCache {
    fn get(&self, _key: &str, _now: DateTime<Utc>) -> Option<FetchedResponse> {
        None
    }

    fn put(&self, _key: &str, _response: &FetchedResponse, _ttl: Duration, _now: DateTime<Utc>) {}
}

/// An in-process cache with a bound on entries; expired entries are dropped when full.
#[derive(Debug)]
pub struct MemoryCache {
    entries: Mutex<HashMap<String, (FetchedResponse, DateTime<Utc>)>>,
    max_entries: usize,
}

impl Default for MemoryCache {
    fn default() -> Self {
        MemoryCache::new(10_000)
    }
}

impl MemoryCache {
    pub fn new(max_entries: usize) -> Self {
        MemoryCache {
            entries: Mutex::new(HashMap::new()),
            max_entries,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ResponseCache for MemoryCache {
    fn get(&self, key: &str, now: DateTime<Utc>) -> Option<FetchedResponse> {
        let entries = self.entries.lock().ok()?;
        let (response, expires) = entries.get(key)?;
        (now < *expires).then(|| response.clone())
    }

    fn put(&self, key: &str, response: &FetchedResponse, ttl: Duration, now: DateTime<Utc>) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= self.max_entries {
            entries.retain(|_, (_, expires)| now < *expires);
            if entries.len() >= self.max_entries {
                return;
            }
        }
        let ttl = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::zero());
        entries.insert(key.to_string(), (response.clone(), now + ttl));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_by_the_clock_given() {
        let cache = MemoryCache::new(4);
        let now = Utc::now();
        let response = FetchedResponse {
            status: 200,
            headers: vec![],
            body: "{}".into(),
        };
        cache.put("GET https://a", &response, Duration::from_secs(300), now);
        assert_eq!(
            cache.get("GET https://a", now + chrono::Duration::seconds(299)),
            Some(response)
        );
        assert_eq!(
            cache.get("GET https://a", now + chrono::Duration::seconds(300)),
            None
        );
    }
}
