//! Campaign receipts as Braze counts them: a user who triggered a campaign but did not
//! receive it (the message aborted, was refused or failed) qualifies again.
//!
//! A send is held as received from the moment it is enqueued, in the transaction of the
//! decision, so a second trigger while it is in flight does not send again ("once"
//! re-eligibility). The delivery worker records the send's final outcome; when that is
//! anything but delivered, [`release`] (called in the same transaction) restores the receipt
//! to what it was before the send, and an aborted send also gives its rate-limit slot back
//! while its minute lasts. A delivered send needs no further write.

use chrono::{DateTime, Utc};
use leadwire_core::activity::MessageSource;
use leadwire_core::config::Config;
use leadwire_core::queue::SendTask;
use leadwire_store::{CampaignReceipt, StoreResult, StoreTransaction};
use uuid::Uuid;

/// The name of a campaign's per-minute rate-limit window.
pub(crate) fn rate_window_name(campaign_api_id: &str) -> String {
    format!("campaign:{campaign_api_id}")
}

/// Marks `send_id`, enqueued at `now`, as received until its outcome says otherwise.
pub(crate) fn hold(receipt: &mut CampaignReceipt, send_id: Uuid, now: DateTime<Utc>) {
    receipt.previous_received_at = receipt.last_received_at;
    receipt.last_received_at = Some(now);
    receipt.pending_send_id = Some(send_id);
}

/// A campaign send that ended without reaching the user.
#[derive(Debug, Clone, PartialEq)]
pub struct UnreceivedSend {
    /// The campaign's name, as the send task's source names it.
    pub campaign: String,
    pub user_id: Uuid,
    pub send_id: Uuid,
    /// When the send was decided: the minute its rate-limit slot belongs to.
    pub decided_at: DateTime<Utc>,
    /// Nothing was sent at all (`abort_message`, the user was deleted): the rate-limit slot
    /// is given back too. A send that reached the receiver and failed used its slot.
    pub aborted: bool,
}

impl UnreceivedSend {
    /// The unreceived campaign send `task` is, when it ended `delivered` or not (`aborted`
    /// when nothing was sent). `None` for a delivered send or one that is not a campaign's.
    pub fn of(task: &SendTask, delivered: bool, aborted: bool) -> Option<Self> {
        let MessageSource::Campaign { campaign } = &task.source else {
            return None;
        };
        (!delivered).then(|| Self {
            campaign: campaign.clone(),
            user_id: task.user_id,
            send_id: task.send_id,
            decided_at: task.created_at,
            aborted,
        })
    }
}

/// Takes back the receipt (and, for an aborted send, the rate-limit slot) of a send that
/// did not reach its user. Only the pending send's own outcome counts: a replay (which took
/// no slot) or a send that a later one superseded leaves both alone.
pub async fn release(
    tx: &mut dyn StoreTransaction,
    config: &Config,
    send: &UnreceivedSend,
) -> StoreResult<()> {
    let Some(campaign) = config.campaigns.iter().find(|c| c.name == send.campaign) else {
        return Ok(());
    };
    let api_id = campaign.api_id();
    let mut receipt = tx.campaign_receipt(send.user_id, api_id).await?;
    if receipt.pending_send_id != Some(send.send_id) {
        return Ok(());
    }
    receipt.last_received_at = receipt.previous_received_at;
    receipt.pending_send_id = None;
    receipt.previous_received_at = None;
    tx.save_campaign_receipt(send.user_id, api_id, &receipt)
        .await?;
    tracing::debug!(campaign = api_id, user = %send.user_id, "send not received; the user qualifies again");
    if send.aborted && campaign.rate_limit_per_minute.is_some() {
        let name = rate_window_name(api_id);
        let mut window = tx.rate_window(&name).await?;
        if window.give_back(send.decided_at) {
            tx.save_rate_window(&name, &window).await?;
        }
    }
    Ok(())
}
