//! Connection back-off after Salesforce's `403 REQUEST_LIMIT_EXCEEDED`: the connection rests,
//! and sends to it wait without being attempted, instead of hammering an exhausted quota.
//! Each further refusal doubles the rest, up to a maximum; a success ends it.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};

#[derive(Debug, Clone, Copy)]
struct Rest {
    until: DateTime<Utc>,
    length: TimeDelta,
}

/// Back-off state per connection (or per host for templates without one).
#[derive(Debug)]
pub struct ConnectionBackoffs {
    initial: TimeDelta,
    max: TimeDelta,
    rests: Mutex<HashMap<String, Rest>>,
}

impl ConnectionBackoffs {
    pub fn new(initial: TimeDelta, max: TimeDelta) -> Self {
        Self {
            initial,
            max: max.max(initial),
            rests: Mutex::new(HashMap::new()),
        }
    }

    /// When `key` may be called again, while it rests.
    pub fn resting_until(&self, key: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let rests = self.lock();
        rests
            .get(key)
            .map(|rest| rest.until)
            .filter(|until| now < *until)
    }

    /// Every key resting at `now` and when its rest ends, by key.
    pub fn resting(&self, now: DateTime<Utc>) -> Vec<(String, DateTime<Utc>)> {
        let mut resting: Vec<(String, DateTime<Utc>)> = self
            .lock()
            .iter()
            .filter(|(_, rest)| now < rest.until)
            .map(|(key, rest)| (key.clone(), rest.until))
            .collect();
        resting.sort();
        resting
    }

    /// Starts or lengthens the rest of `key`; returns its end.
    pub fn back_off(&self, key: &str, now: DateTime<Utc>) -> DateTime<Utc> {
        let mut rests = self.lock();
        let length = match rests.get(key) {
            Some(rest) if now < rest.until => return rest.until,
            Some(rest) => (rest.length * 2).min(self.max),
            None => self.initial,
        };
        let until = now + length;
        rests.insert(key.to_owned(), Rest { until, length });
        until
    }

    /// A call succeeded: the next refusal starts from the initial rest again.
    pub fn clear(&self, key: &str) {
        self.lock().remove(key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Rest>> {
        // Plain values; a panic elsewhere cannot leave them inconsistent.
        self.rests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rests_double_up_to_the_maximum_and_a_success_resets_them() {
        let backoffs = ConnectionBackoffs::new(TimeDelta::minutes(5), TimeDelta::minutes(15));
        let start = DateTime::from_timestamp(1_800_000_000, 0).expect("valid time");
        assert_eq!(backoffs.resting_until("sf", start), None);
        let first = backoffs.back_off("sf", start);
        assert_eq!(first, start + TimeDelta::minutes(5));
        // A refusal during the rest does not lengthen it.
        assert_eq!(
            backoffs.back_off("sf", start + TimeDelta::minutes(1)),
            first
        );
        assert_eq!(
            backoffs.resting_until("sf", start + TimeDelta::minutes(4)),
            Some(first)
        );
        assert_eq!(backoffs.resting_until("other", start), None);
        backoffs.back_off("other", start + TimeDelta::minutes(1));
        assert_eq!(
            backoffs.resting(start + TimeDelta::minutes(4)),
            vec![
                ("other".to_owned(), start + TimeDelta::minutes(6)),
                ("sf".to_owned(), first)
            ]
        );
        assert_eq!(backoffs.resting(start + TimeDelta::minutes(6)), Vec::new());
        let second = backoffs.back_off("sf", first);
        assert_eq!(second, first + TimeDelta::minutes(10));
        let third = backoffs.back_off("sf", second);
        assert_eq!(third, second + TimeDelta::minutes(15));
        backoffs.clear("sf");
        assert_eq!(backoffs.resting_until("sf", second), None);
        assert_eq!(
            backoffs.back_off("sf", third),
            third + TimeDelta::minutes(5)
        );
    }
}
