//! Record-level faults of sObject Collections: a seeded share of records, and records chosen by a field value or by position, answered with a retryable `UNABLE_TO_LOCK_ROW` instead of being written.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{FaultSettings, FaultSettingsError, lock};

/// Records to fail, chosen by a field value or by their position in the collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordFault {
    /// A field of the record (any case), e.g. `Email`; with `value`. `Id` matches the id of an
    /// update or delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The value that field must have, compared as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The record's 0-based position in the request's `records` (or `ids`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// How many matching records fail before the matcher stops; absent: every one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

impl RecordFault {
    /// Checks that the matcher names something to match.
    pub fn validate(&self, position: usize) -> Result<(), FaultSettingsError> {
        let by_value = match (&self.field, &self.value) {
            (Some(field), Some(_)) if !field.is_empty() => true,
            (None, None) => false,
            _ => return Err(FaultSettingsError::RecordMatcher(position)),
        };
        if by_value || self.index.is_some() {
            Ok(())
        } else {
            Err(FaultSettingsError::RecordMatcher(position))
        }
    }

    fn matches(&self, index: usize, record: &Map<String, Value>) -> bool {
        if self.times == Some(0) || self.index.is_some_and(|wanted| wanted != index) {
            return false;
        }
        let (Some(field), Some(wanted)) = (&self.field, &self.value) else {
            return true;
        };
        record
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(field))
            .is_some_and(|(_, value)| match value {
                Value::String(text) => text == wanted,
                Value::Null => false,
                other => wanted.as_str() == other.to_string().as_str(),
            })
    }
}

/// The live record-fault state: the matchers with their remaining counts and the generator.
#[derive(Debug)]
pub struct RecordFaults {
    any: AtomicBool,
    rate: Mutex<f64>,
    matchers: Mutex<Vec<RecordFault>>,
    rng: Mutex<StdRng>,
}

/// Keeps the record generator's draws apart from the whole-call generator's for one seed.
const RECORD_SEED_SALT: u64 = 0x5245_434f_5244_5321;

impl Default for RecordFaults {
    fn default() -> Self {
        Self {
            any: AtomicBool::new(false),
            rate: Mutex::new(0.0),
            matchers: Mutex::new(Vec::new()),
            rng: Mutex::new(StdRng::seed_from_u64(RECORD_SEED_SALT)),
        }
    }
}

impl RecordFaults {
    /// Takes the record settings (and reseeds the generator).
    pub fn replace(&self, settings: &FaultSettings) {
        *lock(&self.rate) = settings.record_error_rate;
        *lock(&self.matchers) = settings.fail_records.clone();
        *lock(&self.rng) = StdRng::seed_from_u64(settings.seed ^ RECORD_SEED_SALT);
        let any = settings.record_error_rate > 0.0 || !settings.fail_records.is_empty();
        self.any.store(any, Ordering::SeqCst);
    }

    /// The matchers with their remaining counts.
    pub fn matchers(&self) -> Vec<RecordFault> {
        lock(&self.matchers).clone()
    }

    /// Whether the record at `index` of a collection is to fail; a matcher with a count uses
    /// one of it.
    pub fn fails(&self, index: usize, record: &Map<String, Value>) -> bool {
        if !self.any.load(Ordering::Relaxed) {
            return false;
        }
        if let Some(matcher) = lock(&self.matchers)
            .iter_mut()
            .find(|matcher| matcher.matches(index, record))
        {
            if let Some(times) = &mut matcher.times {
                *times -= 1;
            }
            return true;
        }
        let rate = *lock(&self.rate);
        rate > 0.0 && lock(&self.rng).random_bool(rate)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn matchers_pick_by_value_or_position_and_run_out() {
        let faults = RecordFaults::default();
        faults.replace(&FaultSettings {
            fail_records: vec![
                RecordFault {
                    field: Some("email".into()),
                    value: Some("lock@x.test".into()),
                    index: None,
                    times: Some(1),
                },
                RecordFault {
                    field: None,
                    value: None,
                    index: Some(2),
                    times: None,
                },
            ],
            ..FaultSettings::default()
        });
        let locked = record(json!({"Email": "lock@x.test"}));
        let other = record(json!({"Email": "ok@x.test"}));
        assert!(faults.fails(0, &locked));
        assert!(!faults.fails(0, &locked), "the count ran out");
        assert!(!faults.fails(1, &other));
        assert!(faults.fails(2, &other));
        assert!(faults.fails(2, &other), "no count: every time");
        assert_eq!(faults.matchers()[0].times, Some(0));
    }

    #[test]
    fn the_share_repeats_for_a_seed() {
        let settings = FaultSettings {
            record_error_rate: 0.25,
            seed: 11,
            ..FaultSettings::default()
        };
        let run = || {
            let faults = RecordFaults::default();
            faults.replace(&settings);
            (0..400)
                .map(|index| faults.fails(index, &Map::new()))
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        let failed = first.iter().filter(|failed| **failed).count();
        assert!((60..140).contains(&failed), "{failed} of 400 at 0.25");
    }

    #[test]
    fn a_matcher_must_name_something() {
        let empty = RecordFault {
            field: None,
            value: None,
            index: None,
            times: Some(1),
        };
        assert_eq!(empty.validate(3), Err(FaultSettingsError::RecordMatcher(3)));
        let half = RecordFault {
            field: Some("Email".into()),
            ..empty.clone()
        };
        assert_eq!(half.validate(0), Err(FaultSettingsError::RecordMatcher(0)));
    }
}
