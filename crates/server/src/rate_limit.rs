//! A fixed-window rate limit shared by all endpoints, reported on every response as
//! `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (UTC epoch seconds).

use std::sync::Mutex;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::routes::{HEALTHZ, READYZ};
use crate::state::AppState;

struct Window {
    start: u64,
    used: u64,
}

/// Counts requests per window of `window_seconds`.
pub struct RateLimiter {
    limit: u64,
    window_seconds: u64,
    window: Mutex<Window>,
}

/// The outcome of taking one request from the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub allowed: bool,
    pub limit: u64,
    pub remaining: u64,
    pub reset: u64,
}

impl RateLimiter {
    pub fn new(limit: u64, window_seconds: u64) -> Self {
        Self {
            limit,
            window_seconds: window_seconds.max(1),
            window: Mutex::new(Window { start: 0, used: 0 }),
        }
    }

    /// Takes one request at `now` (epoch seconds).
    pub fn take(&self, now: u64) -> Budget {
        let mut window = match self.window.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let start = now - now % self.window_seconds;
        if window.start != start {
            window.start = start;
            window.used = 0;
        }
        let allowed = window.used < self.limit;
        if allowed {
            window.used += 1;
        }
        Budget {
            allowed,
            limit: self.limit,
            remaining: self.limit - window.used,
            reset: start + self.window_seconds,
        }
    }
}

/// Middleware: refuses over-limit requests with 429 and adds the headers to every response;
/// the health probes (`/healthz`, `/readyz`) pass without counting.
pub async fn rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(request.uri().path(), HEALTHZ | READYZ) {
        return next.run(request).await;
    }
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    let budget = state.rate_limiter.take(now);
    let mut response = if budget.allowed {
        next.run(request).await
    } else {
        ApiError::RateLimited {
            reset: budget.reset,
        }
        .into_response()
    };
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-ratelimit-limit", budget.limit),
        ("x-ratelimit-remaining", budget.remaining),
        ("x-ratelimit-reset", budget.reset),
    ] {
        headers.insert(name, HeaderValue::from(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_refills_each_window() {
        let limiter = RateLimiter::new(2, 3);
        assert_eq!(
            limiter.take(300),
            Budget {
                allowed: true,
                limit: 2,
                remaining: 1,
                reset: 303
            }
        );
        assert_eq!(limiter.take(301).remaining, 0);
        assert!(!limiter.take(302).allowed);
        assert_eq!(
            limiter.take(303),
            Budget {
                allowed: true,
                limit: 2,
                remaining: 1,
                reset: 306
            }
        );
    }
}
