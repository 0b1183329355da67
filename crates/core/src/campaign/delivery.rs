//! The per-user campaign decisions, in the order a worker takes them: on a trigger (match,
//! then re-eligibility, then schedule the send after the delay), on an exception event
//! (cancel a pending send), and at send time (re-eligibility and audience again).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Campaign, DeliveryType};
use crate::filters::{FilterContext, all_match};
use crate::trigger::TriggerEvent;

/// What the store remembers about one user and one campaign.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CampaignHistory {
    /// When the user last received the campaign. Triggers that did not end in a send
    /// (an abort, an exception event, the audience failing) do not count.
    pub last_received_at: Option<DateTime<Utc>>,
}

/// Why a user does not get a send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The event is not one of the campaign's trigger actions.
    TriggerDidNotMatch,
    /// The campaign is API-triggered, or action-based when called through the API.
    WrongDeliveryType,
    /// Received before and not re-eligible (yet); `eligible_at` is `None` for "once".
    NotReEligible { eligible_at: Option<DateTime<Utc>> },
    /// The audience filters did not hold at send time.
    NotInAudience,
}

/// The outcome of a trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerDecision {
    /// Enqueue a send job due at `send_at` (now when the campaign has no delay).
    Schedule {
        send_at: DateTime<Utc>,
    },
    Skip(SkipReason),
}

/// The outcome at send time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendDecision {
    Send,
    Skip(SkipReason),
}

impl Campaign {
    /// Whether a user with this history may receive the campaign at `now`.
    pub fn eligibility(
        &self,
        history: &CampaignHistory,
        now: DateTime<Utc>,
    ) -> Result<(), SkipReason> {
        let Some(received) = history.last_received_at else {
            return Ok(());
        };
        let Some(wait) = self.reeligible_after else {
            return Err(SkipReason::NotReEligible { eligible_at: None });
        };
        let eligible_at = wait.after(received);
        if now >= eligible_at {
            Ok(())
        } else {
            Err(SkipReason::NotReEligible {
                eligible_at: Some(eligible_at),
            })
        }
    }

    /// A trigger action by a user: the trigger is evaluated first, then re-eligibility; the
    /// audience waits for send time.
    pub fn on_trigger(
        &self,
        event: &TriggerEvent,
        history: &CampaignHistory,
        now: DateTime<Utc>,
    ) -> TriggerDecision {
        if self.delivery != DeliveryType::ActionBased {
            return TriggerDecision::Skip(SkipReason::WrongDeliveryType);
        }
        if !self.triggers.iter().any(|trigger| trigger.matches(event)) {
            return TriggerDecision::Skip(SkipReason::TriggerDidNotMatch);
        }
        self.schedule(history, now)
    }

    /// A `POST /campaigns/trigger/send` recipient (after its `attributes` were applied).
    pub fn on_api_trigger(&self, history: &CampaignHistory, now: DateTime<Utc>) -> TriggerDecision {
        if self.delivery != DeliveryType::ApiTriggered {
            return TriggerDecision::Skip(SkipReason::WrongDeliveryType);
        }
        self.schedule(history, now)
    }

    fn schedule(&self, history: &CampaignHistory, now: DateTime<Utc>) -> TriggerDecision {
        match self.eligibility(history, now) {
            Ok(()) => TriggerDecision::Schedule {
                send_at: self.delay.unwrap_or_default().after(now),
            },
            Err(reason) => TriggerDecision::Skip(reason),
        }
    }

    /// Whether `event` is one of the campaign's exception events, which cancel a pending
    /// delayed send (the user stays eligible for the next trigger).
    pub fn cancels_pending_send(&self, event: &TriggerEvent) -> bool {
        self.delay.is_some()
            && self
                .exception_events
                .iter()
                .any(|trigger| trigger.matches(event))
    }

    /// The check just before sending: re-eligibility, then the audience over the profile
    /// as it is now.
    pub fn at_send_time(
        &self,
        context: &FilterContext<'_>,
        history: &CampaignHistory,
    ) -> SendDecision {
        if let Err(reason) = self.eligibility(history, context.now) {
            return SendDecision::Skip(reason);
        }
        if !all_match(&self.audience, context) {
            return SendDecision::Skip(SkipReason::NotInAudience);
        }
        SendDecision::Send
    }
}
