//! The message activity log over HTTP: `GET /activity` (filters `type`, `campaign`,
//! `canvas`, `step`, `user`, `status`, `since`, `send_id`, read by `activity_filter`;
//! `limit` and `cursor` for pages), `POST /activity/{id}/replay`, both behind
//! `activity.read`; and `GET /metrics`, the Prometheus text exposition (no user data and
//! no secrets, so no key).

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use leadwire_engine::delivery::replay::{ReplayError, replay};
use leadwire_store::ActivityQuery;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::authorize;
use crate::activity_filter::{ActivityFilter, FilterError, cursor};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::state::AppState;
use leadwire_core::permission::Permission;

/// The query string of `GET /activity`: the filters, and `limit` and `cursor` for pages.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityParams {
    #[serde(rename = "type")]
    kind: Option<String>,
    campaign: Option<String>,
    canvas: Option<String>,
    step: Option<String>,
    user: Option<String>,
    status: Option<String>,
    since: Option<String>,
    send_id: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

fn bad(field: &str, message: String) -> ApiError {
    ApiError::bad_request(ErrorItem::new(message).field(field))
}

impl ActivityParams {
    fn into_query(self) -> Result<ActivityQuery, ApiError> {
        let filter = ActivityFilter {
            kind: self.kind,
            campaign: self.campaign,
            canvas: self.canvas,
            step: self.step,
            user: self.user,
            status: self.status,
            since: self.since,
            send_id: self.send_id,
        };
        let invalid = |error: FilterError| bad(error.field, error.message);
        let before = self
            .cursor
            .as_deref()
            .map(|text| cursor("cursor", text))
            .transpose()
            .map_err(invalid)?;
        Ok(ActivityQuery {
            before,
            limit: self.limit.unwrap_or(100),
            ..filter.query().map_err(invalid)?
        })
    }
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<ActivityParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    authorize(&state, caller, Permission::ActivityRead)?;
    let Query(params) = params.map_err(|rejection| {
        ApiError::bad_request(ErrorItem::new(format!(
            "the query string is invalid: {}; filters are type, campaign, canvas, step, user, status, since, send_id, limit and cursor",
            rejection.body_text()
        )))
    })?;
    let query = params.into_query()?;
    let page = state.store.activity(&query).await?;
    let next = page.next.map(|cursor| cursor.to_string());
    Ok(Json(json!({"entries": page.entries, "next": next, "message": "success"})).into_response())
}

pub async fn replay_entry(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    authorize(&state, caller, Permission::ActivityRead)?;
    let Path(id) = id.map_err(|rejection| {
        ApiError::path(
            &rejection,
            "id",
            "the UUID of an activity entry, as listed by GET /activity",
        )
    })?;
    let id: Uuid = id
        .parse()
        .map_err(|_| bad("id", format!(
                "`{id}` is not an activity entry id (a UUID); send the id of an entry as listed by GET /activity"
            )))?;
    match replay(state.store.as_ref(), id, Utc::now()).await {
        Ok(replayed) => Ok((
            StatusCode::ACCEPTED,
            Json(json!({"send_id": replayed.send_id, "job_id": replayed.job_id, "message": "success"})),
        )
            .into_response()),
        Err(ReplayError::Store(error)) => Err(ApiError::Store(error)),
        Err(error @ ReplayError::NotFound(_)) => Ok(problem(StatusCode::NOT_FOUND, "Not Found", &error)),
        Err(error @ (ReplayError::Delivered(_) | ReplayError::DeliveredLater { .. })) => {
            Ok(problem(StatusCode::CONFLICT, "Conflict", &error))
        }
    }
}

fn problem(status: StatusCode, message: &str, error: &ReplayError) -> Response {
    let body = json!({"message": message, "errors": [{"type": error.to_string()}]});
    (status, Json(body)).into_response()
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let Some(metrics) = &state.metrics else {
        return ApiError::NotFound.into_response();
    };
    if let Err(error) = metrics.refresh_bulk_jobs(state.store.as_ref()).await {
        tracing::warn!(%error, "GET /metrics: the Bulk API 2.0 jobs could not be read from the store; their gauges show the last reading");
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.encode(),
    )
        .into_response()
}
