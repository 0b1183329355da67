//! The processing task: takes closed jobs in order and runs each in internal batches of
//! 10,000 rows, the way Salesforce chunks a job, each batch taken from the daily allocation
//! and applied off the async threads, so polls see the counts move.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::counters::JobEnd;
use super::job::{Job, JobState, Operation};
use super::jobs::{SharedJob, lock};
use super::results::{Finished, Parsed, RowOutcome};
use super::rows::apply;
use crate::families::ApiFamily;
use crate::state::EmulatorState;
use crate::stats::{Writes, Written};
use leadwire_salesforce::bulk_csv::{fields, split_records};
use leadwire_salesforce::fields::LeadCatalog;

/// Rows per internal batch.
pub const BATCH_ROWS: usize = 10_000;

/// Runs closed jobs until `stop` is cancelled or the queue closes.
pub async fn run(
    state: EmulatorState,
    mut queue: mpsc::UnboundedReceiver<SharedJob>,
    stop: CancellationToken,
) {
    loop {
        let job = tokio::select! {
            () = stop.cancelled() => return,
            next = queue.recv() => match next {
                Some(job) => job,
                None => return,
            },
        };
        if state.inner.bulk.contains(&job) {
            tokio::select! {
                () = stop.cancelled() => return,
                () = run_job(&state, &job) => {}
            }
        }
    }
}

/// Why a job stopped before its last row.
enum Stop {
    Aborted,
    Quota,
}

async fn run_job(state: &EmulatorState, job: &SharedJob) {
    let (data, delimiter, ending) = {
        let mut job = lock(job);
        if job.state != JobState::UploadComplete {
            return;
        }
        job.set_state(JobState::InProgress);
        job.started = Some(Instant::now());
        (job.data.clone(), job.spec.delimiter, job.spec.line_ending)
    };
    let Some(data) = data else {
        fail_unread(
            state,
            job,
            None,
            "InvalidBatch : No data was uploaded for this job",
        );
        return;
    };
    let parsed = match split_records(&data, delimiter, Some(ending)) {
        Ok(records) => records,
        Err(error) => {
            fail_unread(state, job, Some(data), &error.job_message());
            return;
        }
    };
    let mut records = parsed.into_iter();
    let columns: Vec<String> = records
        .next()
        .map(|header| {
            fields(&data[header], delimiter)
                .into_iter()
                .map(|name| name.into_owned())
                .collect()
        })
        .unwrap_or_default();
    let parsed = Arc::new(Parsed {
        data: data.clone(),
        delimiter,
        columns,
        records: records.collect(),
    });
    let problem = header_problem(&state.inner.catalog, &lock(job), &parsed.columns);
    if let Some(problem) = problem {
        fail_unread(state, job, Some(data), &problem);
        return;
    }
    let (outcomes, stopped) = run_batches(state, job, &parsed).await;
    finish(state, job, parsed, outcomes, stopped);
}

/// A header Salesforce refuses: the job fails before any row runs.
fn header_problem(catalog: &LeadCatalog, job: &Job, columns: &[String]) -> Option<String> {
    let mut seen: Vec<String> = Vec::new();
    for column in columns {
        if column.is_empty() || catalog.index_of(column).is_none() {
            return Some(format!("InvalidBatch : Field name not found : {column}"));
        }
        let lower = column.to_ascii_lowercase();
        if seen.contains(&lower) {
            return Some(format!("InvalidBatch : Duplicate field name : {column}"));
        }
        seen.push(lower);
    }
    let external = job.spec.external_id_field.as_deref()?;
    if job.spec.operation == Operation::Upsert
        && !external.eq_ignore_ascii_case("Id")
        && !seen.contains(&external.to_ascii_lowercase())
    {
        return Some(format!(
            "InvalidBatch : The external id field {external} is missing from the header"
        ));
    }
    None
}

async fn run_batches(
    state: &EmulatorState,
    job: &SharedJob,
    parsed: &Arc<Parsed>,
) -> (Vec<RowOutcome>, Option<Stop>) {
    let mut outcomes: Vec<RowOutcome> = Vec::with_capacity(parsed.records.len());
    let spec = lock(job).spec.clone();
    let limit = state.config().daily_bulk_batch_limit;
    let total = parsed.records.len();
    while outcomes.len() < total {
        if lock(job).state == JobState::Aborted || !state.inner.bulk.contains(job) {
            return (outcomes, Some(Stop::Aborted));
        }
        if !state.inner.stats.bulk.take_batch(limit) {
            return (outcomes, Some(Stop::Quota));
        }
        let range = outcomes.len()..(outcomes.len() + BATCH_ROWS).min(total);
        let (worker_state, worker_parsed, worker_spec) =
            (state.clone(), parsed.clone(), spec.clone());
        let batch = tokio::task::spawn_blocking(move || {
            range
                .map(|index| {
                    let values = fields(worker_parsed.record(index), worker_parsed.delimiter);
                    let fail = worker_state.inner.faults.bulk_row_fails();
                    apply(
                        &worker_state,
                        &worker_spec,
                        &worker_parsed.columns,
                        &values,
                        fail,
                    )
                })
                .collect::<Vec<_>>()
        })
        .await;
        let Ok(batch) = batch else {
            tracing::error!("a Bulk batch panicked; the job stops here");
            return (outcomes, Some(Stop::Aborted));
        };
        let failed = batch
            .iter()
            .filter(|outcome| matches!(outcome, RowOutcome::Failed { .. }))
            .count() as u64;
        let processed = batch.len() as u64;
        state.inner.stats.bulk.rows(processed, failed);
        state
            .inner
            .stats
            .add_writes(ApiFamily::BulkIngest, &batch_writes(&batch, spec.operation));
        {
            let mut job = lock(job);
            job.processed += processed;
            job.failed += failed;
            job.modstamp = chrono::Utc::now();
        }
        outcomes.extend(batch);
    }
    (outcomes, None)
}

/// What a batch wrote, for the Bulk ingest family's counters.
fn batch_writes(batch: &[RowOutcome], operation: Operation) -> Writes {
    let writes = Writes::default();
    for outcome in batch {
        match outcome {
            RowOutcome::Succeeded { created: true, .. } => writes.add(Written::Created),
            RowOutcome::Succeeded { .. } if operation == Operation::Delete => {
                writes.add(Written::Deleted);
            }
            RowOutcome::Succeeded { .. } => writes.add(Written::Updated),
            RowOutcome::Failed { .. } => writes.add_record_error(),
            RowOutcome::Unprocessed => {}
        }
    }
    writes
}

fn finish(
    state: &EmulatorState,
    job: &SharedJob,
    parsed: Arc<Parsed>,
    mut outcomes: Vec<RowOutcome>,
    stopped: Option<Stop>,
) {
    outcomes.resize(parsed.records.len(), RowOutcome::Unprocessed);
    let mut job = lock(job);
    let stopped = if job.state == JobState::Aborted {
        Some(Stop::Aborted)
    } else {
        stopped
    };
    let end = match stopped {
        None => {
            job.set_state(JobState::JobComplete);
            JobEnd::Completed
        }
        Some(Stop::Aborted) => {
            job.set_state(JobState::Aborted);
            JobEnd::Aborted
        }
        Some(Stop::Quota) => {
            job.error_message = Some(
                "ExceededQuota : The job exceeded the daily allocation of Bulk API batches; the remaining records were not processed".into(),
            );
            job.set_state(JobState::Failed);
            JobEnd::Failed
        }
    };
    stop_clock(&mut job);
    job.finished = Some(Arc::new(Finished::Rows { parsed, outcomes }));
    state.inner.stats.bulk.job_ended(end);
}

fn fail_unread(state: &EmulatorState, job: &SharedJob, data: Option<Arc<[u8]>>, message: &str) {
    let mut job = lock(job);
    let delimiter = job.spec.delimiter;
    job.error_message = Some(message.to_owned());
    job.set_state(JobState::Failed);
    stop_clock(&mut job);
    job.finished = Some(Arc::new(Finished::unread(data, delimiter)));
    state.inner.stats.bulk.job_ended(JobEnd::Failed);
}

fn stop_clock(job: &mut Job) {
    if let Some(started) = job.started {
        job.processing_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    }
}
