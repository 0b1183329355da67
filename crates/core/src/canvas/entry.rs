//! Canvas entry: does an action (or an API call) enter a user, given the entry schedule,
//! the target audience and the re-entry controls.

use chrono::{DateTime, Utc};

use super::Canvas;
use crate::campaign::DeliveryType;
use crate::filters::{FilterContext, all_match};
use crate::trigger::TriggerEvent;

/// Why a user does not enter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntrySkip {
    TriggerDidNotMatch,
    WrongEntrySchedule,
    NotInAudience,
    /// Entered before and re-entry is off (`allowed_at: None`) or not yet allowed.
    ReEntryNotAllowed {
        allowed_at: Option<DateTime<Utc>>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryDecision {
    Enter,
    Skip(EntrySkip),
}

impl Canvas {
    /// An action by a user: trigger, then re-entry, then the audience (evaluated before entry).
    pub fn on_trigger(
        &self,
        event: &TriggerEvent,
        context: &FilterContext<'_>,
        last_entered_at: Option<DateTime<Utc>>,
    ) -> EntryDecision {
        if self.entry_schedule != DeliveryType::ActionBased {
            return EntryDecision::Skip(EntrySkip::WrongEntrySchedule);
        }
        if !self
            .entry_triggers
            .iter()
            .any(|trigger| trigger.matches(event))
        {
            return EntryDecision::Skip(EntrySkip::TriggerDidNotMatch);
        }
        self.admit(context, last_entered_at)
    }

    /// A `POST /canvas/trigger/send` recipient.
    pub fn on_api_trigger(
        &self,
        context: &FilterContext<'_>,
        last_entered_at: Option<DateTime<Utc>>,
    ) -> EntryDecision {
        if self.entry_schedule != DeliveryType::ApiTriggered {
            return EntryDecision::Skip(EntrySkip::WrongEntrySchedule);
        }
        self.admit(context, last_entered_at)
    }

    fn admit(
        &self,
        context: &FilterContext<'_>,
        last_entered_at: Option<DateTime<Utc>>,
    ) -> EntryDecision {
        if let Some(last) = last_entered_at {
            let allowed_at = self.allow_reentry_after.map(|wait| wait.after(last));
            if allowed_at.is_none_or(|allowed_at| context.now < allowed_at) {
                return EntryDecision::Skip(EntrySkip::ReEntryNotAllowed { allowed_at });
            }
        }
        if !all_match(&self.audience, context) {
            return EntryDecision::Skip(EntrySkip::NotInAudience);
        }
        EntryDecision::Enter
    }
}
