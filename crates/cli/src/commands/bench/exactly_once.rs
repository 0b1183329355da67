//! `leadwire bench exactly-once`: the batching bench's burst (Upsert Lead batched through
//! sObject Collections) against the built-in emulator failing a share of records with
//! `UNABLE_TO_LOCK_ROW`, a share of whole calls with 503 and, by default, 1 % of calls
//! served and then left unanswered, retries a second apart. Once
//! every send is final it reads every Lead back and the whole activity log, and checks that
//! each user's lead is in Salesforce exactly once and each user has exactly one `success`
//! entry; it prints the retries made, API calls per lead and the wall time, and fails when
//! a lead is lost or duplicated.
//!
//! The first two faults are injected before anything is written: a 503 answers the call
//! without serving it, and a failed record is left out of the write. A lost answer is the
//! hard case: the call's writes are made, then its connection is dropped, so the sender
//! cannot tell and sends again; the retry is an upsert by `Leadwire_Id__c`, which writes
//! the same Lead again, never a second one.

use std::collections::{HashMap, HashSet};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Args;
use leadwire_core::activity::{ActivityEntry, ActivityType};
use leadwire_core::time::Interval;
use leadwire_salesforce_emulator::FaultSettings;
use leadwire_store::{ActivityQuery, Queue, Store};
use uuid::Uuid;

use super::delivery::{Pipeline, PipelineOptions, ingest_burst, start_with};
use super::readback::{self, Tally};

#[derive(Debug, Args)]
pub struct ExactlyOnceArgs {
    /// Users (and so leads) in the burst.
    #[arg(long, default_value_t = 10_000)]
    burst: usize,
    /// Share of sObject Collections records the emulator answers `UNABLE_TO_LOCK_ROW`.
    #[arg(long, default_value_t = 0.10)]
    record_error_rate: f64,
    /// Share of Salesforce calls the emulator answers with 503.
    #[arg(long, default_value_t = 0.05)]
    error_rate: f64,
    /// Share of Salesforce calls the emulator serves in full, then drops unanswered.
    #[arg(long, default_value_t = 0.01)]
    lost_answer_rate: f64,
}

/// Retries a second apart, enough of them that no send runs out at these shares.
const RETRIES: usize = 8;
const RETRY_DELAY: Interval = Interval::from_seconds(1);
/// The emulator's seed, so the faults drawn repeat from run to run.
const SEED: u64 = 7;
/// How long the sends may take to become final after the ingest.
const DRAIN_DEADLINE: Duration = Duration::from_secs(900);
/// The upsert's external id field: the user's `braze_id`.
const EXTERNAL_ID: &str = "Leadwire_Id__c";

pub async fn run(args: ExactlyOnceArgs) -> anyhow::Result<ExitCode> {
    if args.burst == 0 {
        bail!("--burst must be at least 1");
    }
    let faults = FaultSettings {
        record_error_rate: args.record_error_rate,
        error_rate: args.error_rate,
        error_status: 503,
        lost_answer_rate: args.lost_answer_rate,
        seed: SEED,
        ..FaultSettings::default()
    };
    faults
        .validate()
        .map_err(|problem| anyhow::anyhow!("a fault share: {problem}"))?;
    println!(
        "bench exactly-once: {} users, Upsert Lead batched through sObject Collections (200 a call); \
         emulator faults: {:.0} % of records UNABLE_TO_LOCK_ROW, {:.0} % of calls 503 (both \
         before any write), {:.0} % of calls served and then unanswered (seed {SEED}); \
         retries {RETRY_DELAY} apart, up to {RETRIES}",
        args.burst,
        args.record_error_rate * 100.0,
        args.error_rate * 100.0,
        args.lost_answer_rate * 100.0,
    );
    let mut options = PipelineOptions::new(true);
    options.faults = faults;
    options.settings.retry_delays = vec![RETRY_DELAY; RETRIES];
    let pipeline = start_with(options).await?;
    let report = measure(&pipeline, args.burst).await;
    pipeline.stop().await;
    let report = report?;
    report.print(args.burst);
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Ingests the burst, waits until every send is final, then reads the results back.
async fn measure(pipeline: &Pipeline, burst: usize) -> anyhow::Result<Report> {
    let started = Instant::now();
    ingest_burst(pipeline, burst).await?;
    readback::drain(pipeline.store(), DRAIN_DEADLINE).await?;
    let elapsed = started.elapsed();
    let stats = pipeline.emulator().stats();
    let failed_sends = pipeline.store().failed_jobs(Queue::Sends).await?.len();
    // Faults off: reading the leads back goes through the emulator too.
    pipeline
        .emulator()
        .state()
        .set_faults(FaultSettings::default())?;
    let leads = readback::leads(pipeline.emulator(), &["Email", EXTERNAL_ID]).await?;
    let emails = readback::texts(&leads, "Email");
    let by_email = Tally::of((0..burst).map(|n| format!("lead{n}@example.com")), &emails);
    let lead_keys: Vec<Option<Uuid>> = readback::texts(&leads, EXTERNAL_ID)
        .into_iter()
        .map(|text| Uuid::parse_str(text).ok())
        .collect();
    let activity = Activity::read(pipeline.store()).await?;
    let users = (0..burst).map(|n| format!("bench-{n}"));
    let per_user = activity.per_user(users);
    Ok(Report {
        leads: leads.len(),
        by_email,
        keys: KeyCheck::of(&lead_keys, &activity.delivered_to),
        per_user,
        failed_sends,
        activity,
        calls: stats.total,
        token_requests: stats.endpoint("POST /services/oauth2/token"),
        elapsed,
    })
}

/// What the activity log says about the burst: every attempt, by user.
#[derive(Default)]
struct Activity {
    /// The external id of each `success` entry.
    successes: Vec<String>,
    /// The internal ids of the users whose sends succeeded (the upsert's key).
    delivered_to: Vec<Uuid>,
    /// Failed attempts: a whole call's 503, a record's `UNABLE_TO_LOCK_ROW`, a token request
    /// that failed, anything else.
    status_503: u64,
    record_errors: u64,
    /// Sends whose call got no answer (a lost answer: the connection closed).
    no_answer: u64,
    token_errors: u64,
    other_errors: u64,
    /// Sends delivered after more than one attempt, and the most attempts one send took.
    retried_sends: u64,
    most_attempts: u32,
}

impl Activity {
    async fn read(store: &dyn Store) -> anyhow::Result<Self> {
        let mut activity = Self::default();
        let mut query = ActivityQuery::default();
        loop {
            let page = store.activity(&query).await?;
            for entry in &page.entries {
                activity.add(entry);
            }
            match page.next {
                Some(cursor) => query.before = Some(cursor),
                None => return Ok(activity),
            }
        }
    }

    fn add(&mut self, entry: &ActivityEntry) {
        match entry.activity_type {
            ActivityType::Success => {
                self.successes
                    .push(entry.external_id.clone().unwrap_or_default());
                self.delivered_to.push(entry.user_id);
                if entry.attempt > 1 {
                    self.retried_sends += 1;
                }
                self.most_attempts = self.most_attempts.max(entry.attempt);
            }
            // A failed record is given the 503 it would get written alone: tell it by its
            // error code.
            ActivityType::WebhookError if entry.message.contains("UNABLE_TO_LOCK_ROW") => {
                self.record_errors += 1;
            }
            ActivityType::WebhookError if entry.status == Some(503) => self.status_503 += 1,
            // A transport failure is logged with status 599.
            ActivityType::WebhookError if entry.status == Some(599) => self.no_answer += 1,
            ActivityType::ConnectedContentError => self.token_errors += 1,
            _ => self.other_errors += 1,
        }
    }

    fn failed_attempts(&self) -> u64 {
        self.status_503
            + self.record_errors
            + self.no_answer
            + self.token_errors
            + self.other_errors
    }

    /// How many of `users` have exactly one `success` entry, none, or more than one.
    fn per_user(&self, users: impl Iterator<Item = String>) -> Tally {
        let successes: Vec<&str> = self.successes.iter().map(String::as_str).collect();
        Tally::of(users, &successes)
    }
}

/// The upsert keys of the Leads against the users delivered to.
#[derive(Debug, PartialEq, Eq)]
struct KeyCheck {
    /// Keys on more than one Lead.
    shared: usize,
    /// Leads whose key is no delivered user's, or none.
    stray: usize,
}

impl KeyCheck {
    fn of(lead_keys: &[Option<Uuid>], delivered_to: &[Uuid]) -> Self {
        let delivered: HashSet<Uuid> = delivered_to.iter().copied().collect();
        let mut seen = HashMap::new();
        let mut stray = 0;
        for key in lead_keys {
            match key {
                Some(key) if delivered.contains(key) => *seen.entry(*key).or_insert(0u64) += 1,
                _ => stray += 1,
            }
        }
        Self {
            shared: seen.values().filter(|count| **count > 1).count(),
            stray,
        }
    }
}

struct Report {
    leads: usize,
    by_email: Tally,
    keys: KeyCheck,
    per_user: Tally,
    failed_sends: usize,
    activity: Activity,
    calls: u64,
    token_requests: u64,
    elapsed: Duration,
}

impl Report {
    fn passed(&self) -> bool {
        self.leads as u64 == self.by_email.expected
            && self.by_email.exact()
            && self.keys
                == KeyCheck {
                    shared: 0,
                    stray: 0,
                }
            && self.per_user.exact()
            && self.failed_sends == 0
    }

    fn print(&self, burst: usize) {
        let activity = &self.activity;
        println!(
            "leads:      {} in the emulator for {burst} users: {} exactly once, {} missing, {} duplicated; \
             {} {EXTERNAL_ID} on more than one Lead, {} Leads not keyed by a delivered user",
            self.leads,
            self.by_email.exactly_once,
            self.by_email.missing,
            self.by_email.duplicated,
            self.keys.shared,
            self.keys.stray,
        );
        println!(
            "activity:   {} users with exactly one success entry, {} with none, {} with more; {} sends failed",
            self.per_user.exactly_once,
            self.per_user.missing,
            self.per_user.duplicated,
            self.failed_sends,
        );
        println!(
            "retries:    {} failed attempts retried ({} sends in a call answered 503, {} records \
             UNABLE_TO_LOCK_ROW, {} sends in a call left unanswered, {} token requests failed, \
             {} other); {} sends needed more than one attempt, at most {}",
            activity.failed_attempts(),
            activity.status_503,
            activity.record_errors,
            activity.no_answer,
            activity.token_errors,
            activity.other_errors,
            activity.retried_sends,
            activity.most_attempts,
        );
        println!(
            "API calls:  {:.4} per lead ({} calls, {} of them token requests, failed calls included)",
            self.calls as f64 / burst as f64,
            self.calls,
            self.token_requests,
        );
        println!(
            "wall time:  {:.2} s from the first ingest to the last send final",
            self.elapsed.as_secs_f64()
        );
        println!(
            "verdict:    {}",
            if self.passed() {
                "passed: every lead arrived exactly once"
            } else {
                "FAILED: a lead was lost or duplicated"
            }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_on_two_leads_or_on_no_delivered_user_is_caught() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(
            KeyCheck::of(&[Some(a), Some(b)], &[a, b]),
            KeyCheck {
                shared: 0,
                stray: 0
            }
        );
        assert_eq!(
            KeyCheck::of(&[Some(a), Some(a), Some(Uuid::new_v4()), None], &[a, b]),
            KeyCheck {
                shared: 1,
                stray: 2
            }
        );
    }
}
