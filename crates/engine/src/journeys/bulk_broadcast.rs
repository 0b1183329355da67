//! A campaign broadcast past its template's `bulk_threshold`: on the broadcast's first page,
//! the users its audience and the request's admit are counted (up to one past the
//! threshold); past it, the page stores a Bulk API 2.0 run ([`BulkRun`], source
//! `campaign`), enqueues the [`BulkSendTask`] the delivery worker runs it with, and
//! completes, sending nobody itself. A campaign with a delay or a rate limit is sent per
//! user as before, since one job carries every record at once.

use chrono::{DateTime, Utc};
use leadwire_core::campaign::Campaign;
use leadwire_core::filters::Filter;
use leadwire_core::queue::{BroadcastTask, BulkSendTask};
use leadwire_store::{BulkRun, BulkRunState, NewTask, StoreResult, StoreTransaction};
use uuid::Uuid;

use super::context::Journeys;
use super::segments::count_members;

/// What started a campaign broadcast's Bulk API 2.0 runs, as stored with each.
pub const CAMPAIGN_SOURCE: &str = "campaign";

/// Whether `task`, a page of `campaign`'s broadcast, went to a Bulk API 2.0 run: when it is
/// the first page and more users than the template's `bulk_threshold` are admitted, the run
/// and its task are written in `tx` (the caller completes the page's job with them).
pub(crate) async fn divert(
    journeys: &Journeys,
    tx: &mut dyn StoreTransaction,
    task: &BroadcastTask,
    campaign: &Campaign,
    filters: &[Filter],
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let first_page = task.after.is_none() && task.users.is_none() && task.local.is_none();
    let per_user_only = campaign.delay.is_some() || campaign.rate_limit_per_minute.is_some();
    let Some(template) = journeys.config.template(&campaign.template) else {
        return Ok(false);
    };
    let (Some(threshold), Some(connection), true, false) = (
        template.bulk_threshold,
        template.connection.clone(),
        first_page,
        per_user_only,
    ) else {
        return Ok(false);
    };
    let mut admitted: Vec<Filter> = filters.to_vec();
    admitted.extend(campaign.audience.iter().cloned());
    let at_most = threshold.saturating_add(1);
    if count_members(&*journeys.store, &admitted, at_most, now).await? <= threshold {
        return Ok(false);
    }
    let run = BulkRun {
        id: Uuid::now_v7(),
        template: campaign.template.clone(),
        connection,
        source: CAMPAIGN_SOURCE.to_owned(),
        audience: Some(task.dispatch_id.clone()),
        last_profile_id: None,
        state: BulkRunState::Running,
        created_at: now,
        updated_at: now,
    };
    tx.save_bulk_run(&run).await?;
    let bulk = BulkSendTask {
        run_id: run.id,
        broadcast: Box::new(task.clone()),
    };
    tx.enqueue(&NewTask::new(bulk, now)).await?;
    tracing::info!(campaign = campaign.api_id(), dispatch_id = %task.dispatch_id, run = %run.id, threshold, "broadcast past its template's bulk_threshold: one Bulk API 2.0 run");
    Ok(true)
}
