//! `POST /users/export/segment`: starts a background export of a segment's users (a durable
//! job on the exports queue, one running export per segment, a second gets 429) and answers
//! `{"message": "success", "object_prefix": …, "url": …}`. The `url` is
//! `GET /users/export/segment/files/<SEGMENT_ID>/<YYYY-MM-dd>/<object_prefix>.zip` on this
//! API (same key permission), which serves the bundle of all the export's files once the
//! export is done (404 before).

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{TimeDelta, Utc};
use leadwire_core::config::segment::is_id;
use leadwire_core::permission::Permission;
use leadwire_core::queue::{ExportFormat, SegmentExportTask};
use leadwire_engine::journeys::segment_export::{bundle_path, export_day};
use leadwire_engine::user_export::ExportFields;
use leadwire_store::NewTask;
use serde_json::{Map, Value, json};

use super::export::requested_fields;
use super::{authorize, json_object, optional_string, optional_strings};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::state::AppState;

/// The most names `custom_attributes_to_export` may hold.
const MAX_CUSTOM_ATTRIBUTES: usize = 500;

/// A running mark older than this belongs to an export that failed for good.
const STALE_AFTER: TimeDelta = TimeDelta::hours(24);

fn bad(field: &str, message: String) -> ApiError {
    ApiError::bad_request(ErrorItem::new(message).field(field))
}

pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, caller, Permission::UsersExportSegment)?;
    let mut object = json_object(&state, body).await?;
    let segment_id = optional_string(&object, "segment_id")?.ok_or_else(|| {
        bad(
            "segment_id",
            "segment_id is required; list the ids with GET /segments/list".into(),
        )
    })?;
    if !state
        .domain
        .config
        .segments
        .iter()
        .any(|segment| segment.id == segment_id)
    {
        return Err(ApiError::Fatal {
            message: "Invalid Segment ID",
            errors: vec![
                ErrorItem::new(format!(
                    "no segment has the id `{segment_id}`; list the ids with GET /segments/list"
                ))
                .field("segment_id"),
            ],
        });
    }
    let callback = callback(&object)?;
    let format = output_format(&object)?;
    let custom = optional_strings(&mut object, "custom_attributes_to_export")?;
    if custom
        .as_ref()
        .is_some_and(|names| names.len() > MAX_CUSTOM_ATTRIBUTES)
    {
        return Err(bad(
            "custom_attributes_to_export",
            format!("custom_attributes_to_export lists more than {MAX_CUSTOM_ATTRIBUTES} names"),
        ));
    }
    let fields = fields_to_export(&mut object, custom)?;
    let now = Utc::now();
    let object_prefix = format!("{}-{}", uuid::Uuid::new_v4(), now.timestamp());
    let url = format!(
        "{}/users/export/segment/files/{segment_id}/{}/{object_prefix}.zip",
        base_url(&headers),
        export_day(now)
    );
    let task = SegmentExportTask {
        segment_id: segment_id.clone(),
        object_prefix: object_prefix.clone(),
        started_at: now,
        fields: fields
            .fields
            .iter()
            .map(|field| (*field).to_owned())
            .collect(),
        custom_attributes: fields.custom_attributes,
        format,
        callback,
        url: url.clone(),
        after: None,
        part: 0,
    };
    let mut tx = state.store.begin().await?;
    if !tx
        .start_segment_export(&segment_id, &object_prefix, now, now - STALE_AFTER)
        .await?
    {
        tx.rollback().await?;
        return Err(ApiError::ExportRunning { segment_id });
    }
    tx.enqueue(&NewTask::new(task, now)).await?;
    tx.commit().await?;
    Ok(Json(
        json!({"message": "success", "object_prefix": object_prefix, "url": url}),
    ))
}

fn callback(object: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    let Some(text) = optional_string(object, "callback_endpoint")? else {
        return Ok(None);
    };
    match url::Url::parse(&text) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(Some(text)),
        _ => Err(bad(
            "callback_endpoint",
            format!("callback_endpoint `{text}` is not an http or https URL"),
        )),
    }
}

fn output_format(object: &Map<String, Value>) -> Result<ExportFormat, ApiError> {
    match optional_string(object, "output_format")?.as_deref() {
        None | Some("zip") => Ok(ExportFormat::Zip),
        Some("gzip") => Ok(ExportFormat::Gzip),
        Some(other) => Err(bad(
            "output_format",
            format!("output_format `{other}` is not `zip` (the default) or `gzip`"),
        )),
    }
}

/// `http://<Host>` (or the scheme of `X-Forwarded-Proto`), as the client reached the API.
fn base_url(headers: &HeaderMap) -> String {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .filter(|value| !value.is_empty())
    };
    let scheme = match text("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    let host = text(header::HOST.as_str()).unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// `GET /users/export/segment/files/{segment_id}/{day}/{file}`: a finished export's bundle.
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<(String, String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    authorize(&state, caller, Permission::UsersExportSegment)?;
    let Path((segment_id, day, file)) = path.map_err(|rejection| {
        ApiError::path(&rejection, "file", "the url an export answered with")
    })?;
    let prefix = file.strip_suffix(".zip").unwrap_or_default();
    let day_ok = day.len() == 10
        && day
            .bytes()
            .all(|byte| byte.is_ascii_digit() || byte == b'-');
    if !is_id(&segment_id) || !is_id(prefix) || prefix.is_empty() || !day_ok {
        return Err(ApiError::NotFound);
    }
    let path = bundle_path(&state.exports_dir, &segment_id, &day, prefix);
    match tokio::fs::read(&path).await {
        Ok(bytes) => Ok((
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/zip".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{prefix}.zip\""),
                ),
            ],
            Body::from(bytes),
        )
            .into_response()),
        Err(_) => Err(ApiError::ExportNotReady),
    }
}

/// `fields_to_export` for the segment export's worker: every field when absent.
fn fields_to_export(
    object: &mut Map<String, Value>,
    custom_attributes: Option<Vec<String>>,
) -> Result<ExportFields, ApiError> {
    let requested = optional_strings(object, "fields_to_export")?;
    requested_fields(requested.as_deref(), custom_attributes)
}
