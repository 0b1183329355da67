//! The canvas step types, as Braze's Canvas editor names them: Audience Paths, Decision
//! Split, User Update, Message, Delay and Action Paths. A missing `next` ends the path:
//! users on it exit the canvas.

use serde::Deserialize;

use super::user_update::UserUpdateStep;
use crate::filters::Filter;
use crate::time::Interval;
use crate::trigger::Trigger;

/// Audience Paths may hold this many groups, counting Everyone Else.
pub const MAX_AUDIENCE_GROUPS: usize = 8;

/// The label of the default path of Audience Paths and Action Paths.
pub const EVERYONE_ELSE: &str = "Everyone Else";

/// One step of a canvas.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Step {
    AudiencePaths(AudiencePaths),
    DecisionSplit(DecisionSplit),
    UserUpdate(UserUpdateStep),
    Message(MessageStep),
    Delay(DelayStep),
    ActionPaths(ActionPaths),
}

/// Ordered groups of filters; a user takes the first group they match, else Everyone Else.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudiencePaths {
    pub name: String,
    pub groups: Vec<AudienceGroup>,
    /// Where Everyone Else goes; absent means they exit.
    #[serde(default)]
    pub everyone_else: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudienceGroup {
    pub name: String,
    /// All must hold.
    pub filters: Vec<Filter>,
    #[serde(default)]
    pub next: Option<String>,
}

/// One yes/no question of filters (all must hold for Yes).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionSplit {
    pub name: String,
    pub filters: Vec<Filter>,
    #[serde(default)]
    pub yes: Option<String>,
    #[serde(default)]
    pub no: Option<String>,
}

/// A webhook sent from a template. An aborted message still advances the user.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageStep {
    pub name: String,
    pub template: String,
    /// Braze's "delivery validations": filters re-checked before sending; a user who fails
    /// them exits at this step.
    #[serde(default)]
    pub delivery_validations: Vec<Filter>,
    #[serde(default)]
    pub next: Option<String>,
}

/// A durable wait. A Delay with no next step exits users at once, as in Braze.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelayStep {
    pub name: String,
    pub duration: Interval,
    #[serde(default)]
    pub next: Option<String>,
}

/// Users wait up to `window` for one of the groups' actions.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionPaths {
    pub name: String,
    /// The evaluation window (Braze's default is one day, the maximum 31 days).
    #[serde(default = "default_window")]
    pub window: Interval,
    /// "Advance users based on ranked order": hold everyone until the window ends.
    #[serde(default)]
    pub ranked: bool,
    pub groups: Vec<ActionGroup>,
    #[serde(default)]
    pub everyone_else: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionGroup {
    pub name: String,
    /// Any one of these actions puts the user in the group.
    pub triggers: Vec<Trigger>,
    #[serde(default)]
    pub next: Option<String>,
}

/// The longest Action Paths evaluation window: 31 days.
pub const MAX_ACTION_WINDOW_SECONDS: u64 = 31 * 86_400;

impl MessageStep {
    /// The id of the step's one message variation, its webhook, as the REST API's canvas
    /// details name it (steps are named by their names, unique in a canvas).
    pub fn message_variation_id(&self) -> String {
        format!("{}-webhook", self.name)
    }
}

fn default_window() -> Interval {
    Interval::from_seconds(86_400)
}

impl Step {
    pub fn name(&self) -> &str {
        match self {
            Step::AudiencePaths(step) => &step.name,
            Step::DecisionSplit(step) => &step.name,
            Step::UserUpdate(step) => &step.name,
            Step::Message(step) => &step.name,
            Step::Delay(step) => &step.name,
            Step::ActionPaths(step) => &step.name,
        }
    }

    /// The step type as written in the config.
    pub fn type_name(&self) -> &'static str {
        match self {
            Step::AudiencePaths(_) => "audience_paths",
            Step::DecisionSplit(_) => "decision_split",
            Step::UserUpdate(_) => "user_update",
            Step::Message(_) => "message",
            Step::Delay(_) => "delay",
            Step::ActionPaths(_) => "action_paths",
        }
    }

    /// The filters this step evaluates (for pre-fetching event counts).
    pub fn filters(&self) -> Vec<&Filter> {
        match self {
            Step::AudiencePaths(step) => step
                .groups
                .iter()
                .flat_map(|group| group.filters.iter())
                .collect(),
            Step::DecisionSplit(step) => step.filters.iter().collect(),
            Step::Message(step) => step.delivery_validations.iter().collect(),
            Step::UserUpdate(_) | Step::Delay(_) | Step::ActionPaths(_) => Vec::new(),
        }
    }

    /// Every outgoing connection: (path label, next step or `None` for exit), in order.
    pub fn paths(&self) -> Vec<(&str, Option<&str>)> {
        match self {
            Step::AudiencePaths(step) => step
                .groups
                .iter()
                .map(|group| (group.name.as_str(), group.next.as_deref()))
                .chain([(EVERYONE_ELSE, step.everyone_else.as_deref())])
                .collect(),
            Step::DecisionSplit(step) => {
                vec![("Yes", step.yes.as_deref()), ("No", step.no.as_deref())]
            }
            Step::UserUpdate(step) => vec![("next", step.next.as_deref())],
            Step::Message(step) => vec![("next", step.next.as_deref())],
            Step::Delay(step) => vec![("next", step.next.as_deref())],
            Step::ActionPaths(step) => step
                .groups
                .iter()
                .map(|group| (group.name.as_str(), group.next.as_deref()))
                .chain([(EVERYONE_ELSE, step.everyone_else.as_deref())])
                .collect(),
        }
    }
}
