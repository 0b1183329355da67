//! `POST /users/track` (reference §9): attributes, events and purchases, committed together
//! (with other requests' writes when several arrive at once; see `leadwire_store::ingest`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use leadwire_core::track::MAX_OBJECTS_PER_TYPE;
use leadwire_store::ingest::TrackRequest;
use serde_json::{Map, Value};

use super::{authorize, json_object, optional_array};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::state::AppState;
use leadwire_core::permission::Permission;

pub async fn track(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    authorize(&state, caller, Permission::UsersTrack)?;
    let mut object = json_object(&state, body).await?;
    let request = TrackRequest {
        attributes: optional_array(&mut object, "attributes")?,
        events: optional_array(&mut object, "events")?,
        purchases: optional_array(&mut object, "purchases")?,
    };
    let oversized: Vec<ErrorItem> = [
        ("attributes", &request.attributes),
        ("events", &request.events),
        ("purchases", &request.purchases),
    ]
    .into_iter()
    .filter_map(|(name, items)| {
        let count = items.as_ref().map_or(0, Vec::len);
        (count > MAX_OBJECTS_PER_TYPE).then(|| {
            ErrorItem::new(format!(
                "{name} holds {count} objects; at most {MAX_OBJECTS_PER_TYPE} are allowed per request"
            ))
            .at(name, None)
        })
    })
    .collect();
    if !oversized.is_empty() {
        return Err(ApiError::MaxInputLengthExceeded(oversized));
    }

    let outcome = state.ingest.track(request, Utc::now()).await?;
    let errors: Vec<ErrorItem> = outcome.errors.iter().map(ErrorItem::from).collect();
    if outcome.processed() == 0 && !errors.is_empty() {
        return Err(ApiError::BadRequest(errors));
    }
    let mut body = Map::new();
    body.insert("message".into(), Value::from("success"));
    for (key, count) in [
        ("attributes_processed", outcome.attributes_processed),
        ("events_processed", outcome.events_processed),
        ("purchases_processed", outcome.purchases_processed),
    ] {
        if let Some(count) = count {
            body.insert(key.into(), Value::from(count));
        }
    }
    if !errors.is_empty() {
        body.insert(
            "errors".into(),
            serde_json::to_value(errors).unwrap_or_default(),
        );
    }
    Ok((StatusCode::CREATED, Json(Value::Object(body))).into_response())
}
