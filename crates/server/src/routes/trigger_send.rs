//! `POST /campaigns/trigger/send` and `POST /canvas/trigger/send`: API-triggered campaign
//! sends and canvas entries, carried out by the engine's journeys (recipients' `attributes`
//! first, then `trigger_properties` → `api_trigger_properties`, or `canvas_entry_properties`
//! and `context` → both in Liquid; merging and recipient deduplication are described in
//! `leadwire_engine::journeys::api`). Both answer `201 {"dispatch_id": "…", "message": "success"}`,
//! plus `send_id` for a campaign broadcast (the send id it is tracked under). A send to an
//! audience also counts against the key's budget for those (`rate_limit::audience_sends`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use leadwire_engine::journeys::api::{
    ApiTrigger, ApiTriggerError, Dispatch, trigger_campaign, trigger_canvas,
};
use serde_json::{Value, json};

use super::{authorize, json_object};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::rate_limit::AudienceSend;
use crate::rate_limit::audience_sends::stamped;
use crate::state::AppState;
use leadwire_core::permission::Permission;

pub async fn campaigns_trigger_send(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    authorize(&state, caller, Permission::CampaignsTriggerSend)?;
    let object = json_object(&state, body).await?;
    let budget =
        state
            .rate_limits
            .audience_sends
            .take(caller, AudienceSend::CampaignTrigger, &object)?;
    let request = ApiTrigger::parse(&object, "campaign_id", "trigger_properties")
        .map_err(|error| api_error(error, "Invalid Campaign ID"))?;
    let Some(journeys) = &state.journeys else {
        return Err(no_journeys("campaign_id", "Invalid Campaign ID"));
    };
    let dispatch = trigger_campaign(journeys, &request, Utc::now())
        .await
        .map_err(|error| api_error(error, "Invalid Campaign ID"))?;
    Ok(stamped(success(&dispatch).into_response(), budget))
}

pub async fn canvas_trigger_send(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    authorize(&state, caller, Permission::CanvasTriggerSend)?;
    let object = json_object(&state, body).await?;
    let budget =
        state
            .rate_limits
            .audience_sends
            .take(caller, AudienceSend::CanvasTrigger, &object)?;
    let request = ApiTrigger::parse(&object, "canvas_id", "context")
        .map_err(|error| api_error(error, "Invalid Canvas ID"))?;
    let Some(journeys) = &state.journeys else {
        return Err(no_journeys("canvas_id", "Invalid Canvas ID"));
    };
    let dispatch = trigger_canvas(journeys, &request, Utc::now())
        .await
        .map_err(|error| api_error(error, "Invalid Canvas ID"))?;
    Ok(stamped(success(&dispatch).into_response(), budget))
}

fn success(dispatch: &Dispatch) -> (StatusCode, Json<Value>) {
    tracing::info!(
        dispatch_id = %dispatch.dispatch_id,
        accepted = dispatch.accepted,
        skipped = dispatch.skipped,
        "API trigger dispatched"
    );
    let mut answer = json!({"dispatch_id": dispatch.dispatch_id, "message": "success"});
    if let Some(send_id) = &dispatch.send_id {
        answer["send_id"] = Value::String(send_id.clone());
    }
    (StatusCode::CREATED, Json(answer))
}

pub(super) fn api_error(error: ApiTriggerError, invalid_id: &'static str) -> ApiError {
    match error {
        ApiTriggerError::BadRequest(message) => ApiError::bad_request(ErrorItem::new(message)),
        ApiTriggerError::InvalidId(message) => ApiError::Fatal {
            message: invalid_id,
            errors: vec![ErrorItem::new(message)],
        },
        ApiTriggerError::Store(error) => ApiError::Store(error),
    }
}

pub(super) fn no_journeys(field: &str, invalid_id: &'static str) -> ApiError {
    ApiError::Fatal {
        message: invalid_id,
        errors: vec![
            ErrorItem::new("no campaigns or canvases are running on this server; start it with `leadwire serve --config FILE`")
                .field(field),
        ],
    }
}
