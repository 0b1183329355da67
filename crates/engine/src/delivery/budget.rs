//! The API budget floor: a Salesforce connection whose newest usage reading (from
//! `Sforce-Limit-Info` or `/limits`, see [`super::usage`]) leaves no more than its
//! `api_floor` holds back the sends of templates that are not `priority = "urgent"`, so they
//! wait as durable jobs instead of running into `403 REQUEST_LIMIT_EXCEEDED`. Whether a send
//! waits is [`hold`], pure; [`ApiBudget`] keeps the readings, exports them and says (at WARN)
//! when a connection reaches its floor or has room again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use leadwire_core::config::{ApiFloor, SalesforceConnection};

use super::usage::{ApiUsage, ApiUsageReadings};
use crate::metrics::Metrics;

/// How every budget deferral's reason begins; a job whose last note begins so already has
/// its activity entry.
pub const BUDGET_DEFERRAL: &str = "deferred: Salesforce API budget floor reached";

/// Why a send waits: its connection's requests left, daily limit and floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    pub remaining: u64,
    pub limit: u64,
    pub floor: u64,
}

impl Hold {
    /// The activity-log message and the job's note, e.g. "deferred: Salesforce API budget
    /// floor reached on `sales` (1,420 of 100,000 requests left, floor 10,000)".
    pub fn reason(&self, connection: &str) -> String {
        format!(
            "{BUDGET_DEFERRAL} on `{connection}` ({} of {} requests left, floor {}); non-urgent sends wait until a newer reading shows room",
            grouped(self.remaining),
            grouped(self.limit),
            grouped(self.floor)
        )
    }
}

/// Whether a send waits: only a non-urgent send, with a reading, on a connection with a
/// floor above zero, when no more than the floor is left.
pub fn hold(reading: Option<&ApiUsage>, floor: ApiFloor, urgent: bool) -> Option<Hold> {
    let reading = reading?;
    let limit = u64::try_from(reading.limit).unwrap_or(0);
    let remaining = u64::try_from(reading.remaining()).unwrap_or(0);
    let floor = floor.requests(limit);
    (!urgent && floor > 0 && remaining <= floor).then_some(Hold {
        remaining,
        limit,
        floor,
    })
}

/// `1420000` as `1,420,000`.
fn grouped(number: u64) -> String {
    let digits = number.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The readings and floors of every connection, and which are at their floor.
pub struct ApiBudget {
    readings: ApiUsageReadings,
    floors: HashMap<String, ApiFloor>,
    paused: Mutex<HashMap<String, bool>>,
    metrics: Arc<Metrics>,
}

impl ApiBudget {
    pub fn new(connections: &[SalesforceConnection], metrics: Arc<Metrics>) -> Self {
        Self {
            readings: ApiUsageReadings::default(),
            floors: connections
                .iter()
                .map(|connection| (connection.name.clone(), connection.api_floor))
                .collect(),
            paused: Mutex::new(HashMap::new()),
            metrics,
        }
    }

    /// Keeps `usage` when it is `connection`'s newest reading, exports it, and logs a WARN
    /// line when the connection reaches its floor or has room again.
    pub fn observe(&self, connection: &str, usage: ApiUsage) {
        if !self.readings.record(connection, usage) {
            return;
        }
        self.metrics
            .record_salesforce_api_usage(connection, usage.used, usage.limit);
        let Some(floor) = self.floors.get(connection).copied() else {
            return;
        };
        let held = hold(Some(&usage), floor, false);
        let limit = u64::try_from(usage.limit).unwrap_or(0);
        let floor_requests = i64::try_from(floor.requests(limit)).unwrap_or(i64::MAX);
        self.metrics
            .set_salesforce_budget(connection, floor_requests, held.is_some());
        let was_held = self
            .lock()
            .insert(connection.to_owned(), held.is_some())
            .unwrap_or(false);
        match held {
            Some(held) if !was_held => tracing::warn!(
                connection,
                remaining = held.remaining,
                limit = held.limit,
                floor = held.floor,
                api_floor = %floor,
                "Salesforce API budget floor reached; non-urgent sends wait"
            ),
            None if was_held => tracing::warn!(
                connection,
                remaining = usage.remaining(),
                limit = usage.limit,
                "Salesforce API budget has room again; deferred sends resume"
            ),
            _ => {}
        }
    }

    /// Whether a send on `connection` waits now, and why.
    pub fn hold(&self, connection: &str, urgent: bool) -> Option<Hold> {
        let floor = self.floors.get(connection).copied()?;
        hold(self.readings.latest(connection).as_ref(), floor, urgent)
    }

    /// The newest reading of `connection`.
    pub fn latest(&self, connection: &str) -> Option<ApiUsage> {
        self.readings.latest(connection)
    }

    /// Whether `connection`'s newest reading is at its floor.
    pub fn is_paused(&self, connection: &str) -> bool {
        self.lock().get(connection).copied().unwrap_or(false)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, bool>> {
        // Plain flags; a panic elsewhere cannot leave them half-written.
        self.paused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeDelta, Utc};
    use proptest::prelude::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("valid time")
    }

    fn reading(used: i64, limit: i64) -> ApiUsage {
        ApiUsage {
            used,
            limit,
            seen_at: at(0),
        }
    }

    const TEN_PERCENT: ApiFloor = ApiFloor::Share { basis_points: 1000 };

    #[test]
    fn the_floor_holds_non_urgent_sends_only() {
        let low = reading(98_580, 100_000);
        let expected = Hold {
            remaining: 1_420,
            limit: 100_000,
            floor: 10_000,
        };
        assert_eq!(hold(Some(&low), TEN_PERCENT, false), Some(expected));
        assert_eq!(hold(Some(&low), TEN_PERCENT, true), None);
        assert_eq!(hold(None, TEN_PERCENT, false), None, "no reading yet");
        assert_eq!(
            hold(Some(&low), ApiFloor::Requests(0), false),
            None,
            "floor off"
        );
        let at_floor = reading(90_000, 100_000);
        assert!(hold(Some(&at_floor), TEN_PERCENT, false).is_some());
        let above = reading(89_999, 100_000);
        assert_eq!(hold(Some(&above), TEN_PERCENT, false), None);
        let over = reading(100_500, 100_000);
        assert_eq!(
            hold(Some(&over), ApiFloor::Requests(10), false).map(|held| held.remaining),
            Some(0)
        );
        assert_eq!(
            expected.reason("sales"),
            "deferred: Salesforce API budget floor reached on `sales` (1,420 of 100,000 requests left, floor 10,000); non-urgent sends wait until a newer reading shows room"
        );
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(12_345_678), "12,345,678");
    }

    #[test]
    fn a_newer_reading_pauses_and_resumes_and_an_older_one_is_ignored() {
        let connection: SalesforceConnection = toml::from_str(
            "name = \"sales\"\ninstance_url = \"https://x\"\nclient_id = \"c\"\napi_floor = 100",
        )
        .expect("a connection");
        let metrics = Arc::new(Metrics::new());
        let budget = ApiBudget::new(&[connection], metrics.clone());
        assert_eq!(budget.hold("sales", false), None);
        budget.observe("sales", reading(950, 1000));
        assert!(budget.is_paused("sales"));
        assert!(budget.hold("sales", false).is_some());
        assert_eq!(budget.hold("sales", true), None);
        assert_eq!(budget.hold("unknown", false), None, "no floor configured");
        let older = ApiUsage {
            used: 0,
            seen_at: at(-1),
            ..reading(0, 1000)
        };
        budget.observe("sales", older);
        assert!(
            budget.is_paused("sales"),
            "an older reading changes nothing"
        );
        let text = metrics.encode();
        assert!(
            text.contains(r#"leadwire_salesforce_budget_paused{connection="sales"} 1"#),
            "{text}"
        );
        budget.observe(
            "sales",
            ApiUsage {
                seen_at: at(0) + TimeDelta::minutes(5),
                ..reading(10, 1000)
            },
        );
        assert!(!budget.is_paused("sales"));
        assert_eq!(budget.hold("sales", false), None);
        let text = metrics.encode();
        for line in [
            r#"leadwire_salesforce_budget_paused{connection="sales"} 0"#,
            r#"leadwire_salesforce_api_remaining{connection="sales"} 990"#,
            r#"leadwire_salesforce_api_floor{connection="sales"} 100"#,
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
    }

    proptest! {
        #[test]
        fn urgent_sends_never_wait_and_others_wait_exactly_at_or_below_the_floor(
            limit in 0i64..10_000_000,
            used in 0i64..12_000_000,
            basis_points in 0u32..=10_000,
            requests in 0u64..20_000_000,
            by_share in any::<bool>(),
        ) {
            let floor = if by_share {
                ApiFloor::Share { basis_points }
            } else {
                ApiFloor::Requests(requests)
            };
            let usage = reading(used, limit);
            prop_assert_eq!(hold(Some(&usage), floor, true), None);
            let floor_requests = floor.requests(u64::try_from(limit).unwrap_or(0));
            let remaining = u64::try_from((limit - used).max(0)).unwrap_or(0);
            let waits = hold(Some(&usage), floor, false).is_some();
            prop_assert_eq!(waits, floor_requests > 0 && remaining <= floor_requests);
            if let Some(held) = hold(Some(&usage), floor, false) {
                prop_assert!(held.remaining <= held.floor);
                prop_assert!(held.reason("c").starts_with(BUDGET_DEFERRAL));
            }
            // More usage never lifts a hold.
            let more = reading(used.saturating_add(1), limit);
            if waits {
                prop_assert!(hold(Some(&more), floor, false).is_some());
            }
        }
    }
}
