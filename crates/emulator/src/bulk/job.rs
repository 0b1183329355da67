//! An ingest job: its spec (checked from the create request with Salesforce's errors), its
//! state machine, and the JobInfo bodies Salesforce answers with.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, SubsecRound, Utc};
use http::StatusCode;
use serde_json::{Map, Value, json};

use super::results::Finished;
use crate::config::USER_ID;
use crate::record::format_datetime;
use leadwire_salesforce::bulk_csv::LineEnding;
use leadwire_salesforce::errors::{ApiError, ApiErrorItem};
use leadwire_salesforce::fields::LeadCatalog;
use leadwire_salesforce::ids::RecordId;

/// What a job does with each row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Insert,
    Update,
    Upsert,
    Delete,
}

impl Operation {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "insert" => Some(Self::Insert),
            "update" => Some(Self::Update),
            "upsert" => Some(Self::Upsert),
            "delete" => Some(Self::Delete),
            _ => None,
        }
    }

    /// The name in job specs and JobInfo.
    pub fn name(self) -> &'static str {
        match self {
            Self::Insert => "insert",
            Self::Update => "update",
            Self::Upsert => "upsert",
            Self::Delete => "delete",
        }
    }
}

/// The column delimiters Bulk API 2.0 accepts, by name.
const DELIMITERS: [(&str, u8); 6] = [
    ("COMMA", b','),
    ("TAB", b'\t'),
    ("PIPE", b'|'),
    ("SEMICOLON", b';'),
    ("CARET", b'^'),
    ("BACKQUOTE", b'`'),
];

/// A job as created: what it loads and how its CSV is written.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    pub operation: Operation,
    /// The external-id field of an upsert (`Id` included), as named in the request.
    pub external_id_field: Option<String>,
    pub delimiter: u8,
    pub delimiter_name: &'static str,
    pub line_ending: LineEnding,
    pub assignment_rule_id: Option<String>,
    /// The API version of the create request, e.g. `60.0`.
    pub api_version: String,
}

fn invalid_job(message: impl Into<String>) -> ApiError {
    ApiError::one(
        StatusCode::BAD_REQUEST,
        ApiErrorItem::new("INVALIDJOB", message),
    )
}

fn text_property<'a>(
    body: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(invalid_job(format!("The property {name} must be a string"))),
    }
}

impl JobSpec {
    /// Checks a create-job body for the Lead object.
    pub fn parse(body: &Value, catalog: &LeadCatalog, api_version: &str) -> Result<Self, ApiError> {
        let Some(body) = body.as_object() else {
            return Err(ApiError::json_parser(
                "The job specification must be a JSON object",
            ));
        };
        let object = text_property(body, "object")?.ok_or_else(|| {
            invalid_job("The property object is required, e.g. \"object\": \"Lead\"")
        })?;
        if !object.eq_ignore_ascii_case("Lead") {
            return Err(ApiError::one(
                StatusCode::BAD_REQUEST,
                ApiErrorItem::new(
                    "INVALIDENTITY",
                    format!("Entity '{object}' is not supported by the Bulk API."),
                ),
            ));
        }
        let operation_name = text_property(body, "operation")?.ok_or_else(|| {
            invalid_job("The property operation is required: insert, update, upsert or delete")
        })?;
        let operation = match Operation::parse(operation_name) {
            Some(operation) => operation,
            None if operation_name == "hardDelete" => {
                return Err(invalid_job(
                    "hardDelete needs the Bulk API Hard Delete permission, which this user does not have; use delete",
                ));
            }
            None => {
                return Err(invalid_job(format!(
                    "Invalid operation: {operation_name}. Use insert, update, upsert or delete (spelled exactly so)"
                )));
            }
        };
        let external_id_field = external_id_field(body, operation, catalog)?;
        if let Some(content_type) = text_property(body, "contentType")?
            && content_type != "CSV"
        {
            return Err(invalid_job(format!(
                "Invalid contentType: {content_type}. The only content type is CSV"
            )));
        }
        let delimiter_name = text_property(body, "columnDelimiter")?.unwrap_or("COMMA");
        let Some((delimiter_name, delimiter)) = DELIMITERS
            .iter()
            .find(|(name, _)| *name == delimiter_name)
            .copied()
        else {
            return Err(invalid_job(format!(
                "Invalid columnDelimiter: {delimiter_name}. Use COMMA, TAB, PIPE, SEMICOLON, CARET or BACKQUOTE"
            )));
        };
        let line_ending = match text_property(body, "lineEnding")?.unwrap_or("LF") {
            "LF" => LineEnding::Lf,
            "CRLF" => LineEnding::Crlf,
            other => {
                return Err(invalid_job(format!(
                    "Invalid lineEnding: {other}. Use LF or CRLF"
                )));
            }
        };
        Ok(Self {
            operation,
            external_id_field,
            delimiter,
            delimiter_name,
            line_ending,
            assignment_rule_id: text_property(body, "assignmentRuleId")?.map(str::to_owned),
            api_version: api_version.to_owned(),
        })
    }
}

fn external_id_field(
    body: &Map<String, Value>,
    operation: Operation,
    catalog: &LeadCatalog,
) -> Result<Option<String>, ApiError> {
    let named = text_property(body, "externalIdFieldName")?;
    if operation != Operation::Upsert {
        return Ok(named.map(str::to_owned));
    }
    let Some(name) = named else {
        return Err(invalid_job(
            "The property externalIdFieldName is required for an upsert job, e.g. \"externalIdFieldName\": \"Id\"",
        ));
    };
    let usable =
        name.eq_ignore_ascii_case("Id") || catalog.get(name).is_some_and(|field| field.external_id);
    if !usable {
        return Err(invalid_job(format!(
            "Field name provided, {name} does not match an External ID, Salesforce Id, or indexed field for Lead"
        )));
    }
    Ok(Some(name.to_owned()))
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Open,
    UploadComplete,
    InProgress,
    JobComplete,
    Failed,
    Aborted,
}

impl JobState {
    pub fn name(self) -> &'static str {
        match self {
            Self::Open => "Open",
            Self::UploadComplete => "UploadComplete",
            Self::InProgress => "InProgress",
            Self::JobComplete => "JobComplete",
            Self::Failed => "Failed",
            Self::Aborted => "Aborted",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Self::JobComplete | Self::Failed | Self::Aborted)
    }
}

/// One ingest job and everything known about it.
#[derive(Debug)]
pub struct Job {
    pub id: RecordId,
    /// The object as the create request spelled it.
    pub object: String,
    pub spec: JobSpec,
    pub created: DateTime<Utc>,
    pub modstamp: DateTime<Utc>,
    pub state: JobState,
    /// The uploaded CSV (the first upload; later ones are only counted).
    pub data: Option<Arc<[u8]>>,
    pub uploads: u32,
    pub processed: u64,
    pub failed: u64,
    pub error_message: Option<String>,
    /// Whether a poll has seen the job `InProgress` (a finished job shows that once).
    pub progress_seen: bool,
    pub started: Option<Instant>,
    pub processing_ms: u64,
    /// The row outcomes, once processing has ended (or the job was aborted).
    pub finished: Option<Arc<Finished>>,
}

/// Seconds precision, as Salesforce stamps jobs.
pub fn job_time(time: DateTime<Utc>) -> String {
    format_datetime(&time.trunc_subsecs(0))
}

impl Job {
    pub fn new(id: RecordId, object: String, spec: JobSpec) -> Self {
        let now = Utc::now();
        Self {
            id,
            object,
            spec,
            created: now,
            modstamp: now,
            state: JobState::Open,
            data: None,
            uploads: 0,
            processed: 0,
            failed: 0,
            error_message: None,
            progress_seen: false,
            started: None,
            processing_ms: 0,
            finished: None,
        }
    }

    /// Moves to `state` and stamps the change.
    pub fn set_state(&mut self, state: JobState) {
        self.state = state;
        self.modstamp = Utc::now();
    }

    /// The state a poll reports: a job that finished before any poll saw it running shows
    /// `InProgress` once, so client polling loops are exercised.
    pub fn observe_state(&mut self) -> JobState {
        match self.state {
            JobState::InProgress => {
                self.progress_seen = true;
                JobState::InProgress
            }
            JobState::JobComplete | JobState::Failed if !self.progress_seen => {
                self.progress_seen = true;
                JobState::InProgress
            }
            state => state,
        }
    }

    fn api_version_number(&self) -> Value {
        self.spec
            .api_version
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number)
    }

    /// The fields every JobInfo starts with.
    fn head(&self, state: JobState) -> Map<String, Value> {
        let mut info = Map::new();
        info.insert("id".into(), json!(self.id.to_string()));
        info.insert("operation".into(), json!(self.spec.operation.name()));
        info.insert("object".into(), json!(self.object));
        info.insert("createdById".into(), json!(USER_ID));
        info.insert("createdDate".into(), json!(job_time(self.created)));
        info.insert("systemModstamp".into(), json!(job_time(self.modstamp)));
        info.insert("state".into(), json!(state.name()));
        if let Some(field) = &self.spec.external_id_field {
            info.insert("externalIdFieldName".into(), json!(field));
        }
        if let Some(rule) = &self.spec.assignment_rule_id {
            info.insert("assignmentRuleId".into(), json!(rule));
        }
        info.insert("concurrencyMode".into(), json!("Parallel"));
        info.insert("contentType".into(), json!("CSV"));
        info.insert("apiVersion".into(), self.api_version_number());
        info
    }

    fn content_url(&self) -> String {
        format!(
            "services/data/v{}/jobs/ingest/{}/batches",
            self.spec.api_version, self.id
        )
    }

    /// The body of a create answer.
    pub fn created_info(&self) -> Value {
        let mut info = self.head(self.state);
        info.insert("contentUrl".into(), json!(self.content_url()));
        info.insert("lineEnding".into(), json!(self.spec.line_ending.name()));
        info.insert("columnDelimiter".into(), json!(self.spec.delimiter_name));
        Value::Object(info)
    }

    /// The short body of a state change (close or abort).
    pub fn short_info(&self) -> Value {
        Value::Object(self.head(self.state))
    }

    /// The full JobInfo of `GET …/jobs/ingest/{id}` (and of the job list), as of `state`.
    pub fn full_info(&self, state: JobState) -> Value {
        let mut info = self.head(state);
        info.insert("jobType".into(), json!("V2Ingest"));
        if state == JobState::Open {
            info.insert("contentUrl".into(), json!(self.content_url()));
        }
        info.insert("lineEnding".into(), json!(self.spec.line_ending.name()));
        info.insert("columnDelimiter".into(), json!(self.spec.delimiter_name));
        if self.uploads > 0 || state != JobState::Open {
            info.insert("numberRecordsProcessed".into(), json!(self.processed));
            info.insert("numberRecordsFailed".into(), json!(self.failed));
        }
        info.insert("retries".into(), json!(0));
        info.insert("totalProcessingTime".into(), json!(self.processing_ms));
        info.insert("apiActiveProcessingTime".into(), json!(self.processing_ms));
        info.insert("apexProcessingTime".into(), json!(0));
        if state == JobState::Failed
            && let Some(message) = &self.error_message
        {
            info.insert("errorMessage".into(), json!(message));
        }
        Value::Object(info)
    }
}
