//! `GET /campaigns/list`, `/campaigns/details` and `/campaigns/data_series`. A campaign is
//! named by its api id; its one message variation (its webhook) by
//! [`Campaign::message_variation_id`]; its sends are the activity entries naming it (by
//! name, as the console counts them).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chrono::{DateTime, Utc};
use leadwire_core::campaign::{Campaign, DeliveryType};
use leadwire_core::permission::Permission;
use leadwire_store::{ActivityCountQuery, ConfigKind, Store, StoreResult};
use serde_json::{Map, Value, json};

use super::listing::page;
use super::params::{ListQuery, Params, read, required};
use super::series::{campaign_range, outcomes_by_day, webhook_stats};
use super::{config, iso, version, webhook};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::routes::authorize;
use crate::state::AppState;

type QueryParams = Result<Query<Params>, QueryRejection>;

pub(crate) async fn campaigns_list(
    State(state): State<AppState>,
    caller: Caller,
    params: QueryParams,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, caller, Permission::CampaignsList)?;
    let query = ListQuery::parse(&read(params)?)?;
    let campaigns = config(&state).map_or(&[][..], |config| &config.campaigns);
    let versions = state.store.config_versions(ConfigKind::Campaign).await?;
    let configured: Vec<(&str, &str)> = campaigns
        .iter()
        .map(|campaign| (campaign.api_id(), campaign.name.as_str()))
        .collect();
    let listed: Vec<Value> = page(&configured, &versions, &query)
        .into_iter()
        .map(|item| {
            let api = item.configured.is_some_and(|index| {
                matches!(
                    campaigns[index].delivery,
                    DeliveryType::ApiTriggered | DeliveryType::Api
                )
            });
            json!({
                "id": item.api_id,
                "last_edited": iso(item.last_edited),
                "name": item.name,
                "is_api_campaign": api,
                "tags": [],
            })
        })
        .collect();
    Ok(Json(json!({"message": "success", "campaigns": listed})))
}

pub(crate) async fn campaign_details(
    State(state): State<AppState>,
    caller: Caller,
    params: QueryParams,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, caller, Permission::CampaignsDetails)?;
    let params = read(params)?;
    let campaign = find(&state, &params)?;
    let version = version(
        state.store.as_ref(),
        ConfigKind::Campaign,
        campaign.api_id(),
    )
    .await?;
    let (first_sent, last_sent) = sent_span(state.store.as_ref(), campaign).await?;
    let config = config(&state).ok_or_else(|| invalid(campaign.api_id()))?;
    let mut messages = Map::new();
    messages.insert(
        campaign.message_variation_id(),
        webhook::message(
            &campaign.template,
            config.template(&campaign.template),
            &state.redactor,
        ),
    );
    Ok(Json(json!({
        "message": "success",
        "created_at": iso(version.0),
        "updated_at": iso(version.1),
        "archived": false,
        "draft": false,
        "enabled": true,
        "has_post_launch_draft": false,
        "name": campaign.name,
        "description": "",
        "schedule_type": schedule_type(campaign.delivery),
        "channels": ["webhook"],
        "first_sent": first_sent.map(iso),
        "last_sent": last_sent.map(iso),
        "tags": [],
        "teams": [],
        "messages": messages,
        "conversion_behaviors": [],
    })))
}

pub(crate) async fn campaign_data_series(
    State(state): State<AppState>,
    caller: Caller,
    params: QueryParams,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, caller, Permission::CampaignsDataSeries)?;
    let params = read(params)?;
    let campaign = find(&state, &params)?;
    let range = campaign_range(&params, Utc::now())?;
    let days = outcomes_by_day(state.store.as_ref(), range, scope(campaign)).await?;
    let variation = campaign.message_variation_id();
    let data: Vec<Value> = range
        .days()
        .into_iter()
        .zip(&days)
        .map(|(day, outcomes)| {
            let mut stats = webhook_stats(outcomes);
            stats.insert("variation_api_id".into(), Value::String(variation.clone()));
            json!({"time": day.to_string(), "messages": {"webhook": [stats]}})
        })
        .collect();
    Ok(Json(json!({"message": "success", "data": data})))
}

/// Braze's `schedule_type` of a delivery type.
pub(super) fn schedule_type(delivery: DeliveryType) -> &'static str {
    match delivery {
        DeliveryType::ActionBased => "action_based",
        DeliveryType::ApiTriggered => "api_triggered",
        DeliveryType::Api => "api_campaign",
    }
}

/// The activity entries of `campaign`.
fn scope(campaign: &Campaign) -> ActivityCountQuery {
    ActivityCountQuery {
        campaign: Some(campaign.name.clone()),
        ..ActivityCountQuery::since(DateTime::UNIX_EPOCH)
    }
}

/// The configured campaign `campaign_id` names; 400 `Invalid Campaign ID` when none does.
fn find<'a>(state: &'a AppState, params: &Params) -> Result<&'a Campaign, ApiError> {
    let api_id = required(params, "campaign_id")?;
    config(state)
        .and_then(|config| config.campaign_by_api_id(api_id))
        .ok_or_else(|| invalid(api_id))
}

/// The API campaign (`delivery = "api"`) with api id `api_id`; 400 `Invalid Campaign ID`
/// when there is none, as Braze answers for a campaign that is not an API campaign.
pub(crate) fn api_campaign<'a>(
    state: &'a AppState,
    api_id: &str,
) -> Result<&'a Campaign, ApiError> {
    let campaign = config(state)
        .and_then(|config| config.campaign_by_api_id(api_id))
        .ok_or_else(|| invalid(api_id))?;
    if campaign.delivery != DeliveryType::Api {
        return Err(ApiError::Fatal {
            message: "Invalid Campaign ID",
            errors: vec![
                ErrorItem::new(format!(
                    "campaign `{api_id}` is not an API campaign; send ids track the sends of a campaign with delivery = \"api\""
                ))
                .field("campaign_id"),
            ],
        });
    }
    Ok(campaign)
}

fn invalid(api_id: &str) -> ApiError {
    ApiError::Fatal {
        message: "Invalid Campaign ID",
        errors: vec![
            ErrorItem::new(format!(
                "no campaign in the config has api id `{api_id}`; GET /campaigns/list lists them"
            ))
            .field("campaign_id"),
        ],
    }
}

/// The start of the first and of the last counter bucket with a sent message.
async fn sent_span(
    store: &dyn Store,
    campaign: &Campaign,
) -> StoreResult<(Option<DateTime<Utc>>, Option<DateTime<Utc>>)> {
    let counts = store.activity_counts(&scope(campaign)).await?;
    let mut sent = counts
        .iter()
        .filter(|count| count.activity_type.counts_as_sent())
        .map(|count| count.bucket);
    let first = sent.next();
    Ok((first, sent.next_back().or(first)))
}
