//! The canvas step machine: given the canvas, one user's state and the inputs (profile,
//! event history, now, actions seen since arriving at the step), what happens next. The
//! worker performs the action, calls [`CanvasUserState::follow`] with the transition when
//! the step completes, and calls [`advance`] again. Nothing here sleeps or does I/O.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Canvas;
use super::state::{CanvasUserState, ExitReason, Position, Transition};
use super::steps::{ActionPaths, EVERYONE_ELSE, Step};
use super::user_update::UserUpdateStep;
use crate::filters::{EventHistory, FilterContext, all_match};
use crate::profile::Profile;
use crate::trigger::TriggerEvent;

/// An action the user performed, with when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedEvent {
    pub time: DateTime<Utc>,
    #[serde(deserialize_with = "crate::trigger::read_stored_event")]
    pub event: TriggerEvent,
}

/// What `advance` reads.
pub struct AdvanceInput<'a> {
    pub profile: &'a Profile,
    pub history: &'a dyn EventHistory,
    pub now: DateTime<Utc>,
    /// The user's actions since arriving at the current step, in any order.
    pub actions: &'a [TimedEvent],
}

/// The next thing to do for the user.
#[derive(Debug, Clone, PartialEq)]
pub enum NextAction<'a> {
    /// The step is decided: follow this transition now.
    Move(Transition),
    /// Render and commit these profile updates, then follow `then`.
    UpdateUser {
        step: &'a UserUpdateStep,
        then: Transition,
    },
    /// Enqueue a send of this webhook template, then follow `then` (even if the message aborts).
    SendWebhook { template: &'a str, then: Transition },
    /// A Delay: come back at this time.
    WaitUntil(DateTime<Utc>),
    /// Action Paths: come back on the user's next action, or at this time at the latest.
    WaitForAction { until: DateTime<Utc> },
    /// The user is out of the canvas (already, or now for this reason).
    Exit(ExitReason),
}

/// Decides the user's next action at their current step.
pub fn advance<'a>(
    canvas: &'a Canvas,
    state: &CanvasUserState,
    input: &AdvanceInput<'_>,
) -> NextAction<'a> {
    let step_name = match &state.position {
        Position::Exited { reason, .. } => return NextAction::Exit(reason.clone()),
        Position::AtStep { step } => step,
    };
    let Some(step) = canvas.step(step_name) else {
        return NextAction::Exit(ExitReason::StepRemoved);
    };
    let filters = FilterContext {
        profile: input.profile,
        history: input.history,
        now: input.now,
    };
    match step {
        Step::AudiencePaths(paths) => {
            let chosen = paths
                .groups
                .iter()
                .find(|group| all_match(&group.filters, &filters));
            NextAction::Move(match chosen {
                Some(group) => transition(&group.name, group.next.as_deref()),
                None => transition(EVERYONE_ELSE, paths.everyone_else.as_deref()),
            })
        }
        Step::DecisionSplit(split) => NextAction::Move(if all_match(&split.filters, &filters) {
            transition("Yes", split.yes.as_deref())
        } else {
            transition("No", split.no.as_deref())
        }),
        Step::UserUpdate(update) => NextAction::UpdateUser {
            step: update,
            then: transition("next", update.next.as_deref()),
        },
        Step::Message(_) if state.exit_requested => NextAction::Exit(ExitReason::ExitCriteria),
        Step::Message(message) if !all_match(&message.delivery_validations, &filters) => {
            NextAction::Exit(ExitReason::FailedDeliveryValidation)
        }
        Step::Message(message) => NextAction::SendWebhook {
            template: &message.template,
            then: transition("next", message.next.as_deref()),
        },
        Step::Delay(delay) => {
            let Some(next) = delay.next.as_deref() else {
                return NextAction::Move(transition("next", None));
            };
            let until = delay.duration.after(state.arrived_at);
            if input.now >= until {
                NextAction::Move(transition("next", Some(next)))
            } else {
                NextAction::WaitUntil(until)
            }
        }
        Step::ActionPaths(paths) => action_paths(paths, state.arrived_at, input),
    }
}

fn transition(path: &str, next: Option<&str>) -> Transition {
    Transition {
        path: path.to_owned(),
        next: next.map(str::to_owned),
        event_properties: None,
    }
}

/// Unranked: the earliest action that matches any group advances at once (down the first
/// group it matches). Ranked: wait for the window to end, then take the highest-ranked
/// group with a matching action. No action in the window: Everyone Else.
fn action_paths<'a>(
    paths: &ActionPaths,
    arrived_at: DateTime<Utc>,
    input: &AdvanceInput<'_>,
) -> NextAction<'a> {
    let deadline = paths.window.after(arrived_at);
    let mut in_window: Vec<&TimedEvent> = input
        .actions
        .iter()
        .filter(|action| {
            action.time >= arrived_at && action.time <= deadline && action.time <= input.now
        })
        .collect();
    in_window.sort_by_key(|action| action.time);
    let window_over = input.now >= deadline;
    if paths.ranked {
        if !window_over {
            return NextAction::WaitForAction { until: deadline };
        }
        let ranked = paths.groups.iter().find_map(|group| {
            in_window
                .iter()
                .find(|action| {
                    group
                        .triggers
                        .iter()
                        .any(|trigger| trigger.matches(&action.event))
                })
                .map(|action| (group, *action))
        });
        if let Some((group, action)) = ranked {
            return NextAction::Move(chosen(&group.name, group.next.as_deref(), action));
        }
    } else {
        let earliest = in_window.iter().find_map(|action| {
            paths
                .groups
                .iter()
                .find(|group| {
                    group
                        .triggers
                        .iter()
                        .any(|trigger| trigger.matches(&action.event))
                })
                .map(|group| (group, *action))
        });
        if let Some((group, action)) = earliest {
            return NextAction::Move(chosen(&group.name, group.next.as_deref(), action));
        }
        if !window_over {
            return NextAction::WaitForAction { until: deadline };
        }
    }
    NextAction::Move(transition(EVERYONE_ELSE, paths.everyone_else.as_deref()))
}

fn chosen(path: &str, next: Option<&str>, action: &TimedEvent) -> Transition {
    Transition {
        path: path.to_owned(),
        next: next.map(str::to_owned),
        event_properties: Some(action.event.event_properties().cloned().unwrap_or_default()),
    }
}
