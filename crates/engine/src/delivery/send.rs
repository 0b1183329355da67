//! One claimed send job, end to end, without writing to the database: render at send time,
//! check the URL, respect the breaker and connection back-off, attempt with the idempotency
//! header, classify, and decide how the job ends. The result is written by `record.rs`.
//!
//! | verdict | what happens | job |
//! |---|---|---|
//! | 2xx | success entry, response capture | complete |
//! | 401 `INVALID_SESSION_ID` | token invalidated, rendered again, retried at once (once) | — |
//! | 403 `REQUEST_LIMIT_EXCEEDED` | the connection rests (doubling) | deferred to the end of the rest, not counted |
//! | 408, 429, 5xx, 599 | retry schedule, `Retry-After` within bounds | retry at, or failed when retries are used up |
//! | host paused by the breaker | entry with 598 | retry at the end of the pause (counted, as Braze does) |
//! | 3xx, other 4xx, refused URL, render error | error entry | failed |
//! | `abort_message` | aborted entry | complete |

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use leadwire_core::activity::{ActivityEntry, ActivityType};
use leadwire_core::profile::Profile;
use leadwire_store::{ClaimedJob, JobFinish, JobPayload};

use super::capture::{CaptureWrite, captured};
use super::entry::{EntryMaker, failure_message};
use super::http::{AttemptResult, OutboundRequest, attempt};
use super::redact::Redactor;
use super::render::{RenderContext, RenderProblem, Rendered};
use super::retry::{Verdict, classify, parse_retry_after, synthetic_status};
use super::url_policy::check_url;
use super::worker::DeliveryWorker;
use crate::journeys::receipts::UnreceivedSend;
use crate::metrics::SendOutcome;
use crate::send_task::{FollowUp, IDEMPOTENCY_HEADER, SendTask};
use uuid::Uuid;

/// How a send ended this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendResult {
    Delivered,
    Retrying,
    Deferred,
    Failed,
    Aborted,
}

/// The profiles of a claimed batch by internal id, or why they could not be read.
pub type BatchProfiles = Result<HashMap<Uuid, Profile>, String>;

/// One processed job, ready to be recorded.
#[derive(Debug)]
pub struct Processed {
    pub job: ClaimedJob,
    pub result: SendResult,
    pub entries: Vec<ActivityEntry>,
    pub finish: JobFinish,
    /// Enqueued with the final record (delivered, failed for good, or aborted).
    pub follow_up: Option<FollowUp>,
    pub capture: Option<CaptureWrite>,
    /// When the send was decided, for enqueue-to-delivery latency.
    pub created_at: Option<DateTime<Utc>>,
    /// A campaign send that ended for good without reaching the user: its receipt is
    /// taken back when the outcome is recorded.
    pub unreceived: Option<UnreceivedSend>,
}

struct Ending {
    result: SendResult,
    finish: JobFinish,
    capture: Option<CaptureWrite>,
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

impl DeliveryWorker {
    /// The profiles of a claimed batch's users, read in one query, so each send need not
    /// read its own.
    pub async fn batch_profiles(&self, jobs: &[ClaimedJob]) -> BatchProfiles {
        let ids: Vec<Uuid> = jobs
            .iter()
            .filter_map(|job| job.payload.user_id())
            .collect();
        match self.store.profiles_by_id(&ids).await {
            Ok(profiles) => Ok(profiles
                .into_iter()
                .map(|profile| (profile.id, profile))
                .collect()),
            Err(error) => Err(error.to_string()),
        }
    }

    /// Attempts one claimed send job and says how it ends. `profiles` holds the users of
    /// its batch (see [`Self::batch_profiles`]).
    pub async fn process(&self, job: ClaimedJob, profiles: &BatchProfiles) -> Processed {
        let now = self.clock.now();
        let task = match &job.payload {
            JobPayload::Task(value) => serde_json::from_value::<SendTask>(value.clone())
                .map_err(|error| format!("unreadable send task: {error}")),
            JobPayload::Trigger(_) | JobPayload::Triggers(_) => {
                Err("a trigger job is on the send queue".to_owned())
            }
        };
        let task = match task {
            Ok(task) => task,
            Err(error) => {
                tracing::error!(job_id = job.id, %error, "send job dropped");
                return Processed {
                    job,
                    result: SendResult::Failed,
                    entries: Vec::new(),
                    finish: JobFinish::Fail { error, now },
                    follow_up: None,
                    capture: None,
                    created_at: None,
                    unreceived: None,
                };
            }
        };
        let mut entries = Vec::new();
        let ending = self.send(&job, &task, profiles, &mut entries).await;
        let is_final = !matches!(ending.result, SendResult::Retrying | SendResult::Deferred);
        Processed {
            result: ending.result,
            entries,
            finish: ending.finish,
            follow_up: if is_final {
                task.follow_up.clone()
            } else {
                None
            },
            capture: ending.capture,
            created_at: Some(task.created_at),
            unreceived: is_final
                .then(|| {
                    let delivered = ending.result == SendResult::Delivered;
                    UnreceivedSend::of(&task, delivered, ending.result == SendResult::Aborted)
                })
                .flatten(),
            job,
        }
    }

    async fn send(
        &self,
        job: &ClaimedJob,
        task: &SendTask,
        profiles: &BatchProfiles,
        entries: &mut Vec<ActivityEntry>,
    ) -> Ending {
        let now = self.clock.now();
        let attempt_number = job.attempts.max(1);
        let mut base = EntryMaker {
            task,
            external_id: None,
            attempt: attempt_number,
            redactor: &self.redactor,
        };
        let Some(compiled) = self.templates.get(&task.template) else {
            let message = format!("webhook template `{}` is not in the config", task.template);
            entries.push(base.note(ActivityType::AbortedMessage, &message, now));
            self.metrics.record_abort();
            return Ending::new(
                SendResult::Failed,
                JobFinish::Fail {
                    error: message,
                    now,
                },
            );
        };
        let profile = match profiles.as_ref().map(|found| found.get(&task.user_id)) {
            Ok(Some(profile)) => profile,
            Ok(None) => {
                let message = format!("user {} no longer exists", task.user_id);
                entries.push(base.note(ActivityType::AbortedMessage, &message, now));
                self.metrics.record_abort();
                return Ending::new(SendResult::Aborted, JobFinish::Complete);
            }
            Err(error) => {
                tracing::warn!(error, "profile read failed; the send waits");
                let at = now + TimeDelta::seconds(30);
                let reason = format!("profile read failed: {error}");
                return Ending::new(SendResult::Deferred, JobFinish::Defer { at, reason });
            }
        };
        base.external_id = profile.external_id.clone();
        let context = RenderContext {
            engine: &self.engine,
            fetcher: &self.fetcher,
            cache: &self.cache,
            tokens: &self.tokens,
            connections: &self.config.salesforce_connections,
            client_secrets: &self.client_secrets,
        };
        let mut refreshed = false;
        loop {
            let now = self.clock.now();
            let rendered = match context.render(compiled, task, profile, now).await {
                Ok(rendered) => rendered,
                Err(problem) => {
                    return self.render_failed(problem, &base, attempt_number, entries, now);
                }
            };
            let redactor = self.redactor_for(&rendered);
            let maker = EntryMaker {
                task,
                external_id: base.external_id.clone(),
                attempt: attempt_number,
                redactor: redactor.as_ref().unwrap_or(&self.redactor),
            };
            for failure in &rendered.connected_content_failures {
                entries.push(maker.note(ActivityType::ConnectedContentError, failure, now));
            }
            let request = outbound(&rendered, task);
            let url = match check_url(&request.url, &self.allowlist) {
                Ok(url) => url,
                Err(refusal) => {
                    let message = refusal.to_string();
                    entries.push(maker.note(ActivityType::WebhookError, &message, now));
                    self.metrics.record_send(SendOutcome::Failed, 0, 0.0);
                    return Ending::new(
                        SendResult::Failed,
                        JobFinish::Fail {
                            error: message,
                            now,
                        },
                    );
                }
            };
            let host = url.host_str().unwrap_or_default().to_owned();
            let rest_key = compiled
                .template
                .connection
                .clone()
                .unwrap_or_else(|| host.clone());
            if let Some(until) = self.backoffs.resting_until(&rest_key, now) {
                let reason = format!("{rest_key} rests after REQUEST_LIMIT_EXCEEDED until {until}");
                return Ending::new(SendResult::Deferred, JobFinish::Defer { at: until, reason });
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
                let wait = until.saturating_duration_since(Instant::now());
                entries.push(maker.attempt(
                    ActivityType::WebhookError,
                    &failure_message(&result),
                    &request,
                    &result,
                    now,
                ));
                return self.retry_or_fail(attempt_number, Some(wait), &result, now);
            }
            let result = match attempt(&self.client, &self.allowlist, &request).await {
                Ok(result) => result,
                Err(refusal) => {
                    let message = refusal.to_string();
                    entries.push(maker.note(ActivityType::WebhookError, &message, now));
                    return Ending::new(
                        SendResult::Failed,
                        JobFinish::Fail {
                            error: message,
                            now,
                        },
                    );
                }
            };
            let now = self.clock.now();
            self.breakers.record(&host, result.status, Instant::now());
            if let Some(limit_info) = result.header("sforce-limit-info") {
                self.metrics
                    .record_salesforce_limit_info(&rest_key, limit_info);
            }
            let seconds = result.duration.as_secs_f64();
            let verdict = classify(result.status, &result.body);
            if verdict != Verdict::Delivered {
                entries.push(maker.attempt(
                    ActivityType::WebhookError,
                    &failure_message(&result),
                    &request,
                    &result,
                    now,
                ));
            }
            match verdict {
                Verdict::Delivered => {
                    self.backoffs.clear(&rest_key);
                    self.metrics
                        .record_send(SendOutcome::Delivered, result.status, seconds);
                    let message = format!("delivered: HTTP {}", result.status);
                    entries.push(maker.attempt(
                        ActivityType::Success,
                        &message,
                        &request,
                        &result,
                        now,
                    ));
                    let capture = captured(&compiled.template.capture, task.user_id, &result.body);
                    return Ending {
                        result: SendResult::Delivered,
                        finish: JobFinish::Complete,
                        capture,
                    };
                }
                Verdict::RefreshTokenAndRetry if !refreshed => {
                    self.metrics
                        .record_send(SendOutcome::Retrying, result.status, seconds);
                    if let Some(token) = bearer_token(&request) {
                        self.tokens.invalidate(token).await;
                    }
                    refreshed = true;
                }
                Verdict::BackOffConnection => {
                    self.metrics
                        .record_send(SendOutcome::Retrying, result.status, seconds);
                    let until = self.backoffs.back_off(&rest_key, now);
                    let reason =
                        format!("{rest_key}: REQUEST_LIMIT_EXCEEDED; resting until {until}");
                    return Ending::new(
                        SendResult::Deferred,
                        JobFinish::Defer { at: until, reason },
                    );
                }
                Verdict::Retry | Verdict::RefreshTokenAndRetry => {
                    let retry_after = result
                        .header("retry-after")
                        .and_then(|value| parse_retry_after(value, now));
                    return self.retry_or_fail(attempt_number, retry_after, &result, now);
                }
                Verdict::GiveUp => {
                    self.metrics
                        .record_send(SendOutcome::Failed, result.status, seconds);
                    let error = format!("HTTP {}: not retried", result.status);
                    return Ending::new(SendResult::Failed, JobFinish::Fail { error, now });
                }
            }
        }
    }

    fn retry_or_fail(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        result: &AttemptResult,
        now: DateTime<Utc>,
    ) -> Ending {
        let seconds = result.duration.as_secs_f64();
        let delay = self
            .schedule
            .delay_before(attempt as usize, retry_after, &mut rand::rng());
        match delay {
            Some(delay) => {
                self.metrics
                    .record_send(SendOutcome::Retrying, result.status, seconds);
                let at = now + TimeDelta::from_std(delay).unwrap_or(TimeDelta::hours(1));
                let error = format!("HTTP {}: retry {attempt} at {at}", result.status);
                Ending::new(SendResult::Retrying, JobFinish::RetryAt { at, error })
            }
            None => {
                self.metrics
                    .record_send(SendOutcome::Failed, result.status, seconds);
                let error = format!("HTTP {}: gave up after {attempt} attempts", result.status);
                Ending::new(SendResult::Failed, JobFinish::Fail { error, now })
            }
        }
    }

    fn render_failed(
        &self,
        problem: RenderProblem,
        maker: &EntryMaker<'_>,
        attempt: u32,
        entries: &mut Vec<ActivityEntry>,
        now: DateTime<Utc>,
    ) -> Ending {
        match problem {
            RenderProblem::Aborted(reason) => {
                self.metrics.record_abort();
                entries.push(maker.note(ActivityType::AbortedMessage, &reason, now));
                Ending::new(SendResult::Aborted, JobFinish::Complete)
            }
            RenderProblem::ConnectedContent(message) => {
                entries.push(maker.note(ActivityType::ConnectedContentError, &message, now));
                Ending::new(
                    SendResult::Failed,
                    JobFinish::Fail {
                        error: message,
                        now,
                    },
                )
            }
            RenderProblem::Token { message, transient } => {
                entries.push(maker.note(ActivityType::ConnectedContentError, &message, now));
                let delay = transient
                    .then(|| {
                        self.schedule
                            .delay_before(attempt as usize, None, &mut rand::rng())
                    })
                    .flatten();
                match delay {
                    Some(delay) => {
                        let at = now + TimeDelta::from_std(delay).unwrap_or(TimeDelta::hours(1));
                        Ending::new(
                            SendResult::Retrying,
                            JobFinish::RetryAt { at, error: message },
                        )
                    }
                    None => Ending::new(
                        SendResult::Failed,
                        JobFinish::Fail {
                            error: message,
                            now,
                        },
                    ),
                }
            }
            RenderProblem::Error(message) => {
                self.metrics.record_abort();
                entries.push(maker.note(ActivityType::AbortedMessage, &message, now));
                Ending::new(
                    SendResult::Failed,
                    JobFinish::Fail {
                        error: message,
                        now,
                    },
                )
            }
        }
    }

    /// A redactor that also knows the live secrets of this render, when it used any.
    fn redactor_for(&self, rendered: &Rendered) -> Option<Redactor> {
        if rendered.secrets.is_empty() {
            return None;
        }
        let mut redactor = self.redactor.clone();
        for secret in &rendered.secrets {
            redactor.add_secret_value(secret);
        }
        Some(redactor)
    }
}

/// The rendered request with the send's stable idempotency key.
fn outbound(rendered: &Rendered, task: &SendTask) -> OutboundRequest {
    let mut headers = rendered.request.headers.clone();
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case(IDEMPOTENCY_HEADER))
    {
        headers.push((IDEMPOTENCY_HEADER.to_owned(), task.send_id.to_string()));
    }
    OutboundRequest {
        method: reqwest::Method::from_bytes(rendered.request.method.as_str().as_bytes())
            .unwrap_or(reqwest::Method::POST),
        url: rendered.request.url.clone(),
        headers,
        body: rendered.request.body.clone(),
    }
}

/// The token of an `Authorization: Bearer …` (or `OAuth …`) header.
fn bearer_token(request: &OutboundRequest) -> Option<&str> {
    let value = request
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| value.trim())?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth"))
        .then(|| token.trim())
}
