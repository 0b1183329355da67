//! Braze's limit on sends to a segment or a Connected Audience: a request to
//! `/messages/send`, `/campaigns/trigger/send` or `/canvas/trigger/send` whose body names a
//! `segment_id` or an `audience` takes one request from its key's budget for that endpoint
//! (`server.audience_send_requests_per_minute`, Braze: 250 a minute), besides the key's
//! budget over all endpoints. Other sends to those endpoints count against the latter only.
//! The handler checks it once the body is parsed, and answers with this budget's headers.

use std::time::Duration;

use axum::response::Response;
use governor::clock::{Clock, FakeRelativeClock};
use governor::nanos::Nanos;
use serde_json::{Map, Value};

use super::budget::{Budget, KeyedLimiter};
use super::{reset_at, set_headers, whole_seconds};
use crate::auth::{Caller, KeyId};
use crate::error::ApiError;

/// The endpoints with a budget for audience sends; each has its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudienceSend {
    /// `POST /messages/send`.
    Messages,
    /// `POST /campaigns/trigger/send`.
    CampaignTrigger,
    /// `POST /canvas/trigger/send`.
    CanvasTrigger,
}

/// The time the audience-send budgets read: the system's monotonic clock, or one that a
/// test holds still (or moves by hand), so a count "in one minute" does not depend on how
/// fast the test runs.
#[derive(Debug, Clone)]
pub enum LimiterClock {
    System(std::time::Instant),
    Manual(FakeRelativeClock),
}

impl LimiterClock {
    /// A clock that stands still until a test moves it.
    pub fn frozen() -> Self {
        Self::Manual(FakeRelativeClock::default())
    }
}

impl Default for LimiterClock {
    fn default() -> Self {
        Self::System(std::time::Instant::now())
    }
}

impl Clock for LimiterClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        match self {
            Self::System(start) => Nanos::from(start.elapsed()),
            Self::Manual(clock) => clock.now(),
        }
    }
}

/// Each key's budget per endpoint for requests that target a segment or an audience.
pub struct AudienceSendLimiter {
    budgets: KeyedLimiter<(KeyId, AudienceSend), LimiterClock>,
}

impl AudienceSendLimiter {
    /// `requests` a minute per key and endpoint, reading time from `clock`.
    pub fn new(requests: u32, clock: LimiterClock) -> Self {
        Self {
            budgets: KeyedLimiter::with_clock(requests, Duration::from_secs(60), clock),
        }
    }

    /// When `body` targets a segment or an audience: takes one request from `caller`'s
    /// budget for `endpoint` and returns it, or the 429 when it is spent. `None` for other
    /// sends, which only the key's budget over all endpoints counts.
    pub fn take(
        &self,
        caller: Caller,
        endpoint: AudienceSend,
        body: &Map<String, Value>,
    ) -> Result<Option<Budget>, ApiError> {
        let Some(key) = caller.key else {
            return Ok(None);
        };
        if !targets_audience(body) {
            return Ok(None);
        }
        let budget = self.budgets.take(&(key, endpoint));
        if let Some(wait) = budget.retry_after {
            return Err(ApiError::AudienceSendLimited {
                limit: budget.limit,
                reset: reset_at(&budget),
                retry_after: whole_seconds(wait).max(1),
            });
        }
        Ok(Some(budget))
    }

    /// Forgets budgets that are full again.
    pub fn forget_idle(&self) {
        self.budgets.forget_idle();
    }
}

/// Whether a send request's body names a `segment_id` or an `audience` (a `null` one is
/// absent, as the send itself reads it).
pub fn targets_audience(body: &Map<String, Value>) -> bool {
    ["segment_id", "audience"]
        .iter()
        .any(|field| body.get(*field).is_some_and(|value| !value.is_null()))
}

/// `response` with the headers of the audience-send `budget` a request counted against, if
/// any; otherwise the guard adds those of the key's budget over all endpoints.
pub fn stamped(mut response: Response, budget: Option<Budget>) -> Response {
    if let Some(budget) = budget {
        set_headers(response.headers_mut(), &budget);
    }
    response
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(object) => object,
            _ => Map::new(),
        }
    }

    #[test]
    fn a_segment_or_an_audience_is_targeted_and_null_is_absent() {
        assert!(targets_audience(&body(json!({"segment_id": "vip"}))));
        assert!(targets_audience(&body(json!({"audience": {"AND": []}}))));
        assert!(!targets_audience(&body(
            json!({"segment_id": null, "audience": null, "external_user_ids": ["a"]})
        )));
        assert!(!targets_audience(&body(json!({"broadcast": true}))));
    }

    #[test]
    fn a_frozen_clock_refuses_the_request_past_the_budget_per_endpoint() {
        let limiter = AudienceSendLimiter::new(2, LimiterClock::frozen());
        let caller = Caller {
            key: Some(KeyId::for_tests(0)),
        };
        let segment = body(json!({"segment_id": "vip"}));
        for remaining in [1, 0] {
            let budget = limiter
                .take(caller, AudienceSend::Messages, &segment)
                .expect("within the budget")
                .expect("counted");
            assert_eq!((budget.limit, budget.remaining), (2, remaining));
        }
        let refused = limiter.take(caller, AudienceSend::Messages, &segment);
        assert!(
            matches!(
                refused,
                Err(ApiError::AudienceSendLimited {
                    limit: 2,
                    retry_after: 30,
                    ..
                })
            ),
            "{refused:?}"
        );
        let named = body(json!({"external_user_ids": ["a"]}));
        assert_eq!(
            limiter
                .take(caller, AudienceSend::Messages, &named)
                .expect("not counted"),
            None
        );
        assert!(
            limiter
                .take(caller, AudienceSend::CanvasTrigger, &segment)
                .is_ok()
        );
    }
}
