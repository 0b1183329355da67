//! The segment endpoints, answered from the config's `[[segments]]` and the stored daily
//! sizes: `GET /segments/list` (100 a page, in config order, which stands for creation
//! order), `GET /segments/details` and `GET /segments/data_series`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use leadwire_core::config::segment::Segment;
use leadwire_core::filters::describe;
use leadwire_core::permission::Permission;
use leadwire_store::ConfigKind;
use serde::Deserialize;
use serde_json::{Value, json};

use super::authorize;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::state::AppState;

/// Segments per page of `GET /segments/list`.
const PAGE_SIZE: usize = 100;

/// The most days `GET /segments/data_series` answers.
const MAX_LENGTH: u32 = 100;

fn query<T>(params: Result<Query<T>, QueryRejection>, names: &str) -> Result<T, ApiError> {
    params.map(|Query(params)| params).map_err(|rejection| {
        ApiError::bad_request(ErrorItem::new(format!(
            "the query string is invalid: {}; this endpoint takes {names}",
            rejection.body_text()
        )))
    })
}

#[derive(Debug, Deserialize)]
pub struct ListParams {
    page: Option<usize>,
    sort_direction: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, caller, Permission::SegmentsList)?;
    let params = query(params, "page and sort_direction")?;
    let descending = match params.sort_direction.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                ErrorItem::new(format!(
                    "sort_direction `{other}` is not one of `asc` (oldest first, the default) or `desc`"
                ))
                .field("sort_direction"),
            ));
        }
    };
    let mut ordered: Vec<&Segment> = state.domain.config.segments.iter().collect();
    if descending {
        ordered.reverse();
    }
    let page = params.page.unwrap_or(0);
    let segments: Vec<Value> = ordered
        .into_iter()
        .skip(page.saturating_mul(PAGE_SIZE))
        .take(PAGE_SIZE)
        .map(|segment| {
            json!({
                "id": segment.id,
                "name": segment.name,
                "analytics_tracking_enabled": true,
                "tags": segment.tags,
            })
        })
        .collect();
    Ok(Json(json!({"message": "success", "segments": segments})))
}

#[derive(Debug, Deserialize)]
pub struct DetailsParams {
    segment_id: Option<String>,
}

/// The segment `segment_id` names: a 400 when it is missing or unknown.
fn segment<'s>(state: &'s AppState, segment_id: Option<&str>) -> Result<&'s Segment, ApiError> {
    let Some(id) = segment_id.filter(|id| !id.is_empty()) else {
        return Err(ApiError::bad_request(
            ErrorItem::new("segment_id is required; list the ids with GET /segments/list")
                .field("segment_id"),
        ));
    };
    state
        .domain
        .config
        .segments
        .iter()
        .find(|segment| segment.id == id)
        .ok_or_else(|| ApiError::Fatal {
            message: "Invalid Segment ID",
            errors: vec![
                ErrorItem::new(format!(
                    "no segment has the id `{id}`; list the ids with GET /segments/list"
                ))
                .field("segment_id"),
            ],
        })
}

pub async fn details(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<DetailsParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, caller, Permission::SegmentsDetails)?;
    let params = query(params, "segment_id")?;
    let segment = segment(&state, params.segment_id.as_deref())?;
    let (created_at, updated_at) =
        super::catalog::version(state.store.as_ref(), ConfigKind::Segment, &segment.id).await?;
    Ok(Json(json!({
        "message": "success",
        "created_at": super::catalog::iso(created_at),
        "updated_at": super::catalog::iso(updated_at),
        "name": segment.name,
        "description": describe::filters(&segment.filters),
        "text_description": segment.description.clone().unwrap_or_default(),
        "tags": segment.tags,
        "teams": [],
    })))
}

#[derive(Debug, Deserialize)]
pub struct DataSeriesParams {
    segment_id: Option<String>,
    length: Option<String>,
    ending_at: Option<String>,
}

pub async fn data_series(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<DataSeriesParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, caller, Permission::SegmentsDataSeries)?;
    let params = query(params, "segment_id, length and ending_at")?;
    let segment = segment(&state, params.segment_id.as_deref())?;
    let length = length(params.length.as_deref())?;
    let last = ending_at(params.ending_at.as_deref())?.date_naive();
    let first = last - TimeDelta::days(i64::from(length) - 1);
    let rows = state.store.segment_sizes(&segment.id, first, last).await?;
    let sizes: HashMap<NaiveDate, u64> = rows.into_iter().map(|row| (row.day, row.size)).collect();
    let data: Vec<Value> = first
        .iter_days()
        .take_while(|day| *day <= last)
        .filter_map(|day| {
            let size = sizes.get(&day)?;
            Some(json!({"time": day.format("%Y-%m-%d").to_string(), "size": size}))
        })
        .collect();
    Ok(Json(json!({"message": "success", "data": data})))
}

fn length(text: Option<&str>) -> Result<u32, ApiError> {
    let bad = |message: String| ApiError::bad_request(ErrorItem::new(message).field("length"));
    let Some(text) = text else {
        return Err(bad(format!(
            "length is required: the number of days (1 to {MAX_LENGTH}) ending at ending_at"
        )));
    };
    match text.parse::<u32>() {
        Ok(length) if (1..=MAX_LENGTH).contains(&length) => Ok(length),
        _ => Err(bad(format!(
            "length `{text}` must be a whole number of days from 1 to {MAX_LENGTH}"
        ))),
    }
}

fn ending_at(text: Option<&str>) -> Result<DateTime<Utc>, ApiError> {
    let Some(text) = text else {
        return Ok(Utc::now());
    };
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|day| day.and_time(chrono::NaiveTime::MIN).and_utc())
        })
        .map_err(|_| {
            ApiError::bad_request(
                ErrorItem::new(format!(
                    "ending_at `{text}` is not an ISO 8601 time; send e.g. 2026-12-06T23:59:59Z"
                ))
                .field("ending_at"),
            )
        })
}
