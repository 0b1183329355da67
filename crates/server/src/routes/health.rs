//! `GET /healthz` (the process serves) and `GET /readyz` (the node can do its work: the store
//! answers a trivial query, and every component in the node's [`Readiness`] is up): probes
//! for load balancers and orchestrators, without auth and outside the rate limit.
//!
//! [`Readiness`]: crate::readiness::Readiness

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

/// How long `/readyz` waits for the store before counting it down.
const READY_WAIT: Duration = Duration::from_secs(5);

/// The component name `/readyz` gives the store.
const STORE: &str = "store";

pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// 200 when everything is up; else 503 naming what is not (why goes to the log only).
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let mut down: Vec<String> = Vec::new();
    if let Err(reason) = probe_store(&state).await {
        tracing::warn!(%reason, "not ready: the store does not answer");
        down.push(STORE.to_owned());
    }
    down.extend(state.readiness.down().into_iter().map(str::to_owned));
    if down.is_empty() {
        Ok(Json(json!({"status": "ok"})))
    } else {
        Err(ApiError::NotReady { components: down })
    }
}

/// An indexed count for a user that cannot exist: one cheap round trip to the store.
async fn probe_store(state: &AppState) -> Result<(), String> {
    let probe = state
        .store
        .count_events_since(Uuid::nil(), "readyz", Utc::now());
    match tokio::time::timeout(READY_WAIT, probe).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer within {} seconds", READY_WAIT.as_secs())),
    }
}
