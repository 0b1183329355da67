//! The policy stage: may a request go out now? Before the render, the connection's API
//! budget floor (for sends that are not urgent: a held send renders nothing, so spends no
//! `connected_content` call); then, on the rendered request, the outbound URL policy, the
//! connection's rest after `REQUEST_LIMIT_EXCEEDED`, and the host's circuit breaker.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use leadwire_core::config::SendPriority;

use super::budget::BUDGET_DEFERRAL;
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

impl DeliveryWorker {
    /// Holds a send that is not urgent while its template's connection is at its API
    /// budget floor. A template's `priority = "urgent"` and a test send (a person waits for
    /// it) go out.
    pub(super) fn check_budget(
        &self,
        sending: &Sending<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), Blocked> {
        let Some(connection) = sending.compiled.template.connection.as_deref() else {
            return Ok(());
        };
        let urgent = sending.compiled.template.priority == SendPriority::Urgent
            || sending.task.source.is_test();
        let Some(held) = self.budget.hold(connection, urgent) else {
            return Ok(());
        };
        let noted = sending
            .last_note
            .is_some_and(|note| note.starts_with(BUDGET_DEFERRAL));
        Err(Blocked::OverBudget {
            connection: connection.to_owned(),
            until: now + self.settings.api_limits_every.as_delta(),
            reason: held.reason(connection),
            noted,
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
