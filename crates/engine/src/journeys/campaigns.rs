//! Campaign sends: the decision just before sending (exception events, re-eligibility,
//! audience, rate limit) and the send task it produces. Immediate sends are decided inside
//! the trigger's transaction; delayed ones come back as [`CampaignTask`]s at their time.

use chrono::{DateTime, Utc};
use leadwire_core::activity::MessageSource;
use leadwire_core::campaign::{Campaign, CampaignHistory, RateDecision, SendDecision};
use leadwire_core::filters::FilterContext;
use leadwire_core::profile::Profile;
use leadwire_core::queue::{CampaignTask, SendTask};
use leadwire_core::track::UserIdentifier;
use leadwire_store::{CampaignReceipt, ClaimedJob, NewTask, Store, StoreResult, StoreTransaction};
use uuid::Uuid;

use super::context::{Journeys, event_counts};
use super::error::JourneyError;
use super::receipts::{hold, rate_window_name};

/// What became of one pending campaign send.
#[derive(Debug, Clone, PartialEq)]
pub enum SendOutcome {
    /// A send task was enqueued.
    Sent { send_id: Uuid },
    /// An exception event after the trigger cancelled it.
    Cancelled,
    /// Not re-eligible, or not in the audience at send time.
    Skipped(String),
    /// The rate limit held it; it comes back at this time.
    Deferred(DateTime<Utc>),
    /// Held back 72 hours by the rate limit: aborted.
    RateLimitAborted,
}

/// A delayed or rate-limited campaign send whose time has come, handled inside `tx` and
/// completed there.
pub(crate) async fn handle_in(
    journeys: &Journeys,
    tx: &mut dyn StoreTransaction,
    job: &ClaimedJob,
    task: &CampaignTask,
    now: DateTime<Utc>,
) -> Result<(), JourneyError> {
    let campaign = journeys.config.campaign_by_api_id(&task.campaign);
    let profile = tx
        .find_profile(&UserIdentifier::BrazeId(task.user_id))
        .await?;
    match (campaign, profile) {
        (Some(campaign), Some(profile)) => {
            let outcome = decide(journeys, tx, campaign, &profile, task, now).await?;
            tracing::debug!(campaign = %task.campaign, user = %task.user_id, ?outcome, "campaign send decided");
        }
        (None, _) => {
            tracing::warn!(campaign = %task.campaign, "a pending send names a campaign no longer in the config; dropped");
        }
        (_, None) => {
            tracing::debug!(user = %task.user_id, "a pending send's user was deleted; dropped");
        }
    }
    tx.complete_job(job).await?;
    Ok(())
}

/// Enqueues `task` for its delay (when `scheduled_at` is later than `now`), or decides it now.
pub(crate) async fn schedule(
    journeys: &Journeys,
    tx: &mut dyn StoreTransaction,
    campaign: &Campaign,
    profile: &Profile,
    task: CampaignTask,
    now: DateTime<Utc>,
) -> StoreResult<SendOutcome> {
    if task.scheduled_at > now {
        let at = task.scheduled_at;
        enqueue_task(tx, &task, at).await?;
        return Ok(SendOutcome::Deferred(at));
    }
    decide(journeys, tx, campaign, profile, &task, now).await
}

/// The send-time decision for one user, inside the caller's transaction.
pub(crate) async fn decide(
    journeys: &Journeys,
    tx: &mut dyn StoreTransaction,
    campaign: &Campaign,
    profile: &Profile,
    task: &CampaignTask,
    now: DateTime<Utc>,
) -> StoreResult<SendOutcome> {
    let api_id = campaign.api_id();
    let mut receipt = tx.campaign_receipt(profile.id, api_id).await?;
    let excepted = receipt
        .last_exception_at
        .is_some_and(|at| at >= task.triggered_at);
    if campaign.delay.is_some() && excepted {
        return Ok(SendOutcome::Cancelled);
    }
    let decision = send_time_decision(&*journeys.store, campaign, profile, &receipt, now).await?;
    if let SendDecision::Skip(reason) = decision {
        return Ok(SendOutcome::Skipped(format!("{reason:?}")));
    }
    if let Some(limit) = campaign.rate_limit_per_minute {
        let window_name = rate_window_name(api_id);
        let mut window = tx.rate_window(&window_name).await?;
        let decision = window.try_send(Some(limit), task.scheduled_at, now);
        tx.save_rate_window(&window_name, &window).await?;
        match decision {
            RateDecision::SendNow => {}
            RateDecision::RetryAt(at) => {
                enqueue_task(tx, task, at).await?;
                return Ok(SendOutcome::Deferred(at));
            }
            RateDecision::Abort => return Ok(SendOutcome::RateLimitAborted),
        }
    }
    let send = SendTask {
        send_id: Uuid::now_v7(),
        tracking_send_id: task.tracking_send_id.clone(),
        user_id: profile.id,
        template: campaign.template.clone(),
        source: MessageSource::Campaign {
            campaign: campaign.name.clone(),
        },
        created_at: now,
        event_properties: task.event_properties.clone(),
        api_trigger_properties: task.api_trigger_properties.clone(),
        canvas_entry_properties: None,
        follow_up: None,
        webhook: None,
    };
    enqueue_send(tx, &send, now).await?;
    hold(&mut receipt, send.send_id, now);
    tx.save_campaign_receipt(profile.id, api_id, &receipt)
        .await?;
    Ok(SendOutcome::Sent {
        send_id: send.send_id,
    })
}

/// Whether `campaign` goes to `profile`, whose receipt is `receipt`, at `now`:
/// re-eligibility and the campaign's audience (a send per user and a Bulk API 2.0 run
/// decide alike).
pub(crate) async fn send_time_decision(
    store: &dyn Store,
    campaign: &Campaign,
    profile: &Profile,
    receipt: &CampaignReceipt,
    now: DateTime<Utc>,
) -> StoreResult<SendDecision> {
    let counts = event_counts(store, profile.id, &campaign.audience, now).await?;
    let history = CampaignHistory {
        last_received_at: receipt.last_received_at,
    };
    Ok(campaign.at_send_time(
        &FilterContext {
            profile,
            history: &counts,
            now,
        },
        &history,
    ))
}

async fn enqueue_task(
    tx: &mut dyn StoreTransaction,
    task: &CampaignTask,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    tx.enqueue_all(&[NewTask::new(task.clone(), at)]).await
}

/// Enqueues a send task for the delivery worker.
pub(crate) async fn enqueue_send(
    tx: &mut dyn StoreTransaction,
    send: &SendTask,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    tx.enqueue_all(&[NewTask::new(send.clone(), now)]).await
}
