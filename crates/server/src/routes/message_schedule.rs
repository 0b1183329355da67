//! `POST /messages/schedule/{create,update,delete}`: a `/messages/send` body sent at a
//! `schedule`'s time. The engine's `journeys::schedules` stores the schedule and its job;
//! a due one runs through `/messages/send`'s own path.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use chrono::Utc;
use leadwire_core::permission::Permission;
use leadwire_engine::journeys::Journeys;
use leadwire_engine::journeys::schedules;
use serde_json::{Map, Value, json};

use super::messages::api_error;
use super::{authorize, json_object};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::state::AppState;

/// The authorized body and the journeys that run schedules.
async fn checked(
    state: &AppState,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
    permission: Permission,
) -> Result<(Map<String, Value>, std::sync::Arc<Journeys>), ApiError> {
    authorize(state, caller, permission)?;
    let object = json_object(state, body).await?;
    let journeys = state.journeys.clone().ok_or_else(|| {
        ApiError::bad_request(ErrorItem::new(
            "a scheduled message is sent by the journey workers, which run when the config has campaigns or canvases; use POST /messages/send to send now",
        ))
    })?;
    Ok((object, journeys))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (object, journeys) =
        checked(&state, caller, body, Permission::MessagesScheduleCreate).await?;
    let created = schedules::create_message(&journeys, &object, Utc::now())
        .await
        .map_err(api_error)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "dispatch_id": created.dispatch_id,
            "schedule_id": created.schedule_id,
            "message": "success",
        })),
    ))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let (object, journeys) =
        checked(&state, caller, body, Permission::MessagesScheduleUpdate).await?;
    schedules::update_message(&journeys, &object, Utc::now())
        .await
        .map_err(api_error)?;
    Ok(Json(json!({"message": "success"})))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let (object, journeys) =
        checked(&state, caller, body, Permission::MessagesScheduleDelete).await?;
    schedules::delete_message(&journeys, &object)
        .await
        .map_err(api_error)?;
    Ok(Json(json!({"message": "success"})))
}
