//! The verdict stage: what one pass of a send came to, as one enum. Each variant names the
//! activity-log outcome and what happens to the job; `outcome.rs` records it.
//!
//! The judges apply the Salesforce-aware rules of `retry.rs`: the retry schedule, the
//! connection back-off after `REQUEST_LIMIT_EXCEEDED`, and response capture on delivery.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::capture::{CaptureWrite, captured};
use super::render::RenderProblem;
use super::retry::{Classification, classify, parse_retry_after};
use super::stages::{Attempted, Blocked, Sending};
use super::worker::DeliveryWorker;

/// What one pass of a send came to. (Attempts are boxed: a verdict travels through
/// `Result`s.)
#[derive(Debug)]
pub enum Verdict {
    /// 2xx: success; the job completes and the response is captured.
    Delivered {
        attempted: Box<Attempted>,
        capture: Option<CaptureWrite>,
    },
    /// 401 `INVALID_SESSION_ID`, the first time: the token is dropped and the send renders
    /// and goes out again at once.
    RefreshToken(Box<Attempted>),
    /// 403 `REQUEST_LIMIT_EXCEEDED`: the connection rests until `until`; the job waits
    /// without using up a retry.
    LimitExceeded {
        attempted: Box<Attempted>,
        until: DateTime<Utc>,
    },
    /// 408, 429, 5xx, 599, or a host paused by the breaker (598): retried at `retry_at`,
    /// failed when the retries are used up (`None`).
    Transient {
        attempted: Box<Attempted>,
        retry_at: Option<DateTime<Utc>>,
    },
    /// 3xx or another 4xx: failed.
    Rejected(Box<Attempted>),
    /// The outbound URL policy refused the URL: failed.
    Refused(String),
    /// The connection is at its API budget floor: nothing was attempted; the send's first
    /// deferral writes an entry (`noted` is false), and the job waits until `until`
    /// without using up a retry.
    OverBudget {
        connection: String,
        until: DateTime<Utc>,
        reason: String,
        noted: bool,
    },
    /// Nothing was attempted and nothing is logged: the job waits until `until`.
    Deferred {
        until: DateTime<Utc>,
        reason: String,
    },
    /// A `connected_content` call or a connection's token failed the render: failed, or
    /// retried at `retry_at` when the token error is transient.
    ConnectedContent {
        message: String,
        retry_at: Option<DateTime<Utc>>,
    },
    /// `abort_message`, or the user is gone: the job completes.
    Aborted(String),
    /// A render error or a template the config lacks: failed.
    Unrenderable(String),
}

impl DeliveryWorker {
    /// The verdict on an attempt that got an answer (or a connection error, 599).
    pub(super) fn judge(
        &self,
        sending: &Sending<'_>,
        attempted: Box<Attempted>,
        refreshed: bool,
    ) -> Verdict {
        let result = &attempted.result;
        match classify(result.status, &result.body) {
            Classification::Delivered => {
                self.backoffs.clear(&attempted.connection);
                let capture = captured(
                    &sending.compiled.template.capture,
                    sending.task.user_id,
                    &result.body,
                );
                Verdict::Delivered { attempted, capture }
            }
            Classification::RefreshTokenAndRetry if !refreshed => Verdict::RefreshToken(attempted),
            Classification::BackOffConnection => {
                let until = self.backoffs.back_off(&attempted.connection, attempted.at);
                Verdict::LimitExceeded { attempted, until }
            }
            Classification::Retry | Classification::RefreshTokenAndRetry => {
                let retry_after = result
                    .header("retry-after")
                    .and_then(|value| parse_retry_after(value, attempted.at));
                let retry_at = self.retry_at(sending.attempt, retry_after, attempted.at);
                Verdict::Transient {
                    attempted,
                    retry_at,
                }
            }
            Classification::GiveUp => Verdict::Rejected(attempted),
        }
    }

    /// The verdict on a request the policies held back.
    pub(super) fn judge_blocked(
        &self,
        blocked: Blocked,
        attempt: u32,
        now: DateTime<Utc>,
    ) -> Verdict {
        match blocked {
            Blocked::Refused(message) => Verdict::Refused(message),
            Blocked::Resting { until, reason } => Verdict::Deferred { until, reason },
            Blocked::OverBudget {
                connection,
                until,
                reason,
                noted,
            } => Verdict::OverBudget {
                connection,
                until,
                reason,
                noted,
            },
            Blocked::Paused { attempted, wait } => Verdict::Transient {
                retry_at: self.retry_at(attempt, Some(wait), now),
                attempted,
            },
        }
    }

    /// The verdict on a send that did not render.
    pub(super) fn judge_render(
        &self,
        problem: RenderProblem,
        attempt: u32,
        now: DateTime<Utc>,
    ) -> Verdict {
        match problem {
            RenderProblem::Aborted { reason, .. } => Verdict::Aborted(reason),
            RenderProblem::ConnectedContent { message, .. } => Verdict::ConnectedContent {
                message,
                retry_at: None,
            },
            RenderProblem::Token {
                message, transient, ..
            } => Verdict::ConnectedContent {
                retry_at: transient
                    .then(|| self.retry_at(attempt, None, now))
                    .flatten(),
                message,
            },
            RenderProblem::Error(message) => Verdict::Unrenderable(message),
        }
    }

    /// When retry number `attempt` happens, or `None` when the retries are used up.
    fn retry_at(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        self.schedule
            .delay_before(attempt as usize, retry_after, &mut rand::rng())
            .map(|delay| now + TimeDelta::from_std(delay).unwrap_or(TimeDelta::hours(1)))
    }
}
