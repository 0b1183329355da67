//! A backfill: every profile of an audience (a page at a time, in profile id order)
//! rendered through delivery's renderer, gathered into jobs of at most
//! [`BulkSettings::max_job_rows`] rows and [`BulkSettings::max_job_bytes`] of CSV, each
//! created, stored, uploaded once, closed, polled with back-off and recorded before the
//! next is gathered, so memory holds one job at a time. A render that aborts or fails, or a
//! request Bulk API cannot carry, gets its user an `aborted_message` entry at once.
//!
//! Started again while jobs of the template are unfinished, a backfill resumes those jobs
//! (see the module above for how each state resumes) instead of starting over.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use leadwire_core::activity::{ActivityEntry, ActivityType, MessageSource};
use leadwire_core::attributes::AttributeLimits;
use leadwire_core::config::Config;
use leadwire_core::config::segment::Segment;
use leadwire_core::profile::Profile;
use leadwire_core::track::UserIdentifier;
use leadwire_store::{BulkJob, BulkJobState, BulkRow, Store, StoreError};
use uuid::Uuid;

use super::client::{BulkCallError, BulkClient, JobInfo, ResultFile};
use super::csv::{CsvError, push_record, row_key};
use super::plan::{JobShape, PlannedRow, plan};
use super::results::{RecordContext, match_results, record};
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
}

impl Default for BulkSettings {
    fn default() -> Self {
        Self {
            max_job_rows: 150_000,
            max_job_bytes: 100_000_000,
            poll_first: Duration::from_millis(500),
            poll_max: Duration::from_secs(30),
            stop_after_upload: false,
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
    #[error(transparent)]
    Results(#[from] CsvError),
    #[error("stopped after the upload of job {0}, as asked; run the backfill again to resume it")]
    Stopped(String),
}

/// One backfill of one template.
pub struct Backfill<'a> {
    pub store: &'a dyn Store,
    pub renderer: &'a Renderer,
    pub config: &'a Config,
    pub template: &'a str,
    /// Who is sent; a segment with no filters is everyone.
    pub audience: Segment,
    pub settings: BulkSettings,
    pub http: reqwest::Client,
    pub progress: &'a dyn Progress,
}

/// Whom a pass renders.
enum Users {
    /// The audience's members, after this profile id when given.
    Audience(Option<Uuid>),
    /// These users (of a job given up before its upload).
    Listed(Vec<Uuid>),
}

/// The rows gathered for one job.
struct Chunk {
    shape: JobShape,
    columns: Vec<String>,
    column_at: HashMap<String, usize>,
    rows: Vec<(Uuid, Vec<(usize, String)>)>,
    bytes: usize,
}

impl Chunk {
    fn new(shape: JobShape) -> Self {
        Self {
            shape,
            columns: Vec::new(),
            column_at: HashMap::new(),
            rows: Vec::new(),
            bytes: 0,
        }
    }

    fn push(&mut self, user: Uuid, row: PlannedRow) {
        let mut cells = Vec::with_capacity(row.cells.len());
        for (name, value) in row.cells {
            self.bytes += name.len() + value.len() + 3;
            let at = match self.column_at.get(&name) {
                Some(at) => *at,
                None => {
                    self.columns.push(name.clone());
                    self.column_at.insert(name, self.columns.len() - 1);
                    self.columns.len() - 1
                }
            };
            cells.push((at, value));
        }
        self.rows.push((user, cells));
    }

    /// The CSV and each row's user and key.
    fn into_csv(self) -> (JobShape, String, Vec<BulkRow>) {
        let mut csv = String::with_capacity(self.bytes + 256);
        push_record(&mut csv, self.columns.iter().map(String::as_str));
        let key_columns: Vec<usize> = match self.shape.key_column() {
            Some(name) => self.column_at.get(name).copied().into_iter().collect(),
            None => {
                let mut all: Vec<usize> = (0..self.columns.len()).collect();
                all.sort_by(|a, b| self.columns[*a].cmp(&self.columns[*b]));
                all
            }
        };
        let mut rows = Vec::with_capacity(self.rows.len());
        let mut line: Vec<&str> = Vec::new();
        for (user, cells) in &self.rows {
            line.clear();
            line.resize(self.columns.len(), "");
            for (at, value) in cells {
                line[*at] = value;
            }
            push_record(&mut csv, line.iter().copied());
            let key = row_key(key_columns.iter().map(|at| line[*at]));
            rows.push(BulkRow {
                user_id: *user,
                key,
            });
        }
        (self.shape, csv, rows)
    }
}

impl Backfill<'_> {
    /// Runs the backfill, or resumes the template's unfinished jobs when there are any.
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
        let unfinished: Vec<BulkJob> = self
            .store
            .unfinished_bulk_jobs(None)
            .await?
            .into_iter()
            .filter(|job| job.template == self.template)
            .collect();
        let result = if unfinished.is_empty() {
            let run = Uuid::now_v7();
            let loader = Some((&client, run, connection.as_str()));
            self.render_audience(loader, &mut report, Users::Audience(None))
                .await
        } else {
            self.resume(&client, unfinished, &connection, &mut report)
                .await
        };
        report.api_calls = client.calls();
        result.map(|()| report)
    }

    async fn resume(
        &self,
        client: &BulkClient,
        jobs: Vec<BulkJob>,
        connection: &str,
        report: &mut BackfillReport,
    ) -> Result<(), BackfillError> {
        let mut again: Vec<Uuid> = Vec::new();
        let run = jobs[0].run_id;
        let last_user = jobs
            .iter()
            .flat_map(|job| job.rows.iter().map(|row| row.user_id))
            .max();
        for mut job in jobs {
            report.resumed += 1;
            let sf_job = job.sf_job_id.clone().unwrap_or_default();
            let info = client.info(&job.api_base, &sf_job).await;
            let open = match &info {
                Ok(info) => info.state == "Open",
                Err(error) if error.status == Some(404) => {
                    job.state = BulkJobState::Open;
                    false
                }
                Err(error) => return Err(error.clone().into()),
            };
            let lost = matches!(&info, Err(error) if error.status == Some(404));
            match job.state {
                BulkJobState::Open if open || lost => {
                    if open {
                        client.set_state(&job.api_base, &sf_job, "Aborted").await?;
                    }
                    again.extend(job.rows.iter().map(|row| row.user_id));
                    job.state = BulkJobState::Abandoned;
                    self.save(&job).await?;
                    continue;
                }
                BulkJobState::Uploaded if open => {
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
        let loader = Some((client, run, connection));
        if !again.is_empty() {
            self.render_audience(loader, report, Users::Listed(again))
                .await?;
        }
        // Jobs are loaded one after another in profile id order: the rest of the audience
        // comes after the last user stored.
        self.render_audience(loader, report, Users::Audience(last_user))
            .await
    }

    /// Renders the audience (or `users`, when given) and loads them job by job; with no
    /// client, only renders (a dry run).
    async fn render_audience(
        &self,
        client: Option<(&BulkClient, Uuid, &str)>,
        report: &mut BackfillReport,
        users: Users,
    ) -> Result<(), BackfillError> {
        let compiled = self
            .renderer
            .template(self.template)
            .ok_or_else(|| BackfillError::UnknownTemplate(self.template.to_owned()))?
            .clone();
        let mut chunk: Option<Chunk> = None;
        let (mut after, mut listed) = match users {
            Users::Audience(after) => (after, None),
            Users::Listed(users) => (None, Some(users.into_iter())),
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
                    let page = members_after(self.store, &self.audience, after, 500, now).await?;
                    after = page.next;
                    page.members
                }
            };
            let last_page = match listed.as_ref() {
                Some(users) => users.len() == 0,
                None => after.is_none(),
            };
            let mut skipped = Vec::new();
            for profile in &profiles {
                let inputs = RenderInputs {
                    user: profile.to_attributes_object(),
                    event_properties: None,
                    api_trigger_properties: None,
                    canvas_entry_properties: None,
                    source: &MessageSource::Manual,
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
                        if full && let Some((client, run, connection)) = client {
                            let full = chunk.take().map(Chunk::into_csv);
                            if let Some(full) = full {
                                self.load(client, run, connection, full, report).await?;
                            }
                        }
                    }
                    Err(why) => {
                        report.skipped += 1;
                        skipped.push(self.skipped_entry(profile, why));
                    }
                }
            }
            self.progress.rendered(profiles.len() as u64);
            if !skipped.is_empty() {
                let mut tx = self.store.begin().await?;
                tx.record_activity(&skipped).await?;
                tx.commit().await?;
            }
            if last_page {
                break;
            }
        }
        if let (Some((client, run, connection)), Some(last)) = (client, chunk) {
            self.load(client, run, connection, last.into_csv(), report)
                .await?;
        }
        Ok(())
    }

    fn skipped_entry(&self, profile: &Profile, why: String) -> ActivityEntry {
        ActivityEntry {
            id: Uuid::now_v7(),
            time: Utc::now(),
            activity_type: ActivityType::AbortedMessage,
            source: MessageSource::Manual,
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
            trigger_properties: None,
            tracking_send_id: None,
        }
    }

    /// Creates, stores, uploads once and closes one job, then finishes it.
    async fn load(
        &self,
        client: &BulkClient,
        run: Uuid,
        connection: &str,
        (shape, csv, rows): (JobShape, String, Vec<BulkRow>),
        report: &mut BackfillReport,
    ) -> Result<(), BackfillError> {
        let created = client.create(&shape).await?;
        report.jobs += 1;
        let now = Utc::now();
        let mut job = BulkJob {
            id: Uuid::now_v7(),
            run_id: run,
            template: self.template.to_owned(),
            connection: connection.to_owned(),
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
        self.save(&job).await?;
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
        self.finish(client, job, report).await
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
            if job.sf_state.as_deref() != Some(info.state.as_str()) {
                job.sf_state = Some(info.state.clone());
                job.processed = info.processed;
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
