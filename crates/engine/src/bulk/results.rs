//! A finished job's result files turned into one activity entry per record: rows matched
//! to their users by key (the external id of an upsert, the `Id` of an update, every
//! uploaded column of an insert), never by position, since Salesforce returns them in no
//! particular order. A success is a `success` entry whose response is the REST answer the
//! record stands for (`{"id", "success", "errors", "created"}`), which response capture
//! reads as for a single send; a failure is a `webhook_error` with Salesforce's
//! `sf__Error`. The entries are written in the transaction that marks the job recorded.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};
use leadwire_core::activity::{ActivityEntry, ActivityType, RecordedRequest, RecordedResponse};
use leadwire_core::attributes::AttributeLimits;
use leadwire_core::config::{Config, ResponseCapture};
use leadwire_salesforce::bulk_csv::{CsvError, read};
use leadwire_store::{BulkJob, Store, StoreResult};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::source::BulkSource;
use crate::delivery::capture;
use crate::journeys::receipts::{UnreceivedSend, release};

/// The key a CSV row is matched to its user by: FNV-1a over the key columns' values, each
/// ended by a unit separator, so it is stable across runs and builds.
pub fn row_key<'a>(values: impl IntoIterator<Item = &'a str>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for value in values {
        for byte in value.bytes().chain([0x1f]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// What one record came to.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordOutcome {
    Succeeded {
        id: String,
        created: bool,
    },
    Failed {
        id: Option<String>,
        error: String,
    },
    /// In `unprocessedrecords` (the job failed or was aborted first), or in no file.
    Unprocessed(String),
}

/// A row's outcome and the values its result row echoed.
pub type RowResult = Option<(RecordOutcome, Map<String, Value>)>;

/// Outcomes by row index of the job, from its three result files.
pub fn match_results(
    job: &BulkJob,
    key_column: Option<&str>,
    files: &[(&str, &str)],
) -> Result<Vec<RowResult>, CsvError> {
    let mut waiting: HashMap<u64, VecDeque<usize>> = HashMap::new();
    for (index, row) in job.rows.iter().enumerate() {
        waiting.entry(row.key).or_default().push_back(index);
    }
    let mut outcomes = vec![None; job.rows.len()];
    for (kind, text) in files {
        let records = read(text)?;
        let mut records = records.into_iter();
        let Some(header) = records.next() else {
            continue;
        };
        let uploaded: Vec<usize> = header
            .iter()
            .enumerate()
            .filter(|(_, name)| !name.starts_with("sf__"))
            .map(|(index, _)| index)
            .collect();
        let key_at: Vec<usize> = match key_column {
            Some(column) => header
                .iter()
                .position(|name| name.eq_ignore_ascii_case(column))
                .into_iter()
                .collect(),
            None => {
                let mut by_name = uploaded.clone();
                by_name.sort_by(|a, b| header[*a].cmp(&header[*b]));
                by_name
            }
        };
        let column = |record: &[String], name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .and_then(|at| record.get(at))
                .cloned()
        };
        for record in records {
            let key = row_key(
                key_at
                    .iter()
                    .map(|at| record.get(*at).map_or("", String::as_str)),
            );
            let Some(index) = waiting.get_mut(&key).and_then(VecDeque::pop_front) else {
                tracing::warn!(job = %job.id, "a result row matches no uploaded row; skipped");
                continue;
            };
            let sent: Map<String, Value> = uploaded
                .iter()
                .filter_map(|at| {
                    Some((header[*at].clone(), Value::String(record.get(*at)?.clone())))
                })
                .collect();
            let id = column(&record, "sf__Id").filter(|id| !id.is_empty());
            let outcome = match *kind {
                "successful" => RecordOutcome::Succeeded {
                    id: id.unwrap_or_default(),
                    created: column(&record, "sf__Created").as_deref() == Some("true"),
                },
                "failed" => RecordOutcome::Failed {
                    id,
                    error: column(&record, "sf__Error").unwrap_or_default(),
                },
                _ => RecordOutcome::Unprocessed(
                    "the job stopped before this record was processed".into(),
                ),
            };
            outcomes[index] = Some((outcome, sent));
        }
    }
    Ok(outcomes)
}

/// What the run records besides the entries.
pub struct RecordContext<'a> {
    pub template: &'a str,
    /// The entries' source and tracking send id, and the receipts its failed records release.
    pub source: &'a BulkSource<'a>,
    pub config: &'a Config,
    pub captures: &'a [ResponseCapture],
    pub limits: &'a AttributeLimits,
    pub now: DateTime<Utc>,
    pub job_state: &'a str,
    pub job_error: Option<&'a str>,
}

/// Counts of one recorded job.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recorded {
    pub succeeded: u64,
    pub failed: u64,
    /// False when the job had been recorded already (nothing was written again).
    pub written: bool,
}

/// Entries written per statement.
const ENTRIES_PER_WRITE: usize = 500;

/// Writes one entry per row of `job` and its captures, and marks it recorded, in one
/// transaction; nothing when it was recorded already.
pub async fn record(
    store: &dyn Store,
    job: &BulkJob,
    outcomes: Vec<RowResult>,
    context: &RecordContext<'_>,
) -> StoreResult<Recorded> {
    let sf_job = job.sf_job_id.clone().unwrap_or_default();
    let url = format!("{}/jobs/ingest/{sf_job}/batches", job.api_base);
    let mut recorded = Recorded::default();
    let mut entries = Vec::with_capacity(outcomes.len());
    let mut captures = Vec::new();
    let mut unreceived = Vec::new();
    let source = context.source.message_source();
    let tracking_send_id = context.source.tracking_send_id().map(str::to_owned);
    for (row, outcome) in job.rows.iter().zip(outcomes) {
        let (outcome, sent) = outcome.unwrap_or_else(|| {
            let why = match context.job_error {
                Some(error) => format!(
                    "the job ended {} ({error}) without a result for this record",
                    context.job_state
                ),
                None => format!(
                    "the job ended {} without a result for this record",
                    context.job_state
                ),
            };
            (RecordOutcome::Unprocessed(why), Map::new())
        });
        let (kind, status, message, body) = match &outcome {
            RecordOutcome::Succeeded { id, created } => {
                recorded.succeeded += 1;
                let body = json!({"id": id, "success": true, "errors": [], "created": created});
                let status = if *created { 201 } else { 200 };
                let verb = if *created { "created" } else { "updated" };
                let message = format!("Bulk API 2.0 job {sf_job}: {verb} {id}");
                (ActivityType::Success, status, message, body)
            }
            RecordOutcome::Failed { id, error } => {
                recorded.failed += 1;
                let body = json!({"id": id, "success": false, "sf__Error": error});
                (
                    ActivityType::WebhookError,
                    400,
                    format!("Bulk API 2.0 job {sf_job}: {error}"),
                    body,
                )
            }
            RecordOutcome::Unprocessed(why) => {
                recorded.failed += 1;
                let body = json!({"success": false, "unprocessed": true});
                (
                    ActivityType::WebhookError,
                    400,
                    format!("Bulk API 2.0 job {sf_job}: {why}"),
                    body,
                )
            }
        };
        if kind != ActivityType::Success
            && let Some((campaign, run_id)) = context.source.held_under()
        {
            unreceived.push(UnreceivedSend {
                campaign: campaign.name.clone(),
                user_id: row.user_id,
                send_id: run_id,
                decided_at: context.now,
                aborted: matches!(outcome, RecordOutcome::Unprocessed(_)),
            });
        }
        let body_text = body.to_string();
        if kind == ActivityType::Success
            && let Some(write) = capture::captured(context.captures, row.user_id, &body_text)
        {
            captures.push(write);
        }
        entries.push(ActivityEntry {
            id: Uuid::now_v7(),
            time: context.now,
            activity_type: kind,
            source: source.clone(),
            user_id: row.user_id,
            external_id: None,
            template: context.template.to_owned(),
            message,
            attempt: 1,
            status: Some(status),
            duration_ms: 0,
            request: Some(RecordedRequest {
                method: "PUT".into(),
                url: url.clone(),
                headers: vec![("Content-Type".into(), "text/csv".into())],
                body: Some(Value::Object(sent).to_string()),
            }),
            response: Some(RecordedResponse {
                status,
                headers: Vec::new(),
                body: body_text,
            }),
            send_id: Uuid::now_v7(),
            trigger_properties: (kind != ActivityType::Success)
                .then(|| context.source.trigger_properties())
                .flatten(),
            tracking_send_id: tracking_send_id.clone(),
        });
    }
    let mut tx = store.begin().await?;
    let first = tx
        .mark_bulk_job_recorded(
            job.id,
            context.job_state,
            recorded.succeeded + recorded.failed,
            recorded.failed,
            context.now,
        )
        .await?;
    if !first {
        tx.rollback().await?;
        return Ok(recorded);
    }
    for chunk in entries.chunks(ENTRIES_PER_WRITE) {
        tx.record_activity(chunk).await?;
    }
    for write in &captures {
        if let Some(note) = capture::save(&mut *tx, write, context.limits, context.now).await? {
            tracing::info!(user = %write.user_id, note, "bulk response capture");
        }
    }
    // After the captures: profile rows lock before receipt rows, as in delivery.
    for send in &unreceived {
        release(&mut *tx, context.config, send).await?;
    }
    tx.commit().await?;
    recorded.written = true;
    Ok(recorded)
}

#[cfg(test)]
mod tests {
    use super::row_key;

    #[test]
    fn row_keys_separate_values_and_are_stable() {
        assert_ne!(row_key(["ab", "c"]), row_key(["a", "bc"]));
        assert_eq!(row_key(["x"]), row_key(["x"]));
        assert_eq!(row_key([]), 0xcbf2_9ce4_8422_2325);
    }
}
