//! The Bulk API 2.0 ingest calls, as Salesforce documents them: create a job (`POST
//! /jobs/ingest`), upload its CSV once (`PUT …/batches`, 201), close it (`PATCH` state
//! `UploadComplete`) or abort it, read its JobInfo, and read its result files. Errors are
//! Salesforce's `[{"errorCode", "message"}]`, kept as they came. Reads are retried on a
//! transport error or a 5xx; writes are not (the caller resumes from what it stored).

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::plan::JobShape;

/// One failed call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{call}: {message}")]
pub struct BulkCallError {
    /// e.g. `PUT /jobs/ingest/750…/batches`.
    pub call: String,
    /// The HTTP status; `None` when no answer came.
    pub status: Option<u16>,
    /// Salesforce's `errorCode: message` items, or the transport error.
    pub message: String,
}

/// A job's state and counts, from its JobInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInfo {
    pub id: String,
    pub state: String,
    pub processed: u64,
    pub failed: u64,
    pub error_message: Option<String>,
}

impl JobInfo {
    /// `JobComplete`, `Failed` or `Aborted`: the results are final.
    pub fn is_terminal(&self) -> bool {
        matches!(self.state.as_str(), "JobComplete" | "Failed" | "Aborted")
    }

    fn of(body: &Value) -> Self {
        let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
        let number = |name: &str| body.get(name).and_then(Value::as_u64).unwrap_or(0);
        Self {
            id: text("id").unwrap_or_default(),
            state: text("state").unwrap_or_default(),
            processed: number("numberRecordsProcessed"),
            failed: number("numberRecordsFailed"),
            error_message: text("errorMessage"),
        }
    }
}

/// Which result file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultFile {
    Successful,
    Failed,
    Unprocessed,
}

impl ResultFile {
    fn segment(self) -> &'static str {
        match self {
            Self::Successful => "successfulResults/",
            Self::Failed => "failedResults/",
            Self::Unprocessed => "unprocessedrecords/",
        }
    }
}

/// Calls made with one access token.
pub struct BulkClient {
    http: reqwest::Client,
    token: String,
    calls: std::sync::atomic::AtomicU64,
}

/// Attempts of a read before its error is returned.
const READ_ATTEMPTS: u32 = 4;

impl BulkClient {
    pub fn new(http: reqwest::Client, token: String) -> Self {
        Self {
            http,
            token,
            calls: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// HTTP calls made so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// `POST /jobs/ingest`: the new job's id.
    pub async fn create(&self, shape: &JobShape) -> Result<JobInfo, BulkCallError> {
        let mut spec = json!({
            "object": shape.object,
            "operation": shape.operation.as_str(),
            "contentType": "CSV",
            "lineEnding": "LF",
            "columnDelimiter": "COMMA",
        });
        if let Some(field) = &shape.external_id_field {
            spec["externalIdFieldName"] = json!(field);
        }
        let url = format!("{}/jobs/ingest", shape.api_base);
        let body = self.json(Method::POST, &url, Some(spec)).await?;
        Ok(JobInfo::of(&body))
    }

    /// `PUT …/batches` with the whole CSV; answered 201.
    pub async fn upload(&self, api_base: &str, id: &str, csv: String) -> Result<(), BulkCallError> {
        let url = format!("{api_base}/jobs/ingest/{id}/batches");
        let request = self
            .http
            .put(&url)
            .bearer_auth(&self.token)
            .header("Content-Type", "text/csv")
            .body(csv);
        self.send(Method::PUT, &url, request).await.map(|_| ())
    }

    /// `PATCH` the job's state to `UploadComplete` or `Aborted`.
    pub async fn set_state(
        &self,
        api_base: &str,
        id: &str,
        state: &str,
    ) -> Result<JobInfo, BulkCallError> {
        let url = format!("{api_base}/jobs/ingest/{id}");
        let body = self
            .json(Method::PATCH, &url, Some(json!({ "state": state })))
            .await?;
        Ok(JobInfo::of(&body))
    }

    /// `GET` the job's JobInfo.
    pub async fn info(&self, api_base: &str, id: &str) -> Result<JobInfo, BulkCallError> {
        let url = format!("{api_base}/jobs/ingest/{id}");
        let text = self.read(&url, "application/json").await?;
        let body: Value = serde_json::from_str(&text).map_err(|error| BulkCallError {
            call: format!("GET {url}"),
            status: Some(200),
            message: format!("the JobInfo is not JSON: {error}"),
        })?;
        Ok(JobInfo::of(&body))
    }

    /// One result file, as CSV text.
    pub async fn results(
        &self,
        api_base: &str,
        id: &str,
        file: ResultFile,
    ) -> Result<String, BulkCallError> {
        let url = format!("{api_base}/jobs/ingest/{id}/{}", file.segment());
        self.read(&url, "text/csv").await
    }

    async fn json(
        &self,
        method: Method,
        url: &str,
        body: Option<Value>,
    ) -> Result<Value, BulkCallError> {
        let mut request = self
            .http
            .request(method.clone(), url)
            .bearer_auth(&self.token)
            .header("Accept", "application/json");
        if let Some(body) = body {
            request = request.json(&body);
        }
        let text = self.send(method.clone(), url, request).await?;
        serde_json::from_str(&text).map_err(|error| BulkCallError {
            call: format!("{method} {url}"),
            status: None,
            message: format!("the answer is not JSON: {error}"),
        })
    }

    async fn read(&self, url: &str, accept: &str) -> Result<String, BulkCallError> {
        let mut wait = Duration::from_millis(200);
        let mut attempt = 1;
        loop {
            let request = self
                .http
                .get(url)
                .bearer_auth(&self.token)
                .header("Accept", accept);
            match self.send(Method::GET, url, request).await {
                Ok(text) => return Ok(text),
                Err(error) if attempt < READ_ATTEMPTS && error.status.is_none_or(|s| s >= 500) => {
                    tracing::warn!(%error, attempt, "a Bulk API read failed; trying again");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<String, BulkCallError> {
        self.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let call = format!("{method} {url}");
        let response = request.send().await.map_err(|error| BulkCallError {
            call: call.clone(),
            status: None,
            message: error.to_string(),
        })?;
        let status = response.status();
        let text = response.text().await.map_err(|error| BulkCallError {
            call: call.clone(),
            status: Some(status.as_u16()),
            message: error.to_string(),
        })?;
        if status.is_success() {
            return Ok(text);
        }
        Err(BulkCallError {
            call,
            status: Some(status.as_u16()),
            message: salesforce_message(status, &text),
        })
    }
}

/// `errorCode: message` of each item of Salesforce's error array, or the body as it is.
fn salesforce_message(status: StatusCode, body: &str) -> String {
    let items: Option<Vec<String>> = serde_json::from_str::<Value>(body).ok().and_then(|value| {
        value.as_array().map(|items| {
            items
                .iter()
                .map(|item| {
                    let field = |name| item.get(name).and_then(Value::as_str).unwrap_or_default();
                    format!("{}: {}", field("errorCode"), field("message"))
                })
                .collect()
        })
    });
    match items {
        Some(items) if !items.is_empty() => {
            format!("HTTP {}: {}", status.as_u16(), items.join("; "))
        }
        _ => format!("HTTP {}: {body}", status.as_u16()),
    }
}
