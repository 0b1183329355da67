//! Canvases: an entry (action-based or API-triggered) with re-entry controls and exit
//! criteria, then a graph of steps. This module holds the declaration; `advance` decides
//! what happens next for one user, and `state` is what the store persists per user.

mod actions;
mod advance;
mod counts;
mod entry;
mod state;
mod steps;
mod user_update;

pub use actions::{ActionRouting, route_action};
pub use advance::{AdvanceInput, NextAction, TimedEvent, advance};
pub use counts::{
    CountChange, StepCounter, new_entry_day, removal_changes, step_count_changes, step_counts,
};
pub use entry::{EntryDecision, EntrySkip};
pub use state::{CanvasUserState, ExitReason, HistoryEntry, Position, Transition};
pub use steps::{
    ActionGroup, ActionPaths, AudienceGroup, AudiencePaths, DecisionSplit, DelayStep,
    EVERYONE_ELSE, MAX_ACTION_WINDOW_SECONDS, MAX_AUDIENCE_GROUPS, MessageStep, Step,
};
pub use user_update::{
    AttributeUpdate, MAX_COMPOSER_CHARS, ResolvedUserUpdate, UpdateAction, UserUpdateError,
    UserUpdateStep,
};

use serde::Deserialize;

use crate::campaign::DeliveryType;
use crate::filters::Filter;
use crate::time::Interval;
use crate::trigger::{Trigger, TriggerEvent};

/// The most steps one canvas may have.
pub const MAX_STEPS: usize = 200;

/// One canvas.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Canvas {
    pub name: String,
    /// The id used by `POST /canvas/trigger/send`; the name when omitted.
    #[serde(default)]
    pub api_id: Option<String>,
    /// "Entry Schedule": `action_based` (the default) or `api_triggered`.
    #[serde(default)]
    pub entry_schedule: DeliveryType,
    /// The actions that enter a user (any one of them).
    #[serde(default)]
    pub entry_triggers: Vec<Trigger>,
    /// "Target Audience": filters evaluated before entry; empty means all users.
    #[serde(default)]
    pub audience: Vec<Filter>,
    /// Absent: a user enters once. Present: again this long after the last entry ("0s"
    /// lets every trigger enter).
    #[serde(default)]
    pub allow_reentry_after: Option<Interval>,
    /// Exit criteria: performing one of these removes the user when the current step completes.
    #[serde(default)]
    pub exit_events: Vec<Trigger>,
    /// The step users enter at; the first listed step when omitted.
    #[serde(default)]
    pub first_step: Option<String>,
    pub steps: Vec<Step>,
}

impl Canvas {
    pub fn api_id(&self) -> &str {
        self.api_id.as_deref().unwrap_or(&self.name)
    }

    /// The id of the canvas's one variant, as the REST API's details and data series name it.
    pub fn variant_id(&self) -> String {
        format!("{}-variant", self.api_id())
    }

    pub fn step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|step| step.name() == name)
    }

    /// The entry step's name.
    pub fn first_step_name(&self) -> Option<&str> {
        self.first_step
            .as_deref()
            .or_else(|| self.steps.first().map(Step::name))
    }

    /// Every filter the canvas evaluates after entry: Audience Paths groups, Decision
    /// Splits and Message delivery validations (for pre-fetching event counts).
    pub fn step_filters(&self) -> Vec<&Filter> {
        self.steps.iter().flat_map(Step::filters).collect()
    }

    /// Whether `event` meets the canvas's exit criteria.
    pub fn is_exit_event(&self, event: &TriggerEvent) -> bool {
        self.exit_events
            .iter()
            .any(|trigger| trigger.matches(event))
    }
}

#[cfg(test)]
mod tests;
