//! Request bodies as JSON objects. Large bodies are parsed off the async runtime, one at a
//! time, so that parsing megabytes never holds a thread that ordinary requests wait on.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use serde_json::{Map, Value};
use tokio::runtime::{Handle, RuntimeFlavor};
use tower_http::timeout::TimeoutError;

use crate::error::{ApiError, ErrorItem};
use crate::state::AppState;

/// Bodies larger than this are parsed with the runtime's leave (`block_in_place`).
const LARGE_BODY_BYTES: usize = 64 * 1024;

/// The request body as a JSON object, or a 400 saying what is wrong with it.
pub(crate) async fn json_object(
    state: &AppState,
    body: Result<Bytes, BytesRejection>,
) -> Result<Map<String, Value>, ApiError> {
    let body = body.map_err(|rejection| {
        if paused_too_long(&rejection) {
            ApiError::BodyReadTimeout {
                seconds: state.body_read_timeout.as_secs(),
            }
        } else if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::bad_request(ErrorItem::new(format!(
                "the request body is larger than {} bytes; send fewer objects per request",
                state.max_body_bytes
            )))
        } else {
            ApiError::bad_request(ErrorItem::new(format!(
                "the request body could not be read: {rejection}"
            )))
        }
    })?;
    match parse(state, body).await {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(ApiError::bad_request(ErrorItem::new(
            "the request body must be a JSON object",
        ))),
        Err(error) => Err(ApiError::bad_request(ErrorItem::new(format!(
            "the request body is not valid JSON: {error}"
        )))),
    }
}

/// Whether reading the body failed because no part of it arrived within
/// `server.body_read_timeout_seconds` (tower-http's `RequestBodyTimeoutLayer` in `app`).
fn paused_too_long(rejection: &BytesRejection) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    while let Some(error) = cause {
        if error.is::<TimeoutError>() {
            return true;
        }
        cause = error.source();
    }
    false
}

/// Parses `body`; a large one waits for the one permit for large bodies and is parsed
/// while the runtime moves this thread's other tasks elsewhere.
async fn parse(state: &AppState, body: Bytes) -> serde_json::Result<Value> {
    let on_many_threads = Handle::try_current()
        .is_ok_and(|runtime| runtime.runtime_flavor() == RuntimeFlavor::MultiThread);
    if body.len() <= LARGE_BODY_BYTES || !on_many_threads {
        return serde_json::from_slice(&body);
    }
    let _permit = state.large_bodies.acquire().await;
    tokio::task::block_in_place(|| serde_json::from_slice(&body))
}
