//! A budget of requests per key that refills over a window, counted by `governor` (GCRA), and
//! what one check reports: the limit, what is left, by when the budget is full again and,
//! when refused, how long until one more request would pass.

use std::hash::Hash;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

/// The outcome of one check against a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests the full budget holds (`X-RateLimit-Limit`).
    pub limit: u32,
    /// Requests left now (`X-RateLimit-Remaining`).
    pub remaining: u32,
    /// By when the budget is full again if nothing more is taken (`X-RateLimit-Reset`). An
    /// upper bound: governor reports whole requests left, so this may run one refill early.
    pub full_after: Duration,
    /// Set when the request was refused: how long until one request would pass (`Retry-After`).
    pub retry_after: Option<Duration>,
}

impl Budget {
    pub fn allowed(&self) -> bool {
        self.retry_after.is_none()
    }
}

/// The longest window a limiter counts over (one day), which keeps governor's nanosecond
/// arithmetic far from overflow; longer windows are clamped to it.
pub const MAX_WINDOW_SECONDS: u64 = 86_400;

type Governor<K, C> = RateLimiter<K, DefaultKeyedStateStore<K>, C, StateInformationMiddleware>;

/// `requests` per `window` for each key: a burst of `requests` that refills one request every
/// `window / requests`, so the budget is never more than `requests` and refills fully in
/// `window`, without the double burst a fixed window allows at its edge.
pub struct KeyedLimiter<K: Hash + Eq + Clone, C: Clock = DefaultClock> {
    governor: Governor<K, C>,
    limit: u32,
    refill: Duration,
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    pub fn new(requests: u32, window: Duration) -> Self {
        Self::with_clock(requests, window, DefaultClock::default())
    }
}

impl<K: Hash + Eq + Clone, C: Clock> KeyedLimiter<K, C> {
    /// A limiter reading time from `clock` (a fake one in tests).
    pub fn with_clock(requests: u32, window: Duration, clock: C) -> Self {
        let limit = NonZeroU32::new(requests).unwrap_or(NonZeroU32::MIN);
        let window = window.min(Duration::from_secs(MAX_WINDOW_SECONDS));
        let refill = (window / limit.get()).max(Duration::from_nanos(1));
        let quota = Quota::with_period(refill)
            .unwrap_or_else(|| Quota::per_second(limit))
            .allow_burst(limit);
        Self {
            governor: Governor::new(quota, DefaultKeyedStateStore::default(), clock),
            limit: limit.get(),
            refill: quota.replenish_interval(),
        }
    }

    /// Takes one request from `key`'s budget, or reports why not.
    pub fn take(&self, key: &K) -> Budget {
        match self.governor.check_key(key) {
            Ok(state) => {
                let remaining = state.remaining_burst_capacity();
                Budget {
                    limit: self.limit,
                    remaining,
                    full_after: self
                        .refill
                        .saturating_mul(self.limit.saturating_sub(remaining)),
                    retry_after: None,
                }
            }
            Err(refusal) => self.refused(refusal.wait_time_from(self.now())),
        }
    }

    /// The budget of a key refused for `wait` more: empty, full again `limit` refills later.
    pub fn refused(&self, wait: Duration) -> Budget {
        Budget {
            limit: self.limit,
            remaining: 0,
            full_after: wait
                .saturating_add(self.refill.saturating_mul(self.limit.saturating_sub(1))),
            retry_after: Some(wait),
        }
    }

    pub fn now(&self) -> C::Instant {
        self.governor.clock().now()
    }

    /// Forgets keys whose budget is full again, so the state holds only recent keys.
    pub fn forget_idle(&self) {
        self.governor.retain_recent();
        self.governor.shrink_to_fit();
    }

    pub fn len(&self) -> usize {
        self.governor.len()
    }

    pub fn is_empty(&self) -> bool {
        self.governor.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn limiter(
        requests: u32,
        seconds: u64,
    ) -> (
        KeyedLimiter<&'static str, FakeRelativeClock>,
        FakeRelativeClock,
    ) {
        let clock = FakeRelativeClock::default();
        let limiter =
            KeyedLimiter::with_clock(requests, Duration::from_secs(seconds), clock.clone());
        (limiter, clock)
    }

    #[test]
    fn a_key_spends_its_budget_then_waits_for_one_refill() {
        let (limiter, clock) = limiter(3, 30);
        let first = limiter.take(&"a");
        assert_eq!(
            first,
            Budget {
                limit: 3,
                remaining: 2,
                full_after: Duration::from_secs(10),
                retry_after: None
            }
        );
        assert_eq!(limiter.take(&"a").remaining, 1);
        let last = limiter.take(&"a");
        assert_eq!(
            (last.remaining, last.full_after),
            (0, Duration::from_secs(30))
        );
        clock.advance(Duration::from_secs(4));
        assert_eq!(
            limiter.take(&"a"),
            Budget {
                limit: 3,
                remaining: 0,
                full_after: Duration::from_secs(26),
                retry_after: Some(Duration::from_secs(6))
            }
        );
        clock.advance(Duration::from_secs(6));
        let refilled = limiter.take(&"a");
        assert!(refilled.allowed());
        assert_eq!(refilled.remaining, 0);
    }

    #[test]
    fn keys_do_not_share_a_budget() {
        let (limiter, _clock) = limiter(1, 60);
        assert!(limiter.take(&"a").allowed());
        assert!(!limiter.take(&"a").allowed());
        assert!(limiter.take(&"b").allowed());
    }

    #[test]
    fn a_refused_request_takes_nothing() {
        let (limiter, clock) = limiter(2, 20);
        limiter.take(&"a");
        limiter.take(&"a");
        for _ in 0..5 {
            assert!(!limiter.take(&"a").allowed());
        }
        clock.advance(Duration::from_secs(10));
        assert!(limiter.take(&"a").allowed());
    }

    #[test]
    fn the_whole_budget_is_back_after_one_window() {
        let (limiter, clock) = limiter(3, 30);
        for _ in 0..3 {
            limiter.take(&"a");
        }
        clock.advance(Duration::from_secs(30));
        assert_eq!(limiter.take(&"a").remaining, 2);
    }

    #[test]
    fn idle_keys_are_forgotten() {
        let (limiter, clock) = limiter(2, 10);
        limiter.take(&"a");
        limiter.take(&"b");
        assert_eq!(limiter.len(), 2);
        clock.advance(Duration::from_secs(10));
        limiter.forget_idle();
        assert!(limiter.is_empty());
    }

    #[test]
    fn a_budget_too_large_for_nanoseconds_still_counts() {
        let (limiter, _clock) = limiter(u32::MAX, 1);
        assert!(limiter.take(&"a").allowed());
    }
}
