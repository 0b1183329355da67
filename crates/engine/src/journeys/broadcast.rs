//! The broadcast worker: `broadcast: true` API triggers and `POST /messages/send`
//! broadcasts, carried out one page of profiles per job. Each page reads the next profile
//! ids (in id order, after the previous page's last), sends the campaign to or enters the
//! canvas each profile its audience admits (re-eligibility and re-entry as for a listed
//! recipient) or sends the message to each, and enqueues the next page, all
//! in one transaction with the job's completion: a restart resumes at the page it was on,
//! and no profile is handled twice. A request's `segment_id` and `audience` narrow every
//! page; a campaign broadcast past its template's `bulk_threshold` becomes one Bulk API 2.0
//! run on its first page (`bulk_broadcast`); a local-time broadcast's page enqueues, for each later instant, a part holding
//! the page's profiles due then, so memory stays one page whatever the audience. The transaction is a [`BufferedTransaction`]: the
//! page's profiles and receipts are read up front and its writes go out at commit.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use leadwire_core::campaign::{Campaign, DeliveryType};
use leadwire_core::canvas::Canvas;
use leadwire_core::queue::{AdHocMessage, BroadcastTarget, BroadcastTask};
use leadwire_core::track::UserIdentifier;
use leadwire_store::{
    BufferedTransaction, ClaimedJob, JourneyWrites, NewTask, StoreResult, StoreTransaction,
};
use uuid::Uuid;

use super::bulk_broadcast;
use super::context::Journeys;
use super::error::JourneyError;
use super::messages;
use super::recipient::{enter_canvas, send_campaign};
use super::segments::admits;

/// Profiles per broadcast job.
pub(crate) const PAGE_SIZE: u32 = 250;

/// Enqueues `task` (one page) on the broadcast queue.
pub(crate) async fn enqueue_page(
    tx: &mut dyn StoreTransaction,
    task: &BroadcastTask,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    tx.enqueue(&NewTask::new(task.clone(), now)).await?;
    Ok(())
}

/// What a broadcast page works on, looked up in the config once per page.
enum Target<'a> {
    Campaign(&'a Campaign),
    Canvas(&'a Canvas),
    /// A `POST /messages/send` broadcast's message, to every profile.
    Message(&'a AdHocMessage),
}

fn target<'a>(journeys: &'a Journeys, task: &'a BroadcastTask) -> Option<Target<'a>> {
    let config = &journeys.config;
    match task.target {
        BroadcastTarget::Campaign => config
            .campaign_by_api_id(&task.id)
            .filter(|campaign| campaign.delivery == DeliveryType::ApiTriggered)
            .map(Target::Campaign),
        BroadcastTarget::Canvas => config
            .canvas_by_api_id(&task.id)
            .filter(|canvas| canvas.entry_schedule == DeliveryType::ApiTriggered)
            .map(Target::Canvas),
        BroadcastTarget::Message => task.message.as_ref().map(Target::Message),
    }
}

pub(crate) async fn handle(
    journeys: &Journeys,
    job: &ClaimedJob,
    task: &BroadcastTask,
    now: DateTime<Utc>,
) -> Result<(), JourneyError> {
    let mut tx = Box::new(BufferedTransaction::begin(&*journeys.store).await?);
    let filters = task.audience.as_ref().map_or(Ok(Vec::new()), |audience| {
        audience.filters(&journeys.config, now)
    });
    let (Some(target), Ok(filters)) = (target(journeys, task), filters) else {
        tracing::warn!(id = %task.id, dispatch_id = %task.dispatch_id, "a broadcast names a campaign, canvas or segment no longer in the config; stopped");
        tx.complete_job(job).await?;
        tx.commit().await?;
        return Ok(());
    };
    if let Target::Campaign(campaign) = target
        && bulk_broadcast::divert(journeys, tx.as_mut(), task, campaign, &filters, now).await?
    {
        tx.complete_job(job).await?;
        tx.commit().await?;
        return Ok(());
    }
    let ids = match &task.users {
        Some(users) => users.clone(),
        None => {
            journeys
                .store
                .profile_ids_after(task.after, PAGE_SIZE)
                .await?
        }
    };
    // The page's profiles (and campaign receipts) in a statement or two, not one per user.
    tx.preload_profiles(&ids).await?;
    if let Target::Campaign(_) = target {
        tx.preload_receipts(&ids).await?;
    }
    let mut accepted = 0;
    let mut later: BTreeMap<DateTime<Utc>, Vec<Uuid>> = BTreeMap::new();
    for id in &ids {
        let Some(profile) = tx.find_profile(&UserIdentifier::BrazeId(*id)).await? else {
            continue;
        };
        if !admits(&*journeys.store, &filters, &profile, now).await? {
            continue;
        }
        let instant = task.local.map(|local| local.instant_for(&profile));
        if let Some(at) = instant.filter(|at| *at > now) {
            later.entry(at).or_default().push(*id);
            continue;
        }
        let properties = task.properties.clone();
        let done = match target {
            Target::Campaign(campaign) => {
                let tracking = task.tracking_send_id.as_deref();
                send_campaign(
                    journeys,
                    tx.as_mut(),
                    campaign,
                    &profile,
                    properties,
                    tracking,
                    now,
                )
                .await?
            }
            Target::Canvas(canvas) => {
                enter_canvas(journeys, tx.as_mut(), canvas, &profile, properties, now).await?
            }
            Target::Message(message) => {
                let tracking = task.tracking_send_id.as_deref();
                messages::enqueue_send(tx.as_mut(), message, tracking, profile.id, now).await?;
                true
            }
        };
        accepted += usize::from(done);
    }
    for (at, users) in later {
        let part = BroadcastTask {
            after: None,
            local: None,
            users: Some(users),
            ..task.clone()
        };
        tx.enqueue(&NewTask::new(part, at)).await?;
    }
    let full_page =
        task.users.is_none() && u32::try_from(ids.len()).is_ok_and(|len| len == PAGE_SIZE);
    if let (true, Some(last)) = (full_page, ids.last()) {
        let next = BroadcastTask {
            after: Some(*last),
            ..task.clone()
        };
        enqueue_page(tx.as_mut(), &next, now).await?;
    }
    tx.complete_job(job).await?;
    tx.commit().await?;
    tracing::debug!(dispatch_id = %task.dispatch_id, profiles = ids.len(), accepted, more = full_page, "broadcast page done");
    Ok(())
}
