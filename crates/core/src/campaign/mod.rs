//! Action-based and API-triggered webhook campaigns: their declaration, and the decisions a
//! worker makes for one user (does the trigger match, is the user eligible, when to send,
//! does the audience hold at send time, may it send in this minute).

mod delivery;
mod rate_limit;

pub use delivery::{CampaignHistory, SendDecision, SkipReason, TriggerDecision};
pub use rate_limit::{MAX_RATE_LIMIT_DELAY_HOURS, RateDecision, RateWindow};

use serde::Deserialize;

use crate::filters::Filter;
use crate::time::Interval;
use crate::trigger::Trigger;

/// Braze's selectable per-minute delivery speeds.
pub const RATE_LIMIT_RANGE: std::ops::RangeInclusive<u32> = 10..=500_000;

/// One webhook campaign.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Campaign {
    pub name: String,
    /// The id used by `POST /campaigns/trigger/send`; the name when omitted.
    #[serde(default)]
    pub api_id: Option<String>,
    /// The webhook template the campaign sends.
    pub template: String,
    #[serde(default)]
    pub delivery: DeliveryType,
    /// The trigger actions of an action-based campaign (any one of them triggers it).
    #[serde(default)]
    pub triggers: Vec<Trigger>,
    /// Filters evaluated at send time; empty means all users.
    #[serde(default)]
    pub audience: Vec<Filter>,
    /// A durable wait between the trigger and the send.
    #[serde(default)]
    pub delay: Option<Interval>,
    /// Actions that cancel a pending delayed send.
    #[serde(default)]
    pub exception_events: Vec<Trigger>,
    /// Absent: a user receives the campaign once. Present: again after this long.
    #[serde(default)]
    pub reeligible_after: Option<Interval>,
    /// Messages per minute, 10 to 500,000; unlimited when absent.
    #[serde(default)]
    pub rate_limit_per_minute: Option<u32>,
}

/// How users come to a campaign or canvas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryType {
    #[default]
    ActionBased,
    ApiTriggered,
    /// An API campaign (campaigns only): sent by `POST /messages/send` naming it in
    /// `campaign_id`, with the message given in the request. Its `template` names its one
    /// message variant, the `message_variation_id` the request gives.
    Api,
}

impl Campaign {
    /// The id that API calls name the campaign by.
    pub fn api_id(&self) -> &str {
        self.api_id.as_deref().unwrap_or(&self.name)
    }

    /// The id of the campaign's one message variation, its webhook, as the REST API's
    /// details and data series name it.
    pub fn message_variation_id(&self) -> String {
        format!("{}-webhook", self.api_id())
    }
}

#[cfg(test)]
mod tests;
