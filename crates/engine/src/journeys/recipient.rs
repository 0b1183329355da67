//! What an API trigger does for one recipient, whether listed in the request or reached by
//! a broadcast page: a campaign send after re-eligibility, or a canvas entry after re-entry
//! control and the audience.

use chrono::{DateTime, Utc};
use leadwire_core::campaign::{Campaign, CampaignHistory, TriggerDecision};
use leadwire_core::canvas::{Canvas, EntryDecision};
use leadwire_core::filters::FilterContext;
use leadwire_core::profile::Profile;
use leadwire_core::queue::CampaignTask;
use leadwire_store::{StoreError, StoreTransaction};
use serde_json::{Map, Value};

use super::campaigns;
use super::canvas::enter;
use super::context::{Journeys, event_counts};

/// An API-triggered campaign for one user: re-eligibility, then the send-time decision.
/// Whether a send was enqueued (now or for later), tracked under `tracking_send_id`.
pub(crate) async fn send_campaign(
    journeys: &Journeys,
    tx: &mut dyn StoreTransaction,
    campaign: &Campaign,
    profile: &Profile,
    properties: Map<String, Value>,
    tracking_send_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let receipt = tx.campaign_receipt(profile.id, campaign.api_id()).await?;
    let history = CampaignHistory {
        last_received_at: receipt.last_received_at,
    };
    let TriggerDecision::Schedule { send_at } = campaign.on_api_trigger(&history, now) else {
        return Ok(false);
    };
    let task = CampaignTask {
        campaign: campaign.api_id().to_owned(),
        user_id: profile.id,
        triggered_at: now,
        scheduled_at: send_at,
        event_properties: None,
        api_trigger_properties: Some(properties),
        tracking_send_id: tracking_send_id.map(str::to_owned),
    };
    let outcome = campaigns::schedule(journeys, tx, campaign, profile, task, now).await?;
    Ok(matches!(
        outcome,
        campaigns::SendOutcome::Sent { .. } | campaigns::SendOutcome::Deferred(_)
    ))
}

/// An API-triggered canvas entry for one user: re-entry control and the audience, then
/// the entry. Whether the user entered.
pub(crate) async fn enter_canvas(
    journeys: &Journeys,
    tx: &mut dyn StoreTransaction,
    canvas: &Canvas,
    profile: &Profile,
    properties: Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let last = tx.last_canvas_entry_at(profile.id, canvas.api_id()).await?;
    let counts = event_counts(&*journeys.store, profile.id, &canvas.audience, now).await?;
    let decision = canvas.on_api_trigger(
        &FilterContext {
            profile,
            history: &counts,
            now,
        },
        last,
    );
    match decision {
        EntryDecision::Enter => Ok(enter(tx, canvas, profile, properties, now).await?.is_some()),
        EntryDecision::Skip(_) => Ok(false),
    }
}
