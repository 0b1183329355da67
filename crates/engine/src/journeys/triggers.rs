//! The trigger worker: one trigger job (something a user did; for a profile write, every
//! trigger it caused, in order) against every campaign and canvas in the config, in one
//! transaction. For each trigger:
//!
//! 1. campaign exception events are recorded (they cancel pending delayed sends);
//! 2. action-based campaigns whose trigger matches schedule a send (re-eligibility first,
//!    the audience at send time);
//! 3. canvas exit criteria mark the user's entries to exit when their step completes;
//! 4. the action goes to entries waiting at an Action Paths step that listens for it, as
//!    core's `route_action` decides (unranked: the earliest entry advances at once and the
//!    user's other entries there are deduplicated; ranked: every waiting entry records it,
//!    decided when the window ends);
//! 5. action-based canvases whose entry trigger matches enter the user (re-entry control,
//!    then the audience), and a canvas task starts the journey.

use chrono::{DateTime, Utc};
use leadwire_core::campaign::{CampaignHistory, TriggerDecision};
use leadwire_core::canvas::{
    ActionRouting, CanvasUserState, EntryDecision, ExitReason, Step, TimedEvent, route_action,
};
use leadwire_core::filters::FilterContext;
use leadwire_core::profile::Profile;
use leadwire_core::queue::CampaignTask;
use leadwire_core::track::UserIdentifier;
use leadwire_core::trigger::{TriggerEvent, UserTrigger};
use leadwire_store::{CanvasEntry, ClaimedJob, StoreResult, StoreTransaction};

use super::campaigns;
use super::canvas::{enqueue_step, enter};
use super::context::{Journeys, event_counts};
use super::error::JourneyError;

/// Handles a trigger job's triggers in order inside `tx`, then completes the job there once:
/// the effects are those of the same triggers handled as separate jobs one after another.
pub(crate) async fn handle_in(
    journeys: &Journeys,
    tx: &mut dyn StoreTransaction,
    job: &ClaimedJob,
    triggers: &[UserTrigger],
    now: DateTime<Utc>,
) -> Result<(), JourneyError> {
    for trigger in triggers {
        on_trigger(journeys, tx, trigger, now).await?;
    }
    tx.complete_job(job).await?;
    Ok(())
}

/// One trigger against every campaign and canvas, for its user as they are now in `tx`.
async fn on_trigger(
    journeys: &Journeys,
    tx: &mut dyn StoreTransaction,
    trigger: &UserTrigger,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let event = &trigger.event;
    let user = UserIdentifier::BrazeId(trigger.user_id);
    match tx.find_profile(&user).await? {
        Some(profile) => {
            campaigns_on_trigger(journeys, tx, &profile, event, now).await?;
            canvases_on_trigger(journeys, tx, &profile, event, now).await?;
        }
        None => tracing::debug!(user = %trigger.user_id, "trigger for a deleted user; dropped"),
    }
    Ok(())
}

async fn campaigns_on_trigger(
    journeys: &Journeys,
    tx: &mut dyn StoreTransaction,
    profile: &Profile,
    event: &TriggerEvent,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    for campaign in &journeys.config.campaigns {
        let api_id = campaign.api_id();
        if campaign.cancels_pending_send(event) {
            let mut receipt = tx.campaign_receipt(profile.id, api_id).await?;
            receipt.last_exception_at = Some(now);
            tx.save_campaign_receipt(profile.id, api_id, &receipt)
                .await?;
            tracing::debug!(campaign = api_id, user = %profile.id, "exception event cancels pending sends");
        }
        if !campaign
            .triggers
            .iter()
            .any(|trigger| trigger.matches(event))
        {
            continue;
        }
        let receipt = tx.campaign_receipt(profile.id, api_id).await?;
        let history = CampaignHistory {
            last_received_at: receipt.last_received_at,
        };
        match campaign.on_trigger(event, &history, now) {
            TriggerDecision::Schedule { send_at } => {
                let task = CampaignTask {
                    campaign: api_id.to_owned(),
                    user_id: profile.id,
                    triggered_at: now,
                    scheduled_at: send_at,
                    event_properties: event.event_properties().cloned(),
                    api_trigger_properties: None,
                    tracking_send_id: None,
                };
                let outcome =
                    campaigns::schedule(journeys, tx, campaign, profile, task, now).await?;
                tracing::debug!(campaign = api_id, user = %profile.id, ?outcome, "campaign triggered");
            }
            TriggerDecision::Skip(reason) => {
                tracing::debug!(campaign = api_id, user = %profile.id, ?reason, "campaign trigger skipped");
            }
        }
    }
    Ok(())
}

async fn canvases_on_trigger(
    journeys: &Journeys,
    tx: &mut dyn StoreTransaction,
    profile: &Profile,
    event: &TriggerEvent,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let listens = journeys.config.canvases.iter().any(|canvas| {
        canvas.is_exit_event(event)
            || canvas.entry_triggers.iter().any(|t| t.matches(event))
            || action_paths_listen(canvas, event)
    });
    if !listens {
        return Ok(());
    }
    let mut active = tx.active_canvas_entries(profile.id).await?;
    for canvas in &journeys.config.canvases {
        let api_id = canvas.api_id();
        if canvas.is_exit_event(event) {
            for entry in active.iter_mut().filter(|entry| entry.canvas() == api_id) {
                entry.state.request_exit();
                tx.save_canvas_entry(entry).await?;
            }
        }
        route_action_to(tx, canvas, &mut active, event, now).await?;
        if canvas.entry_triggers.iter().any(|t| t.matches(event)) {
            let last = tx.last_canvas_entry_at(profile.id, api_id).await?;
            let counts = event_counts(&*journeys.store, profile.id, &canvas.audience, now).await?;
            let decision = canvas.on_trigger(
                event,
                &FilterContext {
                    profile,
                    history: &counts,
                    now,
                },
                last,
            );
            match decision {
                EntryDecision::Enter => {
                    let properties = event.event_properties().cloned().unwrap_or_default();
                    enter(tx, canvas, profile, properties, now).await?;
                }
                EntryDecision::Skip(reason) => {
                    tracing::debug!(canvas = api_id, user = %profile.id, ?reason, "canvas entry skipped");
                }
            }
        }
    }
    Ok(())
}

fn action_paths_listen(canvas: &leadwire_core::canvas::Canvas, event: &TriggerEvent) -> bool {
    canvas.steps.iter().any(|step| match step {
        Step::ActionPaths(paths) => paths
            .groups
            .iter()
            .any(|group| group.triggers.iter().any(|t| t.matches(event))),
        _ => false,
    })
}

/// Gives the action to this canvas's entries waiting at an Action Paths step that listens
/// for it, as [`route_action`] decides: advance now, record for the window's end, or leave
/// as deduplicated.
async fn route_action_to(
    tx: &mut dyn StoreTransaction,
    canvas: &leadwire_core::canvas::Canvas,
    active: &mut [CanvasEntry],
    event: &TriggerEvent,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let waiting: Vec<usize> = (0..active.len())
        .filter(|&index| active[index].awaiting_action && active[index].canvas() == canvas.api_id())
        .collect();
    let states: Vec<&CanvasUserState> = waiting.iter().map(|&index| &active[index].state).collect();
    let routes = route_action(canvas, &states, event);
    for (&index, route) in waiting.iter().zip(routes) {
        let entry = &mut active[index];
        match route {
            None => continue,
            Some(ActionRouting::Record) => entry.actions.push(TimedEvent {
                time: now,
                event: event.clone(),
            }),
            Some(ActionRouting::Advance) => {
                entry.actions.push(TimedEvent {
                    time: now,
                    event: event.clone(),
                });
                entry.awaiting_action = false;
                enqueue_step(tx, entry, false, now).await?;
            }
            Some(ActionRouting::Deduplicate) => {
                tracing::debug!(entry = %entry.id, "an earlier entry took the action at this unranked Action Paths step; deduplicated");
                entry.state.exit(ExitReason::Deduplicated, now);
                entry.awaiting_action = false;
            }
        }
        tx.save_canvas_entry(entry).await?;
    }
    Ok(())
}
