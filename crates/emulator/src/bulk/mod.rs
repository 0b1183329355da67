//! Bulk API 2.0 ingest for Lead under `/services/data/vXX.X/jobs/ingest`: create, upload
//! (one CSV per job), close or abort, job info, the three result CSVs, the job list and
//! delete. Closed jobs run on the processing task that [`crate::spawn`] starts.

mod counters;
mod job;
mod jobs;
mod process;
mod results;
mod rows;

use http::{Method, StatusCode, header::CONTENT_TYPE};
use serde_json::{Value, json};

use crate::body::parse_json;
use crate::dispatch::{Call, query_param};
use crate::reply::{Answer, Outcome};
use crate::state::EmulatorState;
use job::{Job, JobSpec, JobState};
use jobs::{SharedJob, lock};
use leadwire_salesforce::errors::{ApiError, ApiErrorItem};
use results::{Finished, ResultKind, render};

pub use counters::{BulkCounters, BulkStats};
pub use jobs::BulkJobs;
pub use process::run as run_processing;

/// The largest upload: 150 MB once base64-encoded, as Salesforce measures it.
pub const MAX_UPLOAD_BYTES: usize = 150 * 1024 * 1024 / 4 * 3;
/// Jobs per page of the job list.
const LIST_PAGE: usize = 1000;

/// Whether a request path is a job-data upload (read with the upload size limit).
pub fn is_upload(path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    matches!(
        segments.as_slice(),
        ["services", "data", _, "jobs", "ingest", _, "batches"]
    )
}

/// The counter label of a `jobs/…` path (job ids folded), e.g. `/jobs/ingest/{id}/batches`.
pub fn endpoint_shape(rest: &[&str]) -> Option<String> {
    match rest {
        ["jobs", kind] => Some(format!("/jobs/{kind}")),
        ["jobs", kind, _] => Some(format!("/jobs/{kind}/{{id}}")),
        ["jobs", kind, _, resource] => Some(format!("/jobs/{kind}/{{id}}/{resource}")),
        _ => None,
    }
}

fn invalid_state(message: impl Into<String>) -> ApiError {
    ApiError::one(
        StatusCode::BAD_REQUEST,
        ApiErrorItem::new("INVALIDJOBSTATE", message),
    )
}

/// Routes `jobs/ingest/…` (the segments after `jobs/ingest`).
pub fn ingest(call: &Call, rest: &[&str]) -> Outcome {
    match (rest, call.method) {
        ([], &Method::POST) => create(call),
        ([], &Method::GET | &Method::HEAD) => list(call),
        ([], _) => Err(ApiError::method_not_allowed(
            call.method.as_str(),
            "GET,POST",
        )),
        ([id], method) => {
            let job = find(call.state, id)?;
            match *method {
                Method::GET | Method::HEAD => Ok(Answer::ok(info(&job))),
                Method::PATCH => change_state(call, &job),
                Method::DELETE => delete(call.state, &job),
                _ => Err(ApiError::method_not_allowed(
                    call.method.as_str(),
                    "GET,PATCH,DELETE",
                )),
            }
        }
        ([id, batches], method) if batches.eq_ignore_ascii_case("batches") => {
            let job = find(call.state, id)?;
            if *method != Method::PUT {
                return Err(ApiError::method_not_allowed(call.method.as_str(), "PUT"));
            }
            upload(call, &job)
        }
        ([id, resource], method) => {
            let kind =
                ResultKind::from_segment(resource).ok_or_else(ApiError::resource_not_found)?;
            let job = find(call.state, id)?;
            if !matches!(*method, Method::GET | Method::HEAD) {
                return Err(ApiError::method_not_allowed(call.method.as_str(), "GET"));
            }
            results(&job, kind)
        }
        _ => Err(ApiError::resource_not_found()),
    }
}

fn find(state: &EmulatorState, segment: &str) -> Result<SharedJob, ApiError> {
    state
        .inner
        .bulk
        .find(segment)
        .ok_or_else(ApiError::resource_not_found)
}

fn create(call: &Call) -> Outcome {
    let state = call.state;
    let body = parse_json(call.body)?;
    let spec = JobSpec::parse(&body, &state.inner.catalog, call.version)?;
    if state.inner.stats.bulk.batches_used() >= state.config().daily_bulk_batch_limit {
        return Err(ApiError::one(
            StatusCode::BAD_REQUEST,
            ApiErrorItem::new(
                "EXCEEDEDQUOTA",
                "The job or batch you tried to create exceeds the allowed number for the past 24-hour period.",
            ),
        ));
    }
    let object = body
        .get("object")
        .and_then(Value::as_str)
        .unwrap_or("Lead")
        .to_owned();
    let job = state
        .inner
        .bulk
        .add(Job::new(state.inner.bulk.next_id(), object, spec));
    state.inner.stats.bulk.job_created();
    let info = lock(&job).created_info();
    Ok(Answer::ok(info))
}

fn info(job: &SharedJob) -> Value {
    let mut job = lock(job);
    let shown = job.observe_state();
    job.full_info(shown)
}

fn list(call: &Call) -> Outcome {
    let jobs = call.state.inner.bulk.list();
    let wanted = query_param(call.query, "jobType");
    let start: usize = query_param(call.query, "queryLocator")
        .and_then(|locator| locator.parse().ok())
        .unwrap_or(0);
    let matching: Vec<&SharedJob> = jobs
        .iter()
        .filter(|_| wanted.as_deref().is_none_or(|kind| kind == "V2Ingest"))
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(LIST_PAGE)
        .map(|job| {
            let job = lock(job);
            job.full_info(job.state)
        })
        .collect();
    let next = start + page.len();
    let done = next >= matching.len();
    let next_url = (!done).then(|| {
        format!(
            "/services/data/v{}/jobs/ingest?queryLocator={next}",
            call.version
        )
    });
    Ok(Answer::ok(
        json!({"done": done, "records": page, "nextRecordsUrl": next_url}),
    ))
}

fn upload(call: &Call, job: &SharedJob) -> Outcome {
    check_csv_content_type(call)?;
    if call.body.len() > MAX_UPLOAD_BYTES {
        return Err(ApiError::one(
            StatusCode::PAYLOAD_TOO_LARGE,
            ApiErrorItem::new(
                "CLIENTINPUTERROR",
                format!(
                    "The job data is larger than 150 MB once base64-encoded (at most {MAX_UPLOAD_BYTES} bytes of CSV); split it across several jobs"
                ),
            ),
        ));
    }
    let mut job = lock(job);
    if job.state != JobState::Open {
        return Err(invalid_state(format!(
            "Data can be uploaded only while the job is Open; this job is {}",
            job.state.name()
        )));
    }
    job.uploads += 1;
    if job.data.is_none() {
        job.data = Some(call.body.into());
    }
    call.state.inner.stats.bulk.upload();
    Ok(Answer::empty(StatusCode::CREATED))
}

fn check_csv_content_type(call: &Call) -> Result<(), ApiError> {
    let media = call
        .headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    match media.as_deref() {
        None | Some("text/csv") => Ok(()),
        Some(_) => Err(ApiError::one(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiErrorItem::new("UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type"),
        )),
    }
}

/// What a finished word looks like in Salesforce's refusals ("already Completed Job").
fn state_word(state: JobState) -> &'static str {
    match state {
        JobState::JobComplete => "Completed",
        other => other.name(),
    }
}

fn change_state(call: &Call, job: &SharedJob) -> Outcome {
    let body = parse_json(call.body)?;
    let wanted = body
        .get("state")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match wanted {
        "UploadComplete" => close(call.state, job),
        "Aborted" => abort(job),
        other => Err(invalid_state(format!(
            "Invalid state: {other:?}. A job's state can be set to UploadComplete or Aborted"
        ))),
    }
}

fn close(state: &EmulatorState, shared: &SharedJob) -> Outcome {
    let mut job = lock(shared);
    if job.state != JobState::Open {
        return Err(invalid_state(format!(
            "Closing already {} Job not allowed",
            state_word(job.state)
        )));
    }
    if job.uploads > 1 {
        return Err(ApiError::one(
            StatusCode::BAD_REQUEST,
            ApiErrorItem::new(
                "INVALIDJOB",
                format!(
                    "Found multipe contents for job: <{}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.",
                    job.id.short()
                ),
            ),
        ));
    }
    job.set_state(JobState::UploadComplete);
    let info = job.short_info();
    drop(job);
    state.inner.bulk.enqueue(shared.clone());
    Ok(Answer::ok(info))
}

fn abort(shared: &SharedJob) -> Outcome {
    let mut job = lock(shared);
    if job.state.is_terminal() {
        return Err(invalid_state(format!(
            "Aborting already {} Job not allowed",
            state_word(job.state)
        )));
    }
    let before = job.state;
    job.set_state(JobState::Aborted);
    if before != JobState::InProgress {
        // Nothing ran: every uploaded row is unprocessed. An in-progress job stops at
        // its next batch and records what ran.
        job.finished = Some(std::sync::Arc::new(Finished::unread(
            job.data.clone(),
            job.spec.delimiter,
        )));
    }
    Ok(Answer::ok(job.short_info()))
}

fn delete(state: &EmulatorState, shared: &SharedJob) -> Outcome {
    let current = lock(shared).state;
    if matches!(current, JobState::Open | JobState::InProgress) {
        return Err(invalid_state(format!(
            "A job can be deleted once it is UploadComplete, JobComplete, Aborted or Failed; this job is {}",
            current.name()
        )));
    }
    state.inner.bulk.remove(shared);
    Ok(Answer::no_content())
}

fn results(shared: &SharedJob, kind: ResultKind) -> Outcome {
    let (finished, state) = {
        let job = lock(shared);
        (job.finished.clone(), job.state)
    };
    let Some(finished) = finished else {
        return Err(invalid_state(format!(
            "Results are available once the job is JobComplete, Failed or Aborted; this job is {}",
            state.name()
        )));
    };
    Ok(Answer::csv(render(&finished, kind)))
}
