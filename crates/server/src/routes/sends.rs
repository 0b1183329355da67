//! `POST /sends/id/create`: registers a send id for an API campaign (`delivery = "api"`),
//! made up when the body gives none, and answers `{"message": "success", "send_id"}`. At
//! most [`DAILY_LIMIT`] new `campaign_id` + `send_id` pairs a UTC day (registering a pair
//! again is free); past it, Braze's 429. Every answer carries that daily budget in
//! `X-RateLimit-Limit`, `-Remaining` and `-Reset` (next UTC midnight), as Braze's page says.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Days, NaiveTime, Utc};
use leadwire_core::permission::Permission;
use leadwire_core::send_id::{self, DAILY_LIMIT};
use leadwire_engine::journeys::send_ids;
use leadwire_store::SendIdOutcome;
use serde_json::{Value, json};

use super::catalog::api_campaign;
use super::{authorize, json_object};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::state::AppState;

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    authorize(&state, caller, Permission::SendsIdCreate)?;
    let object = json_object(&state, body).await?;
    let campaign_id = match object.get("campaign_id") {
        Some(Value::String(id)) if !id.is_empty() => id,
        _ => {
            return Err(ApiError::bad_request(
                ErrorItem::new(
                    "campaign_id is required: the api id of an API campaign (delivery = \"api\")",
                )
                .field("campaign_id"),
            ));
        }
    };
    let campaign = api_campaign(&state, campaign_id)?;
    let send_id = send_id::from_body(object.get("send_id"))
        .map_err(|error| ApiError::bad_request(ErrorItem::new(error.to_string()).field("send_id")))?
        .unwrap_or_else(send_ids::generate);
    let now = state.clock.now();
    let registration = state
        .store
        .register_send_id(campaign.api_id(), &send_id, DAILY_LIMIT, now)
        .await?;
    let reset = next_midnight(now);
    if registration.outcome == SendIdOutcome::OverDailyLimit {
        let retry_after = u64::try_from((reset - now).num_seconds())
            .unwrap_or(1)
            .max(1);
        return Err(ApiError::SendIdLimit {
            reset: epoch_seconds(reset),
            retry_after,
        });
    }
    tracing::info!(campaign = campaign.api_id(), %send_id, outcome = ?registration.outcome, "send id registered");
    let mut response = Json(json!({"message": "success", "send_id": send_id})).into_response();
    let remaining = DAILY_LIMIT.saturating_sub(registration.created_today);
    for (name, value) in [
        ("x-ratelimit-limit", u64::from(DAILY_LIMIT)),
        ("x-ratelimit-remaining", u64::from(remaining)),
        ("x-ratelimit-reset", epoch_seconds(reset)),
    ] {
        response
            .headers_mut()
            .insert(name, HeaderValue::from(value));
    }
    Ok(response)
}

/// The start of the UTC day after `now`'s, when the daily budget is whole again.
fn next_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive()
        .checked_add_days(Days::new(1))
        .unwrap_or(now.date_naive())
        .and_time(NaiveTime::MIN)
        .and_utc()
}

fn epoch_seconds(time: DateTime<Utc>) -> u64 {
    u64::try_from(time.timestamp()).unwrap_or(0)
}
