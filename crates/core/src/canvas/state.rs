//! One user's journey through one canvas entry: where they are, since when, what they
//! carry (entry and event properties) and the steps they passed. Serializable, so the store
//! can persist it and a restart resumes where the user was.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Canvas;

/// A user's state in one canvas entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CanvasUserState {
    /// The canvas's api id.
    pub canvas: String,
    pub entered_at: DateTime<Utc>,
    pub position: Position,
    /// When the user reached the current step (a Delay or an Action Paths window counts from here).
    pub arrived_at: DateTime<Utc>,
    /// `canvas_entry_properties` / `context`: the entry event's properties or the API context.
    #[serde(default)]
    pub entry_properties: Map<String, Value>,
    /// `event_properties` of the action that chose the last Action Paths group, kept until
    /// the next Message step.
    #[serde(default)]
    pub event_properties: Option<Map<String, Value>>,
    /// An exit event was performed; the user leaves when the current step completes.
    #[serde(default)]
    pub exit_requested: bool,
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
}

/// Where the user is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Position {
    AtStep {
        step: String,
    },
    Exited {
        reason: ExitReason,
        at: DateTime<Utc>,
        /// The step the user was at when they were taken out of it before completing it
        /// (an exit event at a Message step, failed delivery validations, a removed step, a
        /// deduplicated re-entry). `None` when they left down a path that leads nowhere (the
        /// last history entry's step; see [`CanvasUserState::exit_step`]) or never reached
        /// a step.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
    },
}

/// Why a user left the canvas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    /// The path they took has no next step.
    PathEnded,
    /// They performed one of the canvas's exit events.
    ExitCriteria,
    /// They failed a Message step's delivery validations.
    FailedDeliveryValidation,
    /// The step they were at is no longer in the canvas (the config changed).
    StepRemoved,
    /// The canvas has no steps.
    NoSteps,
    /// They waited at an unranked Action Paths step where an earlier entry of theirs also
    /// waited, and the user performed the action: Braze deduplicates then, so the earliest
    /// entry alone advances. (Without an action, every entry goes down Everyone Else.)
    Deduplicated,
}

impl ExitReason {
    /// Why the user left, as a person reads it.
    pub fn describe(&self) -> &'static str {
        match self {
            Self::PathEnded => "their path had no next step",
            Self::ExitCriteria => "they performed an exit event",
            Self::FailedDeliveryValidation => "they failed a Message step's delivery validations",
            Self::StepRemoved => "their step is no longer in the canvas",
            Self::NoSteps => "the canvas has no steps",
            Self::Deduplicated => "an earlier entry of theirs at the step took the action",
        }
    }
}

/// One completed step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub step: String,
    pub arrived_at: DateTime<Utc>,
    pub left_at: DateTime<Utc>,
    /// The path taken: a group name, `Everyone Else`, `Yes`, `No` or `next`.
    pub path: String,
}

/// Leaving the current step down one path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub path: String,
    /// The step to go to; `None` exits the canvas.
    pub next: Option<String>,
    /// The matched action's properties, for an Action Paths group.
    #[serde(default)]
    pub event_properties: Option<Map<String, Value>>,
}

impl CanvasUserState {
    /// A user entering `canvas` at `now` with these entry properties.
    pub fn enter(
        canvas: &Canvas,
        now: DateTime<Utc>,
        entry_properties: Map<String, Value>,
    ) -> Self {
        let position = match canvas.first_step_name() {
            Some(step) => Position::AtStep {
                step: step.to_owned(),
            },
            None => Position::Exited {
                reason: ExitReason::NoSteps,
                at: now,
                step: None,
            },
        };
        Self {
            canvas: canvas.api_id().to_owned(),
            entered_at: now,
            position,
            arrived_at: now,
            entry_properties,
            event_properties: None,
            exit_requested: false,
            history: Vec::new(),
        }
    }

    /// The current step's name, unless the user has exited.
    pub fn current_step(&self) -> Option<&str> {
        match &self.position {
            Position::AtStep { step } => Some(step),
            Position::Exited { .. } => None,
        }
    }

    pub fn has_exited(&self) -> bool {
        matches!(self.position, Position::Exited { .. })
    }

    /// When the user left the canvas, if they have.
    pub fn exited_at(&self) -> Option<DateTime<Utc>> {
        match &self.position {
            Position::Exited { at, .. } => Some(*at),
            Position::AtStep { .. } => None,
        }
    }

    /// Records an exit event; it takes effect when the current step completes.
    pub fn request_exit(&mut self) {
        self.exit_requested = true;
    }

    /// Completes the current step down `transition` at `now`: records history, then moves
    /// to the next step, or exits when there is none or an exit was requested.
    pub fn follow(&mut self, canvas: &Canvas, transition: Transition, now: DateTime<Utc>) {
        let Some(step) = self.current_step().map(str::to_owned) else {
            return;
        };
        let left_message_step = matches!(canvas.step(&step), Some(super::Step::Message(_)));
        self.history.push(HistoryEntry {
            step,
            arrived_at: self.arrived_at,
            left_at: now,
            path: transition.path,
        });
        if transition.event_properties.is_some() {
            self.event_properties = transition.event_properties;
        } else if left_message_step {
            self.event_properties = None;
        }
        self.arrived_at = now;
        self.position = match (self.exit_requested, transition.next) {
            (true, _) => Position::Exited {
                reason: ExitReason::ExitCriteria,
                at: now,
                step: None,
            },
            (false, None) => Position::Exited {
                reason: ExitReason::PathEnded,
                at: now,
                step: None,
            },
            (false, Some(next)) if canvas.step(&next).is_none() => Position::Exited {
                reason: ExitReason::StepRemoved,
                at: now,
                step: None,
            },
            (false, Some(next)) => Position::AtStep { step: next },
        };
    }

    /// Leaves the canvas at once for `reason`, from the current step left unfinished.
    pub fn exit(&mut self, reason: ExitReason, now: DateTime<Utc>) {
        if let Position::AtStep { step } = &mut self.position {
            let step = Some(std::mem::take(step));
            self.position = Position::Exited {
                reason,
                at: now,
                step,
            };
        }
    }

    /// The step the user left the canvas from: the one they were taken out of, or the
    /// last one they completed. `None` while they are in the canvas, or when they never
    /// reached a step.
    pub fn exit_step(&self) -> Option<&str> {
        match &self.position {
            Position::AtStep { .. } => None,
            Position::Exited {
                step: Some(step), ..
            } => Some(step),
            Position::Exited { step: None, .. } => {
                self.history.last().map(|entry| entry.step.as_str())
            }
        }
    }
}
