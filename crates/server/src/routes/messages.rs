//! `POST /messages/send` with the `webhook` messaging object (leadwire sends webhooks
//! only), to named users, a segment (`segment_id`) or a connected `audience`. The engine's
//! `journeys::messages` checks the body and enqueues the sends. The answer names the
//! `send_id` of a campaign broadcast, the send id it is tracked under. A send to a segment
//! or an audience also counts against the key's budget for those (`rate_limit::audience_sends`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use leadwire_core::config::Config;
use leadwire_core::permission::Permission;
use leadwire_engine::journeys::messages::{MAX_USERS, MessageError, MessageSend, send};
use serde_json::{Value, json};

use super::{authorize, json_object};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::rate_limit::AudienceSend;
use crate::rate_limit::audience_sends::stamped;
use crate::state::AppState;

pub async fn messages_send(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    authorize(&state, caller, Permission::MessagesSend)?;
    let object = json_object(&state, body).await?;
    let budget = state
        .rate_limits
        .audience_sends
        .take(caller, AudienceSend::Messages, &object)?;
    let empty = Config::default();
    let config = state
        .journeys
        .as_ref()
        .map_or(&empty, |journeys| journeys.config());
    let now = Utc::now();
    let request = MessageSend::parse(&object, config, now).map_err(api_error)?;
    if request.broadcast && state.journeys.is_none() {
        return Err(ApiError::bad_request(
            ErrorItem::new(
                "broadcast: a broadcast, segment or audience send is carried out by the journey workers, which run when the config has campaigns or canvases; name the users in external_user_ids instead",
            )
            .field("broadcast"),
        ));
    }
    let sent = send(&*state.store, config, &request, now)
        .await
        .map_err(api_error)?;
    tracing::info!(dispatch_id = %sent.dispatch_id, accepted = sent.accepted, skipped = sent.skipped, "message sent");
    let mut answer = json!({"dispatch_id": sent.dispatch_id, "message": "success"});
    if let Some(send_id) = sent.send_id {
        answer["send_id"] = Value::String(send_id);
    }
    Ok(stamped(
        (StatusCode::CREATED, Json(answer)).into_response(),
        budget,
    ))
}

pub(super) fn api_error(error: MessageError) -> ApiError {
    match error {
        MessageError::Fatal { message, detail } => ApiError::Fatal {
            message,
            errors: vec![ErrorItem::new(detail)],
        },
        MessageError::TooManyUsers(count) => ApiError::TooManyIds {
            message: "The max number of external_ids and aliases per request was exceeded",
            errors: vec![ErrorItem::new(format!(
                "{count} users were named; at most {MAX_USERS} external_user_ids and user_aliases together are allowed per request"
            ))],
        },
        MessageError::BadRequest(message) => ApiError::bad_request(ErrorItem::new(message)),
        MessageError::Store(error) => ApiError::Store(error),
    }
}
