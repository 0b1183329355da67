//! `GET /healthz` (the process serves) and `GET /readyz` (the store answers a trivial query):
//! probes for load balancers and orchestrators, without auth and outside the rate limit.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

/// How long `/readyz` waits for the store before answering 503.
const READY_WAIT: Duration = Duration::from_secs(5);

pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    // An indexed count for a user that cannot exist: one cheap round trip to the store.
    let probe = state
        .store
        .count_events_since(Uuid::nil(), "readyz", Utc::now());
    match tokio::time::timeout(READY_WAIT, probe).await {
        Ok(Ok(_)) => Ok(Json(json!({"status": "ok"}))),
        Ok(Err(error)) => Err(ApiError::NotReady {
            reason: error.to_string(),
        }),
        Err(_) => Err(ApiError::NotReady {
            reason: format!("no answer within {} seconds", READY_WAIT.as_secs()),
        }),
    }
}
