//! One claimed send job, end to end, without writing to the database, as typed stages:
//! the budget floor (`policy.rs`, before anything is rendered) → render (`render.rs`, into
//! [`Rendered`]) → policy (`policy.rs`: URL policy, back-off, breaker, into `Cleared`) →
//! attempt (`attempt.rs`, into `Attempted`) → verdict (`verdict.rs`, one `Verdict`) →
//! record (`outcome.rs`: entries, metrics, log line, ending). The batch is written by `record.rs`.
//!
//! | verdict | what happens | job |
//! |---|---|---|
//! | 2xx | success entry, response capture | complete |
//! | 401 `INVALID_SESSION_ID` | token invalidated, rendered again, retried at once (once) | — |
//! | 403 `REQUEST_LIMIT_EXCEEDED` | the connection rests (doubling) | deferred to the end of the rest, not counted |
//! | 408, 429, 5xx, 599 | retry schedule, `Retry-After` within bounds | retry at, or failed when retries are used up |
//! | host paused by the breaker | entry with 598 | retry at the end of the pause (counted, as Braze does) |
//! | connection at its API budget floor, send not urgent | one entry per send (no status) | deferred by `api_limits_every`, not counted |
//! | 3xx, other 4xx, refused URL, render error | error entry | failed |
//! | `abort_message` | aborted entry | complete |

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use leadwire_core::activity::ActivityEntry;
use leadwire_core::profile::Profile;
use leadwire_core::queue::{FollowUp, SendTask, Task};
use leadwire_store::{ClaimedJob, JobFinish, JobPayload};
use uuid::Uuid;

use super::capture::CaptureWrite;
use super::entry::EntryMaker;
use super::fetcher::CallFailure;
use super::outcome::{Ending, Next, SendResult};
use super::render::{RenderInputs, RenderProblem, Rendered};
use super::stages::Sending;
use super::verdict::Verdict;
use super::worker::DeliveryWorker;
use crate::journeys::receipts::UnreceivedSend;

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
            JobPayload::Task(Task::Send(task)) => task.clone(),
            JobPayload::Trigger(_)
            | JobPayload::Triggers(_)
            | JobPayload::Task(
                Task::Canvas(_)
                | Task::Campaign(_)
                | Task::Broadcast(_)
                | Task::SegmentExport(_)
                | Task::Schedule(_)
                | Task::Bulk(_),
            ) => {
                let error = format!("a {} job is no send", job.queue);
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

    /// The stages, once, or twice when a token is refreshed; every verdict is recorded
    /// into `entries`.
    async fn send(
        &self,
        job: &ClaimedJob,
        task: &SendTask,
        profiles: &BatchProfiles,
        entries: &mut Vec<ActivityEntry>,
    ) -> Ending {
        let now = self.clock.now();
        let mut base = EntryMaker {
            task,
            external_id: None,
            attempt: job.attempts.max(1),
            redactor: &self.redactor,
        };
        let sending = match self.sending(task, profiles, base.attempt, now) {
            Ok(sending) => Sending {
                last_note: job.last_note.as_deref(),
                ..sending
            },
            Err(verdict) => return self.finish(&base, &[], verdict, now, entries),
        };
        base.external_id = sending.profile.external_id.clone();
        if let Err(held) = self.check_budget(&sending, now) {
            let verdict = self.judge_blocked(held, sending.attempt, now);
            return self.finish(&base, &[], verdict, now, entries);
        }
        let mut refreshed = false;
        loop {
            let now = self.clock.now();
            let rendered = match self.render(&sending, now).await {
                Ok(rendered) => rendered,
                Err(problem) => {
                    let verdict = self.judge_render(problem, sending.attempt, now);
                    return self.finish(&base, &[], verdict, now, entries);
                }
            };
            let redactor = self.redactor.knowing(&rendered.secrets);
            let maker = EntryMaker {
                redactor: &redactor,
                external_id: base.external_id.clone(),
                ..base
            };
            let verdict = match self.clear(&sending, &rendered, now) {
                Err(blocked) => self.judge_blocked(blocked, sending.attempt, now),
                Ok(cleared) => match self.attempt_stage(&sending, cleared).await {
                    Ok(attempted) => self.judge(&sending, attempted, refreshed),
                    Err(verdict) => verdict,
                },
            };
            let notes = &rendered.connected_content_failures;
            match self.record_verdict(&maker, notes, verdict, now, entries) {
                Next::Done(ending) => return ending,
                Next::RenderAgain { token } => {
                    if let Some(token) = token {
                        self.tokens.invalidate(&token).await;
                    }
                    refreshed = true;
                }
            }
        }
    }

    /// The template and profile of `task`, or the verdict when one is missing.
    fn sending<'a>(
        &'a self,
        task: &'a SendTask,
        profiles: &'a BatchProfiles,
        attempt: u32,
        now: DateTime<Utc>,
    ) -> Result<Sending<'a>, Verdict> {
        let compiled = match &task.webhook {
            Some(webhook) => self
                .renderer
                .compile_ad_hoc(&task.template, webhook)
                .map_err(|error| Verdict::Unrenderable(error.to_string()))?,
            None => match self.renderer.template(&task.template) {
                Some(compiled) => compiled.clone(),
                None => {
                    let message =
                        format!("webhook template `{}` is not in the config", task.template);
                    return Err(Verdict::Unrenderable(message));
                }
            },
        };
        let profile = match profiles.as_ref().map(|found| found.get(&task.user_id)) {
            Ok(Some(profile)) => profile,
            Ok(None) => {
                let message = format!("user {} no longer exists", task.user_id);
                return Err(Verdict::Aborted(message));
            }
            Err(error) => {
                tracing::warn!(error, "profile read failed; the send waits");
                let until = now + TimeDelta::seconds(30);
                let reason = format!("profile read failed: {error}");
                return Err(Verdict::Deferred { until, reason });
            }
        };
        Ok(Sending {
            task,
            compiled,
            profile,
            attempt,
            last_note: None,
        })
    }

    /// The render stage.
    async fn render(
        &self,
        sending: &Sending<'_>,
        now: DateTime<Utc>,
    ) -> Result<Rendered, RenderProblem> {
        let inputs = RenderInputs::of_send(sending.task, sending.profile, now);
        self.renderer.render(&sending.compiled, &inputs).await
    }

    /// Records a verdict that ends the send.
    fn finish(
        &self,
        maker: &EntryMaker<'_>,
        notes: &[CallFailure],
        verdict: Verdict,
        now: DateTime<Utc>,
        entries: &mut Vec<ActivityEntry>,
    ) -> Ending {
        match self.record_verdict(maker, notes, verdict, now, entries) {
            Next::Done(ending) => ending,
            Next::RenderAgain { .. } => unreachable!("only an attempt asks for a new token"),
        }
    }
}
