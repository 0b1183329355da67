//! Salesforce's API usage as its responses report it: `Sforce-Limit-Info: api-usage=25/15000`
//! is parsed here and nowhere else, and so is the `DailyApiRequests` entry of the `/limits`
//! resource; the latest reading of each connection, whichever carried it, is kept for the
//! budget floor (`budget`) and the status snapshot (the metrics export the same numbers).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// The header Salesforce reports API usage in.
pub const LIMIT_INFO_HEADER: &str = "sforce-limit-info";

/// One reading of a connection's daily API usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiUsage {
    /// Requests used in the last 24 hours.
    pub used: i64,
    /// The org's daily allowance.
    pub limit: i64,
    /// When the response that carried it ended.
    pub seen_at: DateTime<Utc>,
}

impl ApiUsage {
    /// The reading in a `Sforce-Limit-Info` value, e.g. `api-usage=25/15000` (other
    /// entries, such as `per-app-api-usage`, are skipped).
    pub fn parse(header: &str, seen_at: DateTime<Utc>) -> Option<Self> {
        header.split(',').find_map(|part| {
            let usage = part.trim().strip_prefix("api-usage=")?;
            let (used, limit) = usage.split_once('/')?;
            Some(Self {
                used: used.trim().parse().ok()?,
                limit: limit.trim().parse().ok()?,
                seen_at,
            })
        })
    }

    /// Requests left today (never below 0).
    pub fn remaining(&self) -> i64 {
        (self.limit - self.used).max(0)
    }

    /// The reading in a `/limits` answer: `{"DailyApiRequests": {"Max": 15000,
    /// "Remaining": 14975}, …}`.
    pub fn from_limits(body: &serde_json::Value, seen_at: DateTime<Utc>) -> Option<Self> {
        let daily = body.get("DailyApiRequests")?;
        // Numbers in current versions; very old ones sent strings.
        let count = |key: &str| match daily.get(key)? {
            serde_json::Value::String(text) => text.trim().parse::<i64>().ok(),
            value => value.as_i64(),
        };
        let (limit, remaining) = (count("Max")?, count("Remaining")?);
        Some(Self {
            used: limit.saturating_sub(remaining).max(0),
            limit,
            seen_at,
        })
    }

    /// The share of the allowance used, in percent (0 when the limit is 0).
    pub fn percent(&self) -> f64 {
        if self.limit <= 0 {
            return 0.0;
        }
        // Counts of API calls are far below f64's exact-integer range.
        let share = self.used as f64 / self.limit as f64;
        share * 100.0
    }
}

/// The latest reading per connection (or per host, for templates without one).
#[derive(Debug, Default)]
pub struct ApiUsageReadings {
    latest: Mutex<HashMap<String, ApiUsage>>,
}

impl ApiUsageReadings {
    /// Keeps `usage` as `connection`'s reading unless a later one is already kept (sends
    /// finish out of order); of two seen at once, the higher usage. Says whether it was kept.
    pub fn record(&self, connection: &str, usage: ApiUsage) -> bool {
        let mut latest = self.lock();
        let newer = |kept: &ApiUsage| (usage.seen_at, usage.used) > (kept.seen_at, kept.used);
        let kept = latest.get(connection).is_none_or(newer);
        if kept {
            latest.insert(connection.to_owned(), usage);
        }
        kept
    }

    /// The latest reading of `connection`.
    pub fn latest(&self, connection: &str) -> Option<ApiUsage> {
        self.lock().get(connection).copied()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ApiUsage>> {
        // Plain values; a panic elsewhere cannot leave them half-written.
        self.latest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("valid time")
    }

    #[test]
    fn limit_info_is_parsed() {
        let usage = ApiUsage::parse("api-usage=25/15000", at(0)).expect("a reading");
        assert_eq!((usage.used, usage.limit, usage.seen_at), (25, 15000, at(0)));
        let both = ApiUsage::parse("per-app-api-usage=1/2, api-usage=3/4", at(0));
        assert_eq!(both.map(|usage| (usage.used, usage.limit)), Some((3, 4)));
        assert_eq!(ApiUsage::parse("nonsense", at(0)), None);
        assert_eq!(ApiUsage::parse("api-usage=x/4", at(0)), None);
        assert!((usage.percent() - 0.166_666).abs() < 0.001);
        let none = ApiUsage { limit: 0, ..usage };
        assert!(none.percent().abs() < f64::EPSILON);
        assert_eq!((usage.remaining(), none.remaining()), (14975, 0));
    }

    #[test]
    fn limits_answers_are_read() {
        let body = serde_json::json!({
            "DailyApiRequests": {"Max": 100_000, "Remaining": 1_420},
            "DataStorageMB": {"Max": 5, "Remaining": 5}
        });
        let usage = ApiUsage::from_limits(&body, at(0)).expect("a reading");
        assert_eq!(
            (usage.used, usage.limit, usage.remaining()),
            (98_580, 100_000, 1_420)
        );
        let old = serde_json::json!({"DailyApiRequests": {"Max": "15000", "Remaining": "14998"}});
        let usage = ApiUsage::from_limits(&old, at(0)).map(|usage| (usage.used, usage.limit));
        assert_eq!(usage, Some((2, 15000)));
        let missing = serde_json::json!({"DailyApiRequests": {"Max": 5}});
        assert_eq!(ApiUsage::from_limits(&missing, at(0)), None);
        assert_eq!(ApiUsage::from_limits(&serde_json::json!([]), at(0)), None);
    }

    #[test]
    fn the_latest_reading_is_kept_per_connection() {
        let readings = ApiUsageReadings::default();
        assert_eq!(readings.latest("sales"), None);
        let first = ApiUsage::parse("api-usage=5/100", at(10)).expect("a reading");
        let earlier = ApiUsage::parse("api-usage=4/100", at(10) - TimeDelta::seconds(1));
        let later = ApiUsage::parse("api-usage=6/100", at(11)).expect("a reading");
        assert!(readings.record("sales", first));
        assert!(!readings.record("sales", earlier.expect("a reading")));
        assert_eq!(readings.latest("sales"), Some(first));
        let same_time_lower = ApiUsage { used: 1, ..first };
        readings.record("sales", same_time_lower);
        assert_eq!(readings.latest("sales"), Some(first));
        readings.record("sales", later);
        readings.record("other", first);
        assert_eq!(readings.latest("sales"), Some(later));
        assert_eq!(readings.latest("other"), Some(first));
    }
}
