//! The policy stage: may a rendered request go out now? The outbound URL policy, the
//! connection's rest after `REQUEST_LIMIT_EXCEEDED`, and the host's circuit breaker.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::concurrency::host_key;
use super::http::{AttemptResult, OutboundRequest};
use super::render::Rendered;
use super::retry::synthetic_status;
use super::stages::{Attempted, Blocked, Cleared, InFlightKeys, Sending};
use super::url_policy::check_url;
use super::worker::DeliveryWorker;

/// The header that carries a send's stable id on every attempt.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

impl DeliveryWorker {
    /// Checks the rendered request of `sending` against every policy, in that order.
    pub(super) fn clear(
        &self,
        sending: &Sending<'_>,
        rendered: &Rendered,
        now: DateTime<Utc>,
    ) -> Result<Cleared, Blocked> {
        let request = outbound(rendered, sending);
        let url = check_url(&request.url, &self.allowlist)
            .map_err(|refusal| Blocked::Refused(refusal.to_string()))?;
        let host = url.host_str().unwrap_or_default().to_owned();
        let in_flight = InFlightKeys {
            connection: sending.compiled.template.connection.clone(),
            host: host_key(&url),
        };
        let connection = in_flight.connection.clone().unwrap_or_else(|| host.clone());
        if let Some(until) = self.backoffs.resting_until(&connection, now) {
            let reason = format!("{connection} rests after REQUEST_LIMIT_EXCEEDED until {until}");
            return Err(Blocked::Resting { until, reason });
        }
        if let Some(until) = self.breakers.paused_until(&host, Instant::now()) {
            let result = AttemptResult {
                status: synthetic_status::HOST_PAUSED,
                headers: Vec::new(),
                body: String::new(),
                body_truncated: false,
                duration: Duration::ZERO,
                error: Some(format!(
                    "{host} is paused after repeated failures; sends resume after the cooldown"
                )),
            };
            let attempted = Box::new(Attempted {
                request,
                result,
                connection,
                sent: false,
                at: now,
            });
            let wait = until.saturating_duration_since(Instant::now());
            return Err(Blocked::Paused { attempted, wait });
        }
        Ok(Cleared {
            request,
            host,
            connection,
            in_flight,
        })
    }
}

/// The rendered request with the send's stable idempotency key.
fn outbound(rendered: &Rendered, sending: &Sending<'_>) -> OutboundRequest {
    let mut headers = rendered.request.headers.clone();
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case(IDEMPOTENCY_HEADER))
    {
        headers.push((
            IDEMPOTENCY_HEADER.to_owned(),
            sending.task.send_id.to_string(),
        ));
    }
    OutboundRequest {
        method: reqwest::Method::from_bytes(rendered.request.method.as_str().as_bytes())
            .unwrap_or(reqwest::Method::POST),
        url: rendered.request.url.clone(),
        headers,
        body: rendered.request.body.clone(),
    }
}
