//! `/console/users/{id}`: one profile by its internal id. Every read is by the user's id
//! through an index, so the page costs the same however large the store and the log are.

use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use leadwire_core::track::UserIdentifier;
use leadwire_store::ActivityQuery;
use maud::{Markup, html};
use uuid::Uuid;

use super::journeys::{self, Receipt};
use super::sections;
use crate::console::error::ConsoleError;
use crate::console::layout::{self, Section};
use crate::console::pages::widgets::console;
use crate::console::session::Operator;
use crate::state::AppState;

/// The most recent events shown.
pub const RECENT_EVENTS: u32 = 50;
/// The most recent activity entries shown.
pub const RECENT_ACTIVITY: u32 = 20;

pub async fn page(
    State(state): State<AppState>,
    operator: Operator,
    Path(user_id): Path<String>,
) -> Result<Markup, ConsoleError> {
    let console = console(&state)?;
    let missing = || ConsoleError::NotFound(format!("user `{user_id}`"));
    let id = Uuid::parse_str(&user_id).map_err(|_| missing())?;
    let store = state.store.as_ref();
    let profile = store
        .find_profile(&UserIdentifier::BrazeId(id))
        .await?
        .ok_or_else(missing)?;
    let config = &console.context.config;
    let events = store.recent_events(id, RECENT_EVENTS).await?;
    let purchases = store.purchase_summaries(id, DateTime::UNIX_EPOCH).await?;
    let entries = store.canvas_entries(id, None).await?;
    let mut receipts = Vec::with_capacity(config.campaigns.len());
    for campaign in &config.campaigns {
        let receipt = store.campaign_receipt(id, campaign.api_id()).await?;
        receipts.push(Receipt { campaign, receipt });
    }
    let activity = ActivityQuery {
        user: Some(id.to_string()),
        limit: RECENT_ACTIVITY,
        ..ActivityQuery::default()
    };
    let activity = store.activity(&activity).await?.entries;
    let now = Utc::now();
    let body = html! {
        (sections::identifiers(&profile, now))
        (sections::attributes(&profile))
        (sections::events(&events, now))
        (sections::purchases(&purchases, now))
        (journeys::canvas_entries(config, &entries, now))
        (journeys::campaigns(&receipts, now))
        (journeys::activity(config, id, &activity, now))
    };
    let title = match (&profile.external_id, profile.email()) {
        (Some(external_id), _) => format!("User {external_id}"),
        (None, Some(email)) => format!("User {email}"),
        (None, None) => format!("User {id}"),
    };
    Ok(layout::page(&title, Section::Users, &operator, body))
}
