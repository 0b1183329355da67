//! Fault injection: added latency, deterministic "next N" failures and drops, seeded random shares of 5xx answers and dropped connections, a forced request-limit state, failed records inside sObject Collections (`records`), and a seeded share of Bulk API rows that fail.

mod records;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use records::RecordFault;
use records::RecordFaults;

/// Fault settings, as given at start (`[faults]` in the TOML file) or through
/// `PUT /__emulator/faults`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultSettings {
    /// Milliseconds added before every answer.
    pub latency_ms: u64,
    /// Share (0.0–1.0) of requests answered with `error_status`.
    pub error_rate: f64,
    /// The status of injected errors: 500 or 503.
    pub error_status: u16,
    /// Share (0.0–1.0) of requests whose connection is dropped without an answer.
    pub drop_rate: f64,
    /// Share (0.0–1.0) of requests served in full (their writes made) whose connection is
    /// then dropped before the answer: a client cannot tell whether its call landed.
    pub lost_answer_rate: f64,
    /// Seed of the random generator behind the two shares, so runs repeat.
    pub seed: u64,
    /// Answer every REST call with 403 REQUEST_LIMIT_EXCEEDED.
    pub limit_exceeded: bool,
    /// The next N requests are answered with `error_status`.
    pub fail_next: u32,
    /// The next N requests have their connection dropped.
    pub drop_next: u32,
    /// Share (0.0–1.0) of sObject Collections records answered with a per-record
    /// `UNABLE_TO_LOCK_ROW` and not written (seeded by `seed`).
    pub record_error_rate: f64,
    /// sObject Collections records answered with `UNABLE_TO_LOCK_ROW`, chosen by a field value
    /// or by position.
    pub fail_records: Vec<RecordFault>,
    /// Share (0.0–1.0) of Bulk API 2.0 ingest rows that fail with `UNABLE_TO_LOCK_ROW`
    /// (drawn from `seed`, in processing order), so a client's retry of failed rows can be
    /// tested.
    pub bulk_row_failure_rate: f64,
}

impl Default for FaultSettings {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            error_rate: 0.0,
            error_status: 503,
            drop_rate: 0.0,
            lost_answer_rate: 0.0,
            seed: 0,
            limit_exceeded: false,
            fail_next: 0,
            drop_next: 0,
            record_error_rate: 0.0,
            fail_records: Vec::new(),
            bulk_row_failure_rate: 0.0,
        }
    }
}

/// Why fault settings were refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FaultSettingsError {
    #[error("error_status must be 500 or 503, not {0}")]
    Status(u16),
    #[error("{0} must be between 0.0 and 1.0, not {1}")]
    Share(&'static str, f64),
    #[error("fail_records[{0}] must name `field` and `value`, or `index` (or both)")]
    RecordMatcher(usize),
}

impl FaultSettings {
    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), FaultSettingsError> {
        if !matches!(self.error_status, 500 | 503) {
            return Err(FaultSettingsError::Status(self.error_status));
        }
        for (name, share) in [
            ("error_rate", self.error_rate),
            ("drop_rate", self.drop_rate),
            ("lost_answer_rate", self.lost_answer_rate),
            ("record_error_rate", self.record_error_rate),
            ("bulk_row_failure_rate", self.bulk_row_failure_rate),
        ] {
            if !(0.0..=1.0).contains(&share) {
                return Err(FaultSettingsError::Share(name, share));
            }
        }
        for (position, matcher) in self.fail_records.iter().enumerate() {
            matcher.validate(position)?;
        }
        Ok(())
    }
}

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    Serve,
    Fail(u16),
    Drop,
    /// Serve, then drop the connection instead of answering.
    ServeThenDrop,
}

/// The live fault state shared by all connections.
#[derive(Debug)]
pub struct Faults {
    any: AtomicBool,
    settings: Mutex<FaultSettings>,
    rng: Mutex<StdRng>,
    /// A generator of its own, so Bulk row failures repeat whatever the request traffic.
    bulk_rng: Mutex<StdRng>,
    fail_next: AtomicU32,
    drop_next: AtomicU32,
    records: RecordFaults,
}

impl Faults {
    /// Faults starting from `settings` (assumed valid).
    pub fn new(settings: FaultSettings) -> Self {
        let faults = Self {
            any: AtomicBool::new(false),
            settings: Mutex::new(FaultSettings::default()),
            rng: Mutex::new(StdRng::seed_from_u64(0)),
            bulk_rng: Mutex::new(StdRng::seed_from_u64(0)),
            fail_next: AtomicU32::new(0),
            drop_next: AtomicU32::new(0),
            records: RecordFaults::default(),
        };
        faults.replace(settings);
        faults
    }

    /// Replaces every setting (and reseeds the generator).
    pub fn replace(&self, settings: FaultSettings) {
        self.fail_next.store(settings.fail_next, Ordering::SeqCst);
        self.drop_next.store(settings.drop_next, Ordering::SeqCst);
        *lock(&self.rng) = StdRng::seed_from_u64(settings.seed);
        *lock(&self.bulk_rng) = StdRng::seed_from_u64(settings.seed);
        self.records.replace(&settings);
        *lock(&self.settings) = settings;
        self.refresh();
    }

    /// The current settings, with the remaining "next N" counts.
    pub fn settings(&self) -> FaultSettings {
        let mut settings = lock(&self.settings).clone();
        settings.fail_next = self.fail_next.load(Ordering::SeqCst);
        settings.drop_next = self.drop_next.load(Ordering::SeqCst);
        settings.fail_records = self.records.matchers();
        settings
    }

    /// Whether the record at `index` of a collection request is to fail with
    /// `UNABLE_TO_LOCK_ROW` (deciding uses up a counted matcher or a random draw).
    pub fn record_fails(&self, index: usize, record: &Map<String, Value>) -> bool {
        self.records.fails(index, record)
    }

    /// Makes the next `count` requests fail with `status`.
    pub fn fail_next(&self, count: u32, status: u16) {
        lock(&self.settings).error_status = status;
        self.fail_next.store(count, Ordering::SeqCst);
        self.refresh();
    }

    /// Drops the connections of the next `count` requests.
    pub fn drop_next(&self, count: u32) {
        self.drop_next.store(count, Ordering::SeqCst);
        self.refresh();
    }

    /// Whether REST calls are forced to 403 REQUEST_LIMIT_EXCEEDED.
    pub fn limit_exceeded(&self) -> bool {
        self.any.load(Ordering::Relaxed) && lock(&self.settings).limit_exceeded
    }

    /// Whether the next Bulk ingest row is made to fail.
    pub fn bulk_row_fails(&self) -> bool {
        let rate = lock(&self.settings).bulk_row_failure_rate;
        rate > 0.0 && lock(&self.bulk_rng).random_bool(rate)
    }

    /// Decides the latency and fate of one request.
    pub fn decide(&self) -> (Duration, FaultAction) {
        if !self.any.load(Ordering::Relaxed) {
            return (Duration::ZERO, FaultAction::Serve);
        }
        let settings = lock(&self.settings).clone();
        let latency = Duration::from_millis(settings.latency_ms);
        if take_one(&self.drop_next) {
            return (latency, FaultAction::Drop);
        }
        if take_one(&self.fail_next) {
            return (latency, FaultAction::Fail(settings.error_status));
        }
        if settings.drop_rate > 0.0 || settings.error_rate > 0.0 || settings.lost_answer_rate > 0.0
        {
            let mut rng = lock(&self.rng);
            if settings.drop_rate > 0.0 && rng.random_bool(settings.drop_rate) {
                return (latency, FaultAction::Drop);
            }
            if settings.error_rate > 0.0 && rng.random_bool(settings.error_rate) {
                return (latency, FaultAction::Fail(settings.error_status));
            }
            if settings.lost_answer_rate > 0.0 && rng.random_bool(settings.lost_answer_rate) {
                return (latency, FaultAction::ServeThenDrop);
            }
        }
        (latency, FaultAction::Serve)
    }

    fn refresh(&self) {
        let settings = lock(&self.settings);
        let any = settings.latency_ms > 0
            || settings.error_rate > 0.0
            || settings.drop_rate > 0.0
            || settings.lost_answer_rate > 0.0
            || settings.limit_exceeded
            || self.fail_next.load(Ordering::SeqCst) > 0
            || self.drop_next.load(Ordering::SeqCst) > 0;
        self.any.store(any, Ordering::SeqCst);
    }
}

fn take_one(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
            left.checked_sub(1)
        })
        .is_ok()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_n_faults_are_exact_and_then_stop() {
        let faults = Faults::new(FaultSettings::default());
        faults.fail_next(2, 500);
        faults.drop_next(1);
        let actions: Vec<_> = (0..5).map(|_| faults.decide().1).collect();
        assert_eq!(
            actions,
            [
                FaultAction::Drop,
                FaultAction::Fail(500),
                FaultAction::Fail(500),
                FaultAction::Serve,
                FaultAction::Serve
            ]
        );
    }

    #[test]
    fn random_shares_repeat_for_a_seed() {
        let settings = FaultSettings {
            error_rate: 0.3,
            seed: 7,
            ..FaultSettings::default()
        };
        let run = || {
            let faults = Faults::new(settings.clone());
            (0..200).map(|_| faults.decide().1).collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        let failures = first
            .iter()
            .filter(|a| **a == FaultAction::Fail(503))
            .count();
        assert!(
            (30..90).contains(&failures),
            "{failures} failures of 200 at a 0.3 share"
        );
    }

    #[test]
    fn bad_settings_are_refused() {
        let bad = FaultSettings {
            error_status: 404,
            ..FaultSettings::default()
        };
        assert_eq!(bad.validate(), Err(FaultSettingsError::Status(404)));
        let bad = FaultSettings {
            drop_rate: 1.5,
            ..FaultSettings::default()
        };
        assert_eq!(
            bad.validate(),
            Err(FaultSettingsError::Share("drop_rate", 1.5))
        );
    }
}
