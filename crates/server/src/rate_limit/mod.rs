//! The API's rate limits. Two are checked by one middleware ([`guard`]) before any handler
//! runs:
//!
//! - **per REST API key** (`server.rate_limit_requests` per `server.rate_limit_window_seconds`):
//!   a request presenting a configured key takes one request from that key's budget, whatever
//!   it then answers (a 403 for a missing permission included);
//! - **per client address for failed authentication** (`server.failed_auth_per_ip` per
//!   `server.failed_auth_window_seconds`): a request with a missing or unknown key takes one
//!   failure from its address's budget and never touches a key's. Once a failure is refused
//!   the address is blocked: every request from it gets a 429 before its key is looked at, a
//!   valid one included, until the budget refills one failure. Other addresses are unaffected.
//!
//! The third, for sends to a segment or a Connected Audience ([`audience_sends`]), depends on
//! the body, so the send handlers check it once they have parsed it.
//!
//! The console (`/console/…`) is not checked here: it has its own login, whose failures
//! count against the same per-address budget.
//!
//! Every answer but the open paths' (`/healthz`, `/readyz`, `/metrics`) carries
//! `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (UTC epoch seconds)
//! of the budget the request counted against (a handler with a budget of its own sets them
//! itself); a 429 also has `Retry-After`.

pub mod audience_sends;
mod budget;
mod client;
mod failures;

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub use audience_sends::{AudienceSend, AudienceSendLimiter, LimiterClock};
pub use budget::{Budget, KeyedLimiter, MAX_WINDOW_SECONDS};
pub use client::Client;
pub use failures::FailureLimiter;

use crate::auth::{Caller, KeyId};
use crate::config::ServerConfig;
use crate::error::ApiError;
use crate::routes::is_open;
use crate::state::AppState;

/// The budgets of every key, of every key's sends to a segment or an audience, and of every
/// client address that failed to authenticate.
pub struct RateLimits {
    pub per_key: KeyedLimiter<KeyId>,
    pub audience_sends: AudienceSendLimiter,
    pub failed_auth: FailureLimiter<Client>,
}

impl RateLimits {
    pub fn new(config: &ServerConfig) -> Self {
        Self::with_audience_clock(config, LimiterClock::default())
    }

    /// The budgets of `config`, the audience-send ones reading time from `clock` (a test's
    /// manual clock, so that "a minute" does not depend on how fast the test runs).
    pub fn with_audience_clock(config: &ServerConfig, clock: LimiterClock) -> Self {
        Self {
            audience_sends: AudienceSendLimiter::new(
                config.audience_send_requests_per_minute,
                clock,
            ),
            per_key: KeyedLimiter::new(
                config.rate_limit_requests,
                Duration::from_secs(config.rate_limit_window_seconds),
            ),
            failed_auth: FailureLimiter::new(
                config.failed_auth_per_ip,
                Duration::from_secs(config.failed_auth_window_seconds),
            ),
        }
    }
}

/// Middleware: identifies the key, takes from the budget it counts against, answers 429 when
/// that budget refuses, and adds the rate-limit headers to every answer.
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if is_open(request.uri().path()) || crate::console::owns(request.uri().path()) {
        return next.run(request).await;
    }
    let limits = &state.rate_limits;
    let client = Client::of(request.extensions());
    if let Some(budget) = limits.failed_auth.blocked(&client) {
        return stamped(refusal(None, &budget), &budget);
    }
    let key = state.keys.identify_in(request.headers());
    let budget = match key {
        Some(key) => limits.per_key.take(&key),
        None => limits.failed_auth.record(&client),
    };
    if !budget.allowed() {
        if key.is_none() {
            tracing::warn!(
                %client,
                failures = budget.limit,
                "too many requests with a missing or unknown key; refusing this address"
            );
        }
        return stamped(refusal(key, &budget), &budget);
    }
    request.extensions_mut().insert(Caller { key });
    stamped(next.run(request).await, &budget)
}

/// The 429 for a refused `budget`: a key's, or (no key) the client address's.
fn refusal(key: Option<KeyId>, budget: &Budget) -> Response {
    let reset = reset_at(budget);
    let retry_after = budget
        .retry_after
        .map_or(1, |wait| whole_seconds(wait).max(1));
    match key {
        Some(_) => ApiError::RateLimited { reset, retry_after },
        None => ApiError::FailedAuthLimited { reset, retry_after },
    }
    .into_response()
}

/// `response` with the headers of `budget`, unless its handler set its own (an endpoint
/// with a budget of its own, such as `/sends/id/create`'s daily one).
fn stamped(mut response: Response, budget: &Budget) -> Response {
    if !response.headers().contains_key("x-ratelimit-limit") {
        set_headers(response.headers_mut(), budget);
    }
    response
}

/// Braze's rate-limit headers for `budget`.
pub fn set_headers(headers: &mut HeaderMap, budget: &Budget) {
    for (name, value) in [
        ("x-ratelimit-limit", u64::from(budget.limit)),
        ("x-ratelimit-remaining", u64::from(budget.remaining)),
        ("x-ratelimit-reset", reset_at(budget)),
    ] {
        headers.insert(name, HeaderValue::from(value));
    }
}

/// Braze's rate-limit headers for a spent budget of `limit` requests, whole again at `reset`
/// (UTC epoch seconds): a 429 a handler answers for a budget of its own.
pub fn set_refusal_headers(headers: &mut HeaderMap, limit: u32, reset: u64) {
    for (name, value) in [
        ("x-ratelimit-limit", u64::from(limit)),
        ("x-ratelimit-remaining", 0),
        ("x-ratelimit-reset", reset),
    ] {
        headers.insert(name, HeaderValue::from(value));
    }
}

/// When `budget` is full again, in UTC epoch seconds (rounded up).
fn reset_at(budget: &Budget) -> u64 {
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    now.saturating_add(whole_seconds(budget.full_after))
}

/// `duration` in seconds, rounded up.
fn whole_seconds(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}
