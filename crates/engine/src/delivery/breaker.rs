//! The per-host circuit breaker: a host that keeps failing is paused for a cooldown.
//!
//! Braze's rule (reference §2): more than 3,000 failures for one host in any one-minute
//! moving window halts sends to it for one minute; while halted, sends are recorded with the
//! simulated status 598; after the pause the host is tried again and, if it still fails,
//! paused again. leadwire keeps that rule with the numbers configurable. Only statuses that
//! signal an overloaded or unreachable host count: 408, 429, 502, 503, 504, 529 and 599.
//!
//! The breaker is plain data driven by an explicit `now`, so it is tested without clocks.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The breaker's numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerSettings {
    /// More failures than this inside `window` pause the host.
    pub failure_threshold: usize,
    pub window: Duration,
    /// How long a paused host stays paused.
    pub cooldown: Duration,
}

impl BreakerSettings {
    /// Braze's numbers: more than 3,000 failures in one minute pause the host for a minute.
    pub fn braze_default() -> Self {
        Self {
            failure_threshold: 3000,
            window: Duration::from_secs(60),
            cooldown: Duration::from_secs(60),
        }
    }
}

/// Whether a status counts as a host failure for the breaker.
pub fn counts_as_host_failure(status: u16) -> bool {
    matches!(status, 408 | 429 | 502 | 503 | 504 | 529 | 599)
}

/// One host's breaker as it stands, for the status snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostBreaker {
    pub host: String,
    /// While the host is paused: when sends to it resume.
    pub paused_until: Option<Instant>,
    /// A pause has ended and the host is on probation: the next failure pauses it again.
    pub probing: bool,
    /// Failures inside the window that ends now.
    pub recent_failures: usize,
}

#[derive(Debug, Default)]
struct HostState {
    failures: VecDeque<Instant>,
    paused_until: Option<Instant>,
    /// Set once a pause has ended and the host is on probation: one failure re-pauses it.
    probing: bool,
}

/// Breakers for every host, shared by all delivery tasks.
#[derive(Debug)]
pub struct CircuitBreakers {
    settings: BreakerSettings,
    hosts: Mutex<HashMap<String, HostState>>,
}

impl CircuitBreakers {
    pub fn new(settings: BreakerSettings) -> Self {
        Self {
            settings,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(until)` while `host` is paused; the caller records 598 and retries after `until`.
    pub fn paused_until(&self, host: &str, now: Instant) -> Option<Instant> {
        let mut hosts = self.lock();
        let state = hosts.get_mut(host)?;
        match state.paused_until {
            Some(until) if now < until => Some(until),
            Some(_) => {
                state.paused_until = None;
                state.probing = true;
                None
            }
            None => None,
        }
    }

    /// Record the status an attempt to `host` ended with.
    pub fn record(&self, host: &str, status: u16, now: Instant) {
        let mut hosts = self.lock();
        if !counts_as_host_failure(status) {
            if let Some(state) = hosts.get_mut(host) {
                state.probing = false;
                state.failures.clear();
            }
            return;
        }
        let state = hosts.entry(host.to_owned()).or_default();
        if state.probing {
            state.probing = false;
            state.failures.clear();
            state.paused_until = Some(now + self.settings.cooldown);
            return;
        }
        state.failures.push_back(now);
        while let Some(&oldest) = state.failures.front() {
            if now.duration_since(oldest) >= self.settings.window {
                state.failures.pop_front();
            } else {
                break;
            }
        }
        if state.failures.len() > self.settings.failure_threshold {
            state.failures.clear();
            state.paused_until = Some(now + self.settings.cooldown);
        }
    }

    /// Every host the breaker has counted a failure of, by name, as it stands at `now`.
    /// Reading changes nothing.
    pub fn snapshot(&self, now: Instant) -> Vec<HostBreaker> {
        let hosts = self.lock();
        let mut breakers: Vec<HostBreaker> = hosts
            .iter()
            .map(|(host, state)| {
                let paused_until = state.paused_until.filter(|until| now < *until);
                let pause_over = state.paused_until.is_some() && paused_until.is_none();
                HostBreaker {
                    host: host.clone(),
                    paused_until,
                    probing: state.probing || pause_over,
                    recent_failures: state
                        .failures
                        .iter()
                        .filter(|failed| {
                            now.saturating_duration_since(**failed) < self.settings.window
                        })
                        .count(),
                }
            })
            .collect();
        breakers.sort_by(|a, b| a.host.cmp(&b.host));
        breakers
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HostState>> {
        // The map holds plain counters; a panic elsewhere cannot leave it inconsistent.
        self.hosts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breakers(threshold: usize) -> CircuitBreakers {
        CircuitBreakers::new(BreakerSettings {
            failure_threshold: threshold,
            window: Duration::from_secs(60),
            cooldown: Duration::from_secs(60),
        })
    }

    #[test]
    fn a_host_is_paused_only_past_the_threshold() {
        let breakers = breakers(3);
        let start = Instant::now();
        for i in 0..3 {
            breakers.record("a.example", 503, start + Duration::from_secs(i));
        }
        assert_eq!(
            breakers.paused_until("a.example", start + Duration::from_secs(3)),
            None
        );
        breakers.record("a.example", 503, start + Duration::from_secs(4));
        assert_eq!(
            breakers.paused_until("a.example", start + Duration::from_secs(5)),
            Some(start + Duration::from_secs(64))
        );
        assert_eq!(breakers.paused_until("b.example", start), None);
    }

    #[test]
    fn the_snapshot_shows_failures_pauses_and_probation() {
        let breakers = breakers(2);
        let start = Instant::now();
        assert_eq!(breakers.snapshot(start), Vec::new());
        breakers.record("b.example", 503, start);
        breakers.record("a.example", 404, start);
        let state = |host: &str, paused_until, probing, recent_failures| HostBreaker {
            host: host.to_owned(),
            paused_until,
            probing,
            recent_failures,
        };
        assert_eq!(
            breakers.snapshot(start + Duration::from_secs(1)),
            vec![state("b.example", None, false, 1)]
        );
        assert_eq!(
            breakers.snapshot(start + Duration::from_secs(60)),
            vec![state("b.example", None, false, 0)],
            "a failure leaves the window after a minute"
        );
        breakers.record("b.example", 503, start + Duration::from_secs(1));
        breakers.record("b.example", 503, start + Duration::from_secs(2));
        let until = start + Duration::from_secs(62);
        assert_eq!(
            breakers.snapshot(start + Duration::from_secs(3)),
            vec![state("b.example", Some(until), false, 0)]
        );
        assert_eq!(
            breakers.snapshot(until),
            vec![state("b.example", None, true, 0)]
        );
        assert_eq!(
            breakers.paused_until("b.example", start + Duration::from_secs(3)),
            Some(until)
        );
    }

    #[test]
    fn failures_outside_the_window_do_not_count() {
        let breakers = breakers(2);
        let start = Instant::now();
        breakers.record("h", 503, start);
        breakers.record("h", 503, start + Duration::from_secs(1));
        breakers.record("h", 503, start + Duration::from_secs(61));
        assert_eq!(
            breakers.paused_until("h", start + Duration::from_secs(62)),
            None
        );
    }

    #[test]
    fn client_errors_and_successes_do_not_trip_it() {
        let breakers = breakers(1);
        let start = Instant::now();
        for status in [400, 401, 404, 500, 200] {
            breakers.record("h", status, start);
            breakers.record("h", status, start);
        }
        assert_eq!(breakers.paused_until("h", start), None);
    }

    #[test]
    fn a_failure_right_after_the_pause_pauses_again_and_a_success_closes() {
        let breakers = breakers(1);
        let start = Instant::now();
        breakers.record("h", 599, start);
        breakers.record("h", 599, start);
        let after_pause = start + Duration::from_secs(61);
        assert_eq!(breakers.paused_until("h", after_pause), None);
        breakers.record("h", 503, after_pause);
        assert_eq!(
            breakers.paused_until("h", after_pause + Duration::from_secs(1)),
            Some(after_pause + Duration::from_secs(60))
        );
        let later = after_pause + Duration::from_secs(61);
        assert_eq!(breakers.paused_until("h", later), None);
        breakers.record("h", 201, later);
        breakers.record("h", 503, later);
        assert_eq!(breakers.paused_until("h", later), None);
    }
}
