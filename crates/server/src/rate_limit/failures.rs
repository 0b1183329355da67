//! A limit on failed attempts per client (the API's missing or unknown keys; later, console
//! logins): a [`KeyedLimiter`] counts the failures, and once it refuses one the client is
//! blocked, so that every request it makes is refused before its credentials are looked at.
//!
//! Blocking before the check is the point: if a blocked client's right guess still passed,
//! each refusal would still tell it "wrong", and guessing would go on at full speed.

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock, Reference};
use governor::nanos::Nanos;

use super::budget::{Budget, KeyedLimiter};

/// After this many recorded failures, idle clients are forgotten (keeps memory bounded by the
/// clients that failed within one window).
const FORGET_EVERY: u64 = 1024;

/// `failures` per `window` for each client, then a block until the budget refills one.
pub struct FailureLimiter<K: Hash + Eq + Clone, C: Clock = DefaultClock> {
    failures: KeyedLimiter<K, C>,
    blocked_until: DashMap<K, C::Instant>,
    recorded: AtomicU64,
}

impl<K: Hash + Eq + Clone> FailureLimiter<K> {
    pub fn new(failures: u32, window: Duration) -> Self {
        Self::with_clock(failures, window, DefaultClock::default())
    }
}

impl<K: Hash + Eq + Clone, C: Clock> FailureLimiter<K, C> {
    pub fn with_clock(failures: u32, window: Duration, clock: C) -> Self {
        Self {
            failures: KeyedLimiter::with_clock(failures, window, clock),
            blocked_until: DashMap::new(),
            recorded: AtomicU64::new(0),
        }
    }

    /// While `client` is blocked: its (empty) budget, to refuse the request with. Takes nothing.
    pub fn blocked(&self, client: &K) -> Option<Budget> {
        let until = self.blocked_until.get(client).map(|entry| *entry)?;
        let now = self.failures.now();
        if until <= now {
            self.blocked_until
                .remove_if(client, |_, until| *until <= now);
            return None;
        }
        Some(self.failures.refused(until.duration_since(now).into()))
    }

    /// Counts one failure of `client`. A refused budget means the client is blocked from now
    /// on, until the budget refills one failure.
    pub fn record(&self, client: &K) -> Budget {
        let budget = self.failures.take(client);
        if let Some(wait) = budget.retry_after {
            let until = self.failures.now() + Nanos::from(wait);
            self.blocked_until.insert(client.clone(), until);
        }
        if self.recorded.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            self.forget_idle();
        }
        budget
    }

    /// Forgets clients whose budget is full and whose block has ended.
    pub fn forget_idle(&self) {
        self.failures.forget_idle();
        let now = self.failures.now();
        self.blocked_until.retain(|_, until| *until > now);
    }

    /// Clients with a failure still counted or a block in force.
    pub fn tracked(&self) -> usize {
        self.failures.len().max(self.blocked_until.len())
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn limiter(
        failures: u32,
        seconds: u64,
    ) -> (
        FailureLimiter<&'static str, FakeRelativeClock>,
        FakeRelativeClock,
    ) {
        let clock = FakeRelativeClock::default();
        let limiter =
            FailureLimiter::with_clock(failures, Duration::from_secs(seconds), clock.clone());
        (limiter, clock)
    }

    #[test]
    fn a_client_is_blocked_once_a_failure_is_refused() {
        let (limiter, clock) = limiter(2, 60);
        assert_eq!(limiter.blocked(&"ip"), None);
        assert_eq!(limiter.record(&"ip").remaining, 1);
        assert_eq!(limiter.record(&"ip").remaining, 0);
        assert_eq!(
            limiter.blocked(&"ip"),
            None,
            "the limit itself is not over it"
        );
        let refused = limiter.record(&"ip");
        assert_eq!(refused.retry_after, Some(Duration::from_secs(30)));
        clock.advance(Duration::from_secs(10));
        assert_eq!(
            limiter.blocked(&"ip"),
            Some(Budget {
                limit: 2,
                remaining: 0,
                full_after: Duration::from_secs(50),
                retry_after: Some(Duration::from_secs(20)),
            })
        );
        assert_eq!(limiter.blocked(&"other"), None);
    }

    #[test]
    fn the_block_ends_when_one_failure_has_refilled() {
        let (limiter, clock) = limiter(2, 60);
        for _ in 0..3 {
            limiter.record(&"ip");
        }
        clock.advance(Duration::from_secs(30));
        assert_eq!(limiter.blocked(&"ip"), None);
        assert!(
            limiter.record(&"ip").allowed(),
            "one more attempt per refill"
        );
        assert!(!limiter.record(&"ip").allowed());
        assert!(limiter.blocked(&"ip").is_some());
    }

    #[test]
    fn checking_a_block_takes_nothing_from_the_budget() {
        let (limiter, _clock) = limiter(1, 60);
        for _ in 0..10 {
            assert_eq!(limiter.blocked(&"ip"), None);
        }
        assert!(limiter.record(&"ip").allowed());
    }

    #[test]
    fn idle_clients_are_forgotten() {
        let (limiter, clock) = limiter(1, 60);
        limiter.record(&"a");
        limiter.record(&"a");
        limiter.record(&"b");
        assert_eq!(limiter.tracked(), 2);
        clock.advance(Duration::from_secs(120));
        limiter.forget_idle();
        assert_eq!(limiter.tracked(), 0);
    }
}
