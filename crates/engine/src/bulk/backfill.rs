//! A backfill: every profile of an audience (a page at a time, in profile id order)
//! rendered through delivery's renderer, gathered into jobs of at most
//! [`BulkSettings::max_job_rows`] rows and [`BulkSettings::max_job_bytes`] of CSV, each
//! created, stored, uploaded once, closed, polled with back-off and recorded before the
//! next is gathered, so memory holds one job at a time. A render that aborts or fails, or a
//! request Bulk API cannot carry, gets its user an `aborted_message` entry.
//!
//! A backfill is a stored run ([`BulkRun`]) with a cursor, the last profile id handed to a
//! job: the transaction that stores a job moves the cursor past its users and writes the
//! entries of the users not sent before them. Started again while the template's run is
//! unfinished, a backfill resumes the run's stored jobs (see the module above for how each
//! state resumes) and continues after the cursor, so a stop between two jobs neither
//! repeats nor skips a user. A run started with another audience is refused unless it is
//! given up ([`Backfill::abandon_unfinished`]).

use std::time::Duration;

use chrono::Utc;
use leadwire_core::activity::{ActivityEntry, ActivityType};
use leadwire_core::attributes::AttributeLimits;
use leadwire_core::config::Config;
use leadwire_core::config::segment::Segment;
use leadwire_core::profile::Profile;
use leadwire_core::track::UserIdentifier;
use leadwire_salesforce::bulk_csv::CsvError;
use leadwire_store::{BulkJob, BulkJobState, BulkRow, BulkRun, BulkRunState, Store, StoreError};
use uuid::Uuid;

use super::chunk::Chunk;
use super::client::{BulkCallError, BulkClient, JobInfo, ResultFile};
use super::plan::{JobShape, plan};
use super::results::{RecordContext, match_results, record};
use super::source::BulkSource;
use crate::delivery::render::{RenderInputs, RenderProblem, Renderer};
use crate::journeys::segments::members_after;

/// Limits and pacing of a backfill's jobs.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkSettings {
    /// Rows per job.
    pub max_job_rows: usize,
    /// CSV bytes per job: Salesforce takes 150 MB once base64-encoded, 100 MB of CSV.
    pub max_job_bytes: usize,
    /// The first wait between polls of a job; it doubles up to `poll_max`.
    pub poll_first: Duration,
    pub poll_max: Duration,
    /// Stop right after the first upload is stored, as a crash there would (for tests of
    /// resuming).
    pub stop_after_upload: bool,
    /// Stop right after the first job is recorded, before the next is created, as a crash
    /// between two jobs would (for tests of continuing a run).
    pub stop_after_recorded: bool,
}

impl Default for BulkSettings {
    fn default() -> Self {
        Self {
            max_job_rows: 150_000,
            max_job_bytes: 100_000_000,
            poll_first: Duration::from_millis(500),
            poll_max: Duration::from_secs(30),
            stop_after_upload: false,
            stop_after_recorded: false,
        }
    }
}

/// What a backfill reports as it goes (a CLI progress bar, metrics).
pub trait Progress: Send + Sync {
    /// `count` more users were rendered.
    fn rendered(&self, count: u64);
    /// A job's state at a poll.
    fn polled(&self, sf_job_id: &str, info: &JobInfo, rows: u64);
    /// A job's records were written: `succeeded` and `failed` of them.
    fn recorded(&self, succeeded: u64, failed: u64);
}

/// A [`Progress`] that reports nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn rendered(&self, _: u64) {}
    fn polled(&self, _: &str, _: &JobInfo, _: u64) {}
    fn recorded(&self, _: u64, _: u64) {}
}

/// What a backfill did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackfillReport {
    /// Users rendered into rows.
    pub rows: u64,
    /// Users whose render aborted or failed, or whose request Bulk cannot carry.
    pub skipped: u64,
    /// Jobs created.
    pub jobs: u64,
    /// Stored jobs picked up where they stopped.
    pub resumed: u64,
    /// The template's unfinished run was continued after its last job.
    pub continued: bool,
    /// Unfinished runs given up (`abandon_unfinished`).
    pub abandoned: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// Bulk API HTTP calls made.
    pub api_calls: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    #[error("no webhook template named `{0}`")]
    UnknownTemplate(String),
    #[error(
        "template `{0}` names no Salesforce connection; a backfill calls Bulk API 2.0 with its connection's token: set `connection = \"…\"`"
    )]
    NoConnection(String),
    #[error("the access token: {0}")]
    Token(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("Bulk API 2.0: {0}; the job is stored, run the backfill again to resume it")]
    Call(#[from] BulkCallError),
    #[error("a result file of a Bulk API 2.0 job does not read: {0}")]
    Results(#[from] CsvError),
    #[error("stopped after the upload of job {0}, as asked; run the backfill again to resume it")]
    Stopped(String),
    #[error(
        "stopped after job {0} was recorded, as asked; run the backfill again to continue after it"
    )]
    StoppedBetweenJobs(String),
    #[error(
        "no Bulk API 2.0 run {0} is stored; the broadcast that started it saves it with its task"
    )]
    NoRun(Uuid),
    #[error(
        "template `{template}` has an unfinished backfill, started {started} with {started_with}, not {given}: run it again with {started_with} to finish it, or add --abandon-unfinished to give it up (its stored jobs are finished, the users after its last job are not sent) and start this one"
    )]
    UnfinishedRun {
        template: String,
        started: String,
        started_with: String,
        given: String,
    },
}

/// One backfill of one template.
pub struct Backfill<'a> {
    pub store: &'a dyn Store,
    pub renderer: &'a Renderer,
    pub config: &'a Config,
    pub template: &'a str,
    /// Who is sent; a segment with no filters is everyone.
    pub audience: Segment,
    /// The audience as given (`--audience`'s value; empty for everyone), stored with the
    /// run: a backfill started again with another one is refused while the run is
    /// unfinished.
    pub audience_given: String,
    /// Give up the template's unfinished run instead of continuing it: its stored jobs are
    /// finished (one not uploaded is aborted), nobody after its cursor is sent, and a new
    /// run starts.
    pub abandon_unfinished: bool,
    pub settings: BulkSettings,
    pub http: reqwest::Client,
    pub progress: &'a dyn Progress,
    /// What it sends for: a backfill, or a campaign broadcast's stored run.
    pub source: BulkSource<'a>,
}

/// Whom a pass renders.
enum Users {
    /// The audience's members, after this profile id when given.
    Audience(Option<Uuid>),
    /// The users of stored jobs given up before their upload; the jobs are marked
    /// abandoned with the pass's last write.
    Listed(Vec<BulkJob>),
}

/// Where a pass's rows go outside a dry run: the client, the run, and what the next write
/// of the run carries with it.
struct Sink<'c> {
    client: &'c BulkClient,
    run: BulkRun,
    /// Entries of users not sent, written with the next job (or the pass's last write).
    skipped: Vec<ActivityEntry>,
    /// The last profile id of the audience rendered so far; the cursor moves to it with
    /// the next write, when every user up to it is in a job or among `skipped`.
    rendered_to: Option<Uuid>,
    /// Jobs whose users this pass rendered again, marked abandoned with its last write.
    replaced: Vec<BulkJob>,
}

impl<'c> Sink<'c> {
    fn new(client: &'c BulkClient, run: BulkRun) -> Self {
        Self {
            client,
            run,
            skipped: Vec::new(),
            rendered_to: None,
            replaced: Vec::new(),
        }
    }
}

impl Backfill<'_> {
    /// Runs the backfill, or continues the template's unfinished run when there is one.
    pub async fn run(&self, dry_run: bool) -> Result<BackfillReport, BackfillError> {
        let template = self
            .config
            .template(self.template)
            .ok_or_else(|| BackfillError::UnknownTemplate(self.template.to_owned()))?;
        let connection = template
            .connection
            .clone()
            .ok_or_else(|| BackfillError::NoConnection(self.template.to_owned()))?;
        let mut report = BackfillReport::default();
        if dry_run {
            self.render_audience(None, &mut report, Users::Audience(None))
                .await?;
            return Ok(report);
        }
        let settings = self
            .config
            .connection(&connection)
            .ok_or_else(|| BackfillError::NoConnection(self.template.to_owned()))?;
        let token = self
            .renderer
            .connection_token(settings)
            .await
            .map_err(|problem| BackfillError::Token(problem_text(&problem)))?;
        let client = BulkClient::new(self.http.clone(), token.access_token);
        let result = self.run_with(&client, &connection, &mut report).await;
        report.api_calls = client.calls();
        result.map(|()| report)
    }

    async fn run_with(
        &self,
        client: &BulkClient,
        connection: &str,
        report: &mut BackfillReport,
    ) -> Result<(), BackfillError> {
        let run = self.open_run(client, connection, report).await?;
        if run.state != BulkRunState::Running {
            let mut sink = Sink::new(client, run);
            return self.write(&mut sink, None).await;
        }
        let jobs = self.store.unfinished_bulk_jobs(Some(run.id)).await?;
        // A run adopted from jobs stored before runs were has no cursor: its jobs' last
        // user is where it stopped.
        let after = jobs
            .iter()
            .flat_map(|job| job.rows.iter().map(|row| row.user_id))
            .chain(run.last_profile_id)
            .max();
        let mut sink = Sink::new(client, run);
        let again = self.resume(client, jobs, report).await?;
        if !again.is_empty() {
            self.render_audience(Some(&mut sink), report, Users::Listed(again))
                .await?;
        }
        self.render_audience(Some(&mut sink), report, Users::Audience(after))
            .await?;
        sink.run.state = BulkRunState::Finished;
        self.write(&mut sink, None).await
    }

    /// The template's unfinished run to continue, or a new one (stored): a run started
    /// with another audience is refused, or given up when asked.
    async fn open_run(
        &self,
        client: &BulkClient,
        connection: &str,
        report: &mut BackfillReport,
    ) -> Result<BulkRun, BackfillError> {
        if let BulkSource::Campaign(campaign) = &self.source {
            return self
                .store
                .bulk_run(campaign.run_id)
                .await?
                .ok_or(BackfillError::NoRun(campaign.run_id));
        }
        let running = self
            .store
            .running_bulk_runs(self.template, self.source.stored_name())
            .await?;
        for run in running {
            let same = run
                .audience
                .as_deref()
                .is_none_or(|audience| audience == self.audience_given);
            if same && !self.abandon_unfinished {
                report.continued = true;
                return Ok(run);
            }
            if !self.abandon_unfinished {
                return Err(BackfillError::UnfinishedRun {
                    template: self.template.to_owned(),
                    started: run.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                    started_with: audience_words(run.audience.as_deref().unwrap_or_default()),
                    given: audience_words(&self.audience_given),
                });
            }
            self.abandon(client, run, report).await?;
        }
        let now = Utc::now();
        let run = BulkRun {
            id: Uuid::now_v7(),
            template: self.template.to_owned(),
            connection: connection.to_owned(),
            source: self.source.stored_name().to_owned(),
            audience: Some(self.audience_given.clone()),
            last_profile_id: None,
            state: BulkRunState::Running,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.store.begin().await?;
        tx.save_bulk_run(&run).await?;
        tx.commit().await?;
        Ok(run)
    }

    /// Gives a run up: finishes its stored jobs, renders nobody again, marks it abandoned.
    async fn abandon(
        &self,
        client: &BulkClient,
        mut run: BulkRun,
        report: &mut BackfillReport,
    ) -> Result<(), BackfillError> {
        let jobs = self.store.unfinished_bulk_jobs(Some(run.id)).await?;
        let not_uploaded = self.resume(client, jobs, report).await?;
        let mut tx = self.store.begin().await?;
        for mut job in not_uploaded {
            job.state = BulkJobState::Abandoned;
            job.updated_at = Utc::now();
            tx.save_bulk_job(&job).await?;
        }
        run.state = BulkRunState::Abandoned;
        run.updated_at = Utc::now();
        tx.save_bulk_run(&run).await?;
        tx.commit().await?;
        report.abandoned += 1;
        tracing::info!(run = %run.id, template = %run.template, "unfinished backfill given up");
        Ok(())
    }

    /// Resumes stored jobs: each uploaded one is closed (never uploaded again), polled
    /// and recorded; each one whose upload is not confirmed is aborted at Salesforce and
    /// returned, for its users to be rendered into a new job.
    async fn resume(
        &self,
        client: &BulkClient,
        jobs: Vec<BulkJob>,
        report: &mut BackfillReport,
    ) -> Result<Vec<BulkJob>, BackfillError> {
        let mut again = Vec::new();
        for mut job in jobs {
            report.resumed += 1;
            let sf_job = job.sf_job_id.clone().unwrap_or_default();
            let sf_state = match client.info(&job.api_base, &sf_job).await {
                Ok(info) => Some(info.state),
                Err(error) if error.status == Some(404) => None,
                Err(error) => return Err(error.into()),
            };
            match (job.state, sf_state.as_deref()) {
                // Not uploaded as far as the store knows: never processed, its users go
                // to a new job (an earlier resume may have aborted it already).
                (BulkJobState::Open, Some("Open")) => {
                    client.set_state(&job.api_base, &sf_job, "Aborted").await?;
                    again.push(job);
                    continue;
                }
                (BulkJobState::Open, None | Some("Aborted")) | (_, None) => {
                    again.push(job);
                    continue;
                }
                (BulkJobState::Uploaded, Some("Open")) => {
                    client
                        .set_state(&job.api_base, &sf_job, "UploadComplete")
                        .await?;
                }
                _ => {}
            }
            job.state = BulkJobState::Closed;
            self.save(&job).await?;
            self.finish(client, job, report).await?;
        }
        Ok(again)
    }

    /// Renders the audience (or the listed jobs' users) and loads them job by job; with no
    /// sink, only renders and counts (a dry run writes nothing).
    async fn render_audience(
        &self,
        mut sink: Option<&mut Sink<'_>>,
        report: &mut BackfillReport,
        users: Users,
    ) -> Result<(), BackfillError> {
        let compiled = self
            .renderer
            .template(self.template)
            .ok_or_else(|| BackfillError::UnknownTemplate(self.template.to_owned()))?
            .clone();
        let mut chunk: Option<Chunk> = None;
        let message_source = self.source.message_source();
        let (mut after, mut listed, replaced) = match users {
            Users::Audience(after) => (after, None, Vec::new()),
            Users::Listed(jobs) => {
                let users: Vec<Uuid> = jobs
                    .iter()
                    .flat_map(|job| job.rows.iter().map(|row| row.user_id))
                    .collect();
                (None, Some(users.into_iter()), jobs)
            }
        };
        loop {
            let now = Utc::now();
            let profiles: Vec<Profile> = match listed.as_mut() {
                Some(users) => {
                    let mut page = Vec::new();
                    for id in users.by_ref().take(500) {
                        if let Some(profile) = self
                            .store
                            .find_profile(&UserIdentifier::BrazeId(id))
                            .await?
                        {
                            page.push(profile);
                        }
                    }
                    page
                }
                None => {
                    let page =
                        members_after(self.store, &self.audience.filters, after, 500, now).await?;
                    after = page.next;
                    page.members
                }
            };
            let last_page = match listed.as_ref() {
                Some(users) => users.len() == 0,
                None => after.is_none(),
            };
            for profile in &profiles {
                if !self.source.sends_to(self.store, profile, now).await? {
                    continue;
                }
                let inputs = RenderInputs {
                    user: profile.to_attributes_object(),
                    event_properties: None,
                    api_trigger_properties: self.source.api_trigger_properties(),
                    canvas_entry_properties: None,
                    source: &message_source,
                    now,
                };
                let planned = match self.renderer.render(&compiled, &inputs).await {
                    Ok(rendered) => plan(&rendered.request),
                    Err(problem) => Err(problem_text(&problem)),
                };
                let planned = planned.and_then(|row| match &chunk {
                    Some(open) if open.shape != row.shape => Err(format!(
                        "this user's request goes to {} {} {}, not to this backfill's job ({} {} {})",
                        row.shape.operation.as_str(), row.shape.object, row.shape.api_base,
                        open.shape.operation.as_str(), open.shape.object, open.shape.api_base
                    )),
                    _ => Ok(row),
                });
                match planned {
                    Ok(row) => {
                        report.rows += 1;
                        let open = chunk.get_or_insert_with(|| Chunk::new(row.shape.clone()));
                        open.push(profile.id, row);
                        let full = open.rows.len() >= self.settings.max_job_rows
                            || open.bytes >= self.settings.max_job_bytes;
                        if full && let Some(sink) = sink.as_deref_mut() {
                            let full = chunk.take().map(Chunk::into_csv);
                            if let Some(full) = full {
                                self.load(sink, full, report).await?;
                            }
                        }
                    }
                    Err(why) => {
                        report.skipped += 1;
                        if let Some(sink) = sink.as_deref_mut() {
                            sink.skipped.push(self.skipped_entry(profile, why));
                        }
                    }
                }
            }
            self.progress.rendered(profiles.len() as u64);
            if let Some(sink) = sink.as_deref_mut() {
                if let (None, Some(last)) = (&listed, profiles.last()) {
                    sink.rendered_to = Some(last.id);
                }
                // With no rows waiting for a job, every user so far is handled: the
                // cursor can move, and the entries of the users not sent go out.
                if chunk.is_none() && !last_page {
                    self.write(sink, None).await?;
                }
            }
            if last_page {
                break;
            }
        }
        let Some(sink) = sink else {
            return Ok(());
        };
        sink.replaced.extend(replaced);
        if let Some(last) = chunk {
            self.load(sink, last.into_csv(), report).await?;
        }
        self.write(sink, None).await
    }

    fn skipped_entry(&self, profile: &Profile, why: String) -> ActivityEntry {
        ActivityEntry {
            id: Uuid::now_v7(),
            time: Utc::now(),
            activity_type: ActivityType::AbortedMessage,
            source: self.source.message_source(),
            user_id: profile.id,
            external_id: profile.external_id.clone(),
            template: self.template.to_owned(),
            message: format!("not sent through Bulk API 2.0: {why}"),
            attempt: 1,
            status: None,
            duration_ms: 0,
            request: None,
            response: None,
            send_id: Uuid::now_v7(),
            trigger_properties: self.source.trigger_properties(),
            tracking_send_id: self.source.tracking_send_id().map(str::to_owned),
        }
    }

    /// Creates one job, stores it with the run's cursor moved past its users, uploads it
    /// once, closes it and finishes it.
    async fn load(
        &self,
        sink: &mut Sink<'_>,
        (shape, csv, rows): (JobShape, String, Vec<BulkRow>),
        report: &mut BackfillReport,
    ) -> Result<(), BackfillError> {
        let client = sink.client;
        let created = client.create(&shape).await?;
        report.jobs += 1;
        let now = Utc::now();
        let mut job = BulkJob {
            id: Uuid::now_v7(),
            run_id: sink.run.id,
            template: self.template.to_owned(),
            connection: sink.run.connection.clone(),
            api_base: shape.api_base.clone(),
            operation: shape.operation.as_str().to_owned(),
            external_id_field: shape.external_id_field.clone(),
            sf_job_id: Some(created.id.clone()),
            state: BulkJobState::Open,
            sf_state: Some(created.state.clone()),
            rows,
            processed: 0,
            failed: 0,
            created_at: now,
            updated_at: now,
        };
        self.write(sink, Some(&job)).await?;
        client.upload(&shape.api_base, &created.id, csv).await?;
        job.state = BulkJobState::Uploaded;
        self.save(&job).await?;
        if self.settings.stop_after_upload {
            return Err(BackfillError::Stopped(created.id));
        }
        client
            .set_state(&shape.api_base, &created.id, "UploadComplete")
            .await?;
        job.state = BulkJobState::Closed;
        self.save(&job).await?;
        self.finish(client, job, report).await?;
        if self.settings.stop_after_recorded {
            return Err(BackfillError::StoppedBetweenJobs(created.id));
        }
        Ok(())
    }

    /// One write of the run, in one transaction: `job` (new), the entries of the users not
    /// sent, the replaced jobs marked abandoned, and the run with its cursor moved past
    /// them all.
    async fn write(&self, sink: &mut Sink<'_>, job: Option<&BulkJob>) -> Result<(), BackfillError> {
        let now = Utc::now();
        let mut tx = self.store.begin().await?;
        if let Some(job) = job {
            tx.save_bulk_job(job).await?;
            let users = job.rows.iter().map(|row| row.user_id);
            self.source.hold_receipts(&mut *tx, users, now).await?;
        }
        for entries in sink.skipped.chunks(500) {
            tx.record_activity(entries).await?;
        }
        for replaced in &sink.replaced {
            let mut replaced = replaced.clone();
            replaced.state = BulkJobState::Abandoned;
            replaced.updated_at = now;
            tx.save_bulk_job(&replaced).await?;
        }
        let handed = job.and_then(|job| job.rows.iter().map(|row| row.user_id).max());
        let mut run = sink.run.clone();
        run.last_profile_id = [run.last_profile_id, sink.rendered_to, handed]
            .into_iter()
            .flatten()
            .max();
        run.updated_at = now;
        tx.save_bulk_run(&run).await?;
        if let (BulkRunState::Finished | BulkRunState::Abandoned, Some(claimed)) =
            (run.state, self.source.job())
        {
            tx.complete_job(claimed).await?;
        }
        tx.commit().await?;
        sink.run = run;
        sink.skipped.clear();
        sink.replaced.clear();
        Ok(())
    }

    /// Polls a closed job to its end, reads its results and records them.
    async fn finish(
        &self,
        client: &BulkClient,
        mut job: BulkJob,
        report: &mut BackfillReport,
    ) -> Result<(), BackfillError> {
        let sf_job = job.sf_job_id.clone().unwrap_or_default();
        let mut wait = self.settings.poll_first;
        let info = loop {
            let info = client.info(&job.api_base, &sf_job).await?;
            self.progress.polled(&sf_job, &info, job.rows.len() as u64);
            if info.is_terminal() {
                break info;
            }
            let moved = (job.sf_state.as_deref(), job.processed, job.failed)
                != (Some(info.state.as_str()), info.processed, info.failed);
            if moved {
                job.sf_state = Some(info.state.clone());
                job.processed = info.processed;
                job.failed = info.failed;
                job.updated_at = Utc::now();
                self.save(&job).await?;
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(self.settings.poll_max);
        };
        let successful = client
            .results(&job.api_base, &sf_job, ResultFile::Successful)
            .await?;
        let failed = client
            .results(&job.api_base, &sf_job, ResultFile::Failed)
            .await?;
        let unprocessed = if info.state == "JobComplete" {
            String::new()
        } else {
            client
                .results(&job.api_base, &sf_job, ResultFile::Unprocessed)
                .await?
        };
        let shape_key = match job.operation.as_str() {
            "upsert" => job.external_id_field.clone(),
            "update" => Some("Id".to_owned()),
            _ => None,
        };
        let outcomes = match_results(
            &job,
            shape_key.as_deref(),
            &[
                ("successful", successful.as_str()),
                ("failed", failed.as_str()),
                ("unprocessed", unprocessed.as_str()),
            ],
        )?;
        let captures = self
            .config
            .template(self.template)
            .map(|template| template.capture.clone())
            .unwrap_or_default();
        let limits = AttributeLimits::default();
        let recorded = record(
            self.store,
            &job,
            outcomes,
            &RecordContext {
                template: self.template,
                source: &self.source,
                config: self.config,
                captures: &captures,
                limits: &limits,
                now: Utc::now(),
                job_state: &info.state,
                job_error: info.error_message.as_deref(),
            },
        )
        .await?;
        report.succeeded += recorded.succeeded;
        report.failed += recorded.failed;
        self.progress.recorded(recorded.succeeded, recorded.failed);
        Ok(())
    }

    async fn save(&self, job: &BulkJob) -> Result<(), BackfillError> {
        let mut tx = self.store.begin().await?;
        tx.save_bulk_job(job).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn problem_text(problem: &RenderProblem) -> String {
    match problem {
        RenderProblem::Aborted { field, reason } => format!("aborted in {field}: {reason}"),
        RenderProblem::ConnectedContent { field, message } => {
            format!("connected_content in {field}: {message}")
        }
        RenderProblem::Token { message, .. } => message.clone(),
        RenderProblem::Error(message) => message.clone(),
    }
}

/// An audience as given, as the refusal of a second one names it.
fn audience_words(given: &str) -> String {
    if given.is_empty() {
        "no --audience (everyone)".to_owned()
    } else {
        format!("--audience '{given}'")
    }
}
