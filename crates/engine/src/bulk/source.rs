//! What a Bulk API 2.0 run sends for: a backfill (`leadwire salesforce backfill`, logged as
//! a manual send) or a campaign broadcast over its template's `bulk_threshold`. A campaign
//! run renders with the broadcast's properties, sends only to the users the campaign goes
//! to as a send per user would (`journeys::campaigns::send_time_decision`), holds each
//! sent user's receipt under the run's id in the transaction that stores the job
//! (`journeys::receipts::hold`), and its failed records release theirs when recorded.

use chrono::{DateTime, Utc};
use leadwire_core::activity::{MessageSource, TriggerProperties};
use leadwire_core::campaign::{Campaign, SendDecision};
use leadwire_core::profile::Profile;
use leadwire_store::{ClaimedJob, Store, StoreResult, StoreTransaction};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::journeys::campaigns::send_time_decision;
use crate::journeys::receipts::hold;

/// What started a backfill's runs, as stored with each.
pub const BACKFILL_SOURCE: &str = "backfill";
pub use crate::journeys::CAMPAIGN_SOURCE;

/// What a run sends for.
pub enum BulkSource<'a> {
    /// Every user of the audience, each logged as a manual send.
    Backfill,
    /// A campaign broadcast's run, stored with the job that runs it.
    Campaign(CampaignRun<'a>),
}

/// A campaign broadcast sent through one run.
pub struct CampaignRun<'a> {
    pub campaign: &'a Campaign,
    /// The run stored with the broadcast's first page.
    pub run_id: Uuid,
    /// The request's `trigger_properties`, rendered as `api_trigger_properties`.
    pub properties: Map<String, Value>,
    /// Braze's `send_id` the broadcast is tracked under.
    pub tracking_send_id: Option<String>,
    /// The job running the run, completed in its last write.
    pub job: &'a ClaimedJob,
}

impl BulkSource<'_> {
    /// The `source` of its activity entries and renders.
    pub fn message_source(&self) -> MessageSource {
        match self {
            Self::Backfill => MessageSource::Manual,
            Self::Campaign(run) => MessageSource::Campaign {
                campaign: run.campaign.name.clone(),
            },
        }
    }

    pub fn api_trigger_properties(&self) -> Option<&Map<String, Value>> {
        match self {
            Self::Backfill => None,
            Self::Campaign(run) => Some(&run.properties),
        }
    }

    /// What a replay of an entry that did not succeed renders with, as a send's entry keeps.
    pub fn trigger_properties(&self) -> Option<TriggerProperties> {
        self.api_trigger_properties()
            .map(|properties| TriggerProperties {
                api_trigger_properties: Some(properties.clone()),
                ..TriggerProperties::default()
            })
            .filter(|properties| !properties.is_empty())
    }

    pub fn tracking_send_id(&self) -> Option<&str> {
        match self {
            Self::Backfill => None,
            Self::Campaign(run) => run.tracking_send_id.as_deref(),
        }
    }

    /// The stored `source` of its runs.
    pub fn stored_name(&self) -> &'static str {
        match self {
            Self::Backfill => BACKFILL_SOURCE,
            Self::Campaign(_) => CAMPAIGN_SOURCE,
        }
    }

    /// The id the run's users' receipts are held under (a campaign run's own).
    pub fn held_under(&self) -> Option<(&Campaign, Uuid)> {
        match self {
            Self::Backfill => None,
            Self::Campaign(run) => Some((run.campaign, run.run_id)),
        }
    }

    /// Whether `profile` is sent: everyone of a backfill's audience; for a campaign, a
    /// user it goes to now, or whose receipt this run holds already (a job given up
    /// before its upload, whose users are rendered again).
    pub async fn sends_to(
        &self,
        store: &dyn Store,
        profile: &Profile,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let Self::Campaign(run) = self else {
            return Ok(true);
        };
        let receipt = store
            .campaign_receipt(profile.id, run.campaign.api_id())
            .await?;
        if receipt.pending_send_id == Some(run.run_id) {
            return Ok(true);
        }
        let decision = send_time_decision(store, run.campaign, profile, &receipt, now).await?;
        Ok(decision == SendDecision::Send)
    }

    /// Holds the receipts of `users`, handed to a job in `tx`, under the run's id.
    pub async fn hold_receipts(
        &self,
        tx: &mut dyn StoreTransaction,
        users: impl Iterator<Item = Uuid>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let Some((campaign, run_id)) = self.held_under() else {
            return Ok(());
        };
        for user in users {
            let mut receipt = tx.campaign_receipt(user, campaign.api_id()).await?;
            if receipt.pending_send_id != Some(run_id) {
                hold(&mut receipt, run_id, now);
                tx.save_campaign_receipt(user, campaign.api_id(), &receipt)
                    .await?;
            }
        }
        Ok(())
    }

    /// The job to complete with the run's last write.
    pub fn job(&self) -> Option<&ClaimedJob> {
        match self {
            Self::Backfill => None,
            Self::Campaign(run) => Some(run.job),
        }
    }
}
