//! `GET /sends/data_series`: one tracked send of an API campaign (its `campaign_id` and
//! `send_id`) per UTC day, read from the activity log through its index on the tracking
//! send id. `sent` and `errors` are counted as everywhere ([`Outcomes`]); `unique_recipients`
//! is the users a message went out to that day. Braze keeps send analytics for
//! [`RETENTION_DAYS`](send_id::RETENTION_DAYS) days after the send, so older entries are not counted; the log's
//! pruning keeps tracked entries that long at least. leadwire tracks no conversions or
//! revenue: those are 0.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chrono::Utc;
use leadwire_core::activity::Outcomes;
use leadwire_core::permission::Permission;
use leadwire_core::send_id;
use leadwire_store::{TrackedSendQuery, TrackedSendSeries};
use serde_json::{Value, json};

use super::api_campaign;
use super::params::{Params, bad, read, required};
use super::series::{DayRange, campaign_range, webhook_stats};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::authorize;
use crate::state::AppState;

pub(crate) async fn send_data_series(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, caller, Permission::SendsDataSeries)?;
    let params = read(params)?;
    let campaign = api_campaign(&state, required(&params, "campaign_id")?)?;
    let send_id = tracked_send_id(&params)?;
    let now = Utc::now();
    let range = campaign_range(&params, now)?;
    let query = TrackedSendQuery {
        campaign: campaign.name.clone(),
        send_id: send_id.to_owned(),
        since: range.start().max(send_id::analytics_kept_since(now)),
        until: range.end(),
    };
    let series = state.store.tracked_send_series(&query).await?;
    let variation = campaign.message_variation_id();
    let data: Vec<Value> = days(range, &series)
        .into_iter()
        .map(|day| {
            let mut stats = webhook_stats(&day.outcomes);
            stats.insert("variation_api_id".into(), Value::String(variation.clone()));
            json!({
                "time": day.time,
                "messages": {"webhook": [stats]},
                "conversions": 0,
                "conversions1": 0,
                "conversions2": 0,
                "conversions3": 0,
                "conversions_by_send_time": 0,
                "conversions1_by_send_time": 0,
                "conversions2_by_send_time": 0,
                "conversions3_by_send_time": 0,
                "unique_recipients": day.recipients,
                "revenue": 0.0,
            })
        })
        .collect();
    Ok(Json(json!({"message": "success", "data": data})))
}

/// The `send_id` parameter, checked as Braze checks a send id.
fn tracked_send_id(params: &Params) -> Result<&str, ApiError> {
    let Some(text) = params.get("send_id").filter(|text| !text.is_empty()) else {
        return Err(bad(
            "send_id",
            "send_id is required: the send id given to or answered by POST /sends/id/create, /messages/send or /campaigns/trigger/send".into(),
        ));
    };
    send_id::check(text).map_err(|error| bad("send_id", error.to_string()))?;
    Ok(text)
}

/// One day of the answer.
struct Day {
    time: String,
    outcomes: Outcomes,
    recipients: u64,
}

/// Every day of `range`, oldest first, with what `series` holds for it.
fn days(range: DayRange, series: &TrackedSendSeries) -> Vec<Day> {
    let mut days: Vec<Day> = range
        .days()
        .into_iter()
        .map(|day| Day {
            time: day.to_string(),
            outcomes: Outcomes::default(),
            recipients: 0,
        })
        .collect();
    for count in &series.counts {
        if let Some(day) = range.index(count.day).and_then(|index| days.get_mut(index)) {
            day.outcomes.add(count.activity_type, count.count);
        }
    }
    for users in &series.recipients {
        if let Some(day) = range.index(users.day).and_then(|index| days.get_mut(index)) {
            day.recipients += users.count;
        }
    }
    days
}
