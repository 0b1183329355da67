//! The attempt stage: one cleared request goes out on the pooled client, and the host's
//! breaker hears how it went.

use std::time::Instant;

use chrono::{DateTime, Utc};

use super::http::{AttemptResult, OutboundRequest, attempt};
use super::policy::Cleared;
use super::worker::DeliveryWorker;

/// A request and what came of it.
#[derive(Debug)]
pub struct Attempted {
    pub request: OutboundRequest,
    pub result: AttemptResult,
    /// The template's connection, or the host (see [`Cleared::connection`]).
    pub connection: String,
    /// Whether the request went out: false for a host paused by the breaker.
    pub sent: bool,
    /// When the attempt ended.
    pub at: DateTime<Utc>,
}

impl Attempted {
    /// The token of the request's `Authorization: Bearer …` (or `OAuth …`) header.
    pub fn bearer_token(&self) -> Option<&str> {
        let value = self
            .request
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
            .map(|(_, value)| value.trim())?;
        let (scheme, token) = value.split_once(' ')?;
        (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth"))
            .then(|| token.trim())
    }
}

impl DeliveryWorker {
    /// Sends `cleared`. A name that resolves to an address the policy refuses is not
    /// attempted: the refusal is the error.
    pub(super) async fn attempt(&self, cleared: Cleared) -> Result<Box<Attempted>, String> {
        let result = attempt(&self.client, &self.allowlist, &cleared.request)
            .await
            .map_err(|refusal| refusal.to_string())?;
        self.breakers
            .record(&cleared.host, result.status, Instant::now());
        Ok(Box::new(Attempted {
            request: cleared.request,
            result,
            connection: cleared.connection,
            sent: true,
            at: self.clock.now(),
        }))
    }
}
