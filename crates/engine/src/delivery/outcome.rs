//! The record stage: a verdict becomes its activity entries, its metrics, its log line and
//! the job's ending, here and nowhere else. Metrics count every entry under its type, so
//! `leadwire_webhook_sends_total{outcome=…}` matches the activity log one to one; a send
//! that ends without being delivered writes exactly one INFO line (never a secret: the
//! reason is the entry's redacted message).

use chrono::{DateTime, Utc};
use leadwire_core::activity::{ActivityEntry, ActivityType};
use leadwire_store::JobFinish;

use super::capture::CaptureWrite;
use super::entry::{EntryMaker, failure_message};
use super::fetcher::CallFailure;
use super::stages::Attempted;
use super::usage::{ApiUsage, LIMIT_INFO_HEADER};
use super::verdict::Verdict;
use super::worker::DeliveryWorker;

/// The longest reason a log line carries.
const REASON_CHARS: usize = 200;

/// How a send ended this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendResult {
    Delivered,
    Retrying,
    Deferred,
    Failed,
    Aborted,
}

/// How a job ends this time.
#[derive(Debug)]
pub struct Ending {
    pub result: SendResult,
    pub finish: JobFinish,
    pub capture: Option<CaptureWrite>,
}

impl Ending {
    fn new(result: SendResult, finish: JobFinish) -> Self {
        Self {
            result,
            finish,
            capture: None,
        }
    }
}

/// What the send does after a verdict is recorded.
#[derive(Debug)]
pub enum Next {
    Done(Ending),
    /// Render again with a fresh token and attempt at once; `token` is the rejected one.
    RenderAgain {
        token: Option<String>,
    },
}

impl DeliveryWorker {
    /// Records `verdict`: the Connected Content failures the render noted (`notes`), then
    /// the verdict's own entry; their metrics; the log line; and what follows.
    pub(super) fn record_verdict(
        &self,
        maker: &EntryMaker<'_>,
        notes: &[CallFailure],
        verdict: Verdict,
        now: DateTime<Utc>,
        entries: &mut Vec<ActivityEntry>,
    ) -> Next {
        let first = entries.len();
        for note in notes {
            entries.push(maker.note(ActivityType::ConnectedContentError, &note.message, now));
        }
        let entry = entry(maker, &verdict, now);
        // A budget deferral gets no INFO line per send: budget.rs logs a WARN line when a
        // connection reaches its floor and when it has room again.
        let has_entry = entry.is_some() && !matches!(verdict, Verdict::OverBudget { .. });
        if let (Verdict::OverBudget { connection, .. }, Some(_)) = (&verdict, &entry) {
            self.metrics.record_budget_deferral(connection);
        }
        entries.extend(entry);
        for recorded in &entries[first..] {
            self.metrics
                .record_outcome(recorded.activity_type, recorded.status);
        }
        if let Some(attempted) = attempted(&verdict).filter(|attempted| attempted.sent) {
            self.metrics
                .record_attempt_duration(attempted.result.duration.as_secs_f64());
            let limit_info = attempted.result.header(LIMIT_INFO_HEADER);
            if let Some(usage) = limit_info.and_then(|info| ApiUsage::parse(info, attempted.at)) {
                self.budget.observe(&attempted.connection, usage);
            }
        }
        if tries_again(&verdict) {
            self.metrics.record_retry();
        }
        let next = next(verdict, maker.attempt, now);
        log(maker, has_entry.then(|| entries.last()).flatten(), &next);
        next
    }
}

/// Whether the verdict schedules another attempt (at once, after a rest, or at a retry).
fn tries_again(verdict: &Verdict) -> bool {
    matches!(
        verdict,
        Verdict::RefreshToken(_)
            | Verdict::LimitExceeded { .. }
            | Verdict::Transient {
                retry_at: Some(_),
                ..
            }
            | Verdict::ConnectedContent {
                retry_at: Some(_),
                ..
            }
    )
}

/// The entry a verdict adds to the activity log, if any.
fn entry(maker: &EntryMaker<'_>, verdict: &Verdict, now: DateTime<Utc>) -> Option<ActivityEntry> {
    let note = |kind, message: &str| Some(maker.note(kind, message, now));
    match verdict {
        Verdict::Delivered { attempted, .. } => {
            let message = format!("delivered: HTTP {}", attempted.result.status);
            let (request, result) = (&attempted.request, &attempted.result);
            Some(maker.attempt(
                ActivityType::Success,
                &message,
                request,
                result,
                attempted.at,
            ))
        }
        Verdict::RefreshToken(attempted)
        | Verdict::LimitExceeded { attempted, .. }
        | Verdict::Transient { attempted, .. }
        | Verdict::Rejected(attempted) => Some(maker.attempt(
            ActivityType::WebhookError,
            &failure_message(&attempted.result),
            &attempted.request,
            &attempted.result,
            attempted.at,
        )),
        Verdict::Refused(message) => note(ActivityType::WebhookError, message),
        Verdict::OverBudget { reason, noted, .. } => {
            (!noted).then(|| maker.note(ActivityType::Deferred, reason, now))
        }
        Verdict::Deferred { .. } => None,
        Verdict::ConnectedContent { message, .. } => {
            note(ActivityType::ConnectedContentError, message)
        }
        Verdict::Aborted(message) | Verdict::Unrenderable(message) => {
            note(ActivityType::AbortedMessage, message)
        }
    }
}

fn attempted(verdict: &Verdict) -> Option<&Attempted> {
    match verdict {
        Verdict::Delivered { attempted, .. }
        | Verdict::RefreshToken(attempted)
        | Verdict::LimitExceeded { attempted, .. }
        | Verdict::Transient { attempted, .. }
        | Verdict::Rejected(attempted) => Some(attempted),
        _ => None,
    }
}

/// What happens to the job after `verdict`, on try number `attempt`.
fn next(verdict: Verdict, attempt: u32, now: DateTime<Utc>) -> Next {
    let fail = |error: String, now| Ending::new(SendResult::Failed, JobFinish::Fail { error, now });
    let retry = |at, error| Ending::new(SendResult::Retrying, JobFinish::RetryAt { at, error });
    let ending = match verdict {
        Verdict::Delivered { capture, .. } => Ending {
            result: SendResult::Delivered,
            finish: JobFinish::Complete,
            capture,
        },
        Verdict::RefreshToken(attempted) => {
            let token = attempted.bearer_token().map(str::to_owned);
            return Next::RenderAgain { token };
        }
        Verdict::LimitExceeded { attempted, until } => {
            let connection = attempted.connection;
            let reason = format!("{connection}: REQUEST_LIMIT_EXCEEDED; resting until {until}");
            let finish = JobFinish::Defer { at: until, reason };
            Ending::new(SendResult::Deferred, finish)
        }
        Verdict::Transient {
            attempted,
            retry_at: Some(at),
        } => retry(
            at,
            format!("HTTP {}: retry {attempt} at {at}", attempted.result.status),
        ),
        Verdict::Transient {
            attempted,
            retry_at: None,
        } => {
            let status = attempted.result.status;
            let error = format!("HTTP {status}: gave up after {attempt} attempts");
            fail(error, attempted.at)
        }
        Verdict::Rejected(attempted) => {
            let error = format!("HTTP {}: not retried", attempted.result.status);
            fail(error, attempted.at)
        }
        Verdict::Deferred { until, reason } | Verdict::OverBudget { until, reason, .. } => {
            Ending::new(SendResult::Deferred, JobFinish::Defer { at: until, reason })
        }
        Verdict::ConnectedContent {
            message,
            retry_at: Some(at),
        } => retry(at, message),
        Verdict::Aborted(_) => Ending::new(SendResult::Aborted, JobFinish::Complete),
        Verdict::Refused(message)
        | Verdict::ConnectedContent { message, .. }
        | Verdict::Unrenderable(message) => fail(message, now),
    };
    Next::Done(ending)
}

/// One INFO line for a send that ended this time without being delivered, from the
/// verdict's entry; a send that goes on at once or waits without an entry gets a DEBUG line.
fn log(maker: &EntryMaker<'_>, entry: Option<&ActivityEntry>, next: &Next) {
    let task = maker.task;
    let (Next::Done(ending), Some(entry)) = (next, entry) else {
        tracing::debug!(template = %task.template, user = %task.user_id, ?next, "send goes on");
        return;
    };
    if ending.result == SendResult::Delivered {
        return;
    }
    let job = match ending.finish {
        JobFinish::Complete => "complete",
        JobFinish::RetryAt { .. } => "retry",
        JobFinish::Defer { .. } => "defer",
        JobFinish::Fail { .. } => "fail",
    };
    tracing::info!(
        template = %task.template,
        user = %task.user_id,
        outcome = %entry.activity_type.as_str(),
        status = %entry.status.map_or_else(|| "none".to_owned(), |status| status.to_string()),
        attempt = maker.attempt,
        job = %job,
        reason = %short(&entry.message),
        "send not delivered"
    );
}

/// `message` on one line, at most [`REASON_CHARS`] characters.
fn short(message: &str) -> String {
    let line: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(REASON_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}
