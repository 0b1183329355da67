//! Who an action reaches among one user's entries waiting at a canvas's Action Paths
//! steps. At an unranked step the earliest entry to arrive takes the action and advances at
//! once; the user's other entries waiting there are deduplicated (they leave), as Braze
//! does when an action is performed. Entries that see no action are not deduplicated: each
//! goes down Everyone Else when its own window ends ([`super::advance`]). At a ranked step
//! every waiting entry records the action for the end of its window.

use super::Canvas;
use super::state::CanvasUserState;
use super::steps::Step;
use crate::trigger::TriggerEvent;

/// What an action does to one entry waiting at an Action Paths step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionRouting {
    /// Unranked step: the entry takes the action and advances now.
    Advance,
    /// Ranked step: the action is kept; the window's end decides the path.
    Record,
    /// Unranked step where an earlier entry of the same user takes the action: this entry
    /// leaves the canvas ([`super::ExitReason::Deduplicated`]).
    Deduplicate,
}

/// For each of `waiting` (one user's entries in `canvas` that wait for an action, in any
/// order), what `event` does to it; `None` where its step does not listen for the event.
/// Among entries that arrived at the same step at the same time, the first listed is
/// the earliest.
pub fn route_action(
    canvas: &Canvas,
    waiting: &[&CanvasUserState],
    event: &TriggerEvent,
) -> Vec<Option<ActionRouting>> {
    let listening: Vec<Option<(&str, bool)>> = waiting
        .iter()
        .map(|state| listening_step(canvas, state, event))
        .collect();
    listening
        .iter()
        .enumerate()
        .map(|(index, listens)| {
            let (step, ranked) = (*listens)?;
            if ranked {
                return Some(ActionRouting::Record);
            }
            let earliest = listening
                .iter()
                .enumerate()
                .filter(|(_, other)| other.is_some_and(|(other, _)| other == step))
                .min_by_key(|(other, _)| (waiting[*other].arrived_at, *other))
                .map(|(other, _)| other);
            Some(if earliest == Some(index) {
                ActionRouting::Advance
            } else {
                ActionRouting::Deduplicate
            })
        })
        .collect()
}

/// The entry's current step and whether it is ranked, when it is an Action Paths step of
/// `canvas` with a group that `event` matches.
fn listening_step<'a>(
    canvas: &Canvas,
    state: &'a CanvasUserState,
    event: &TriggerEvent,
) -> Option<(&'a str, bool)> {
    if state.canvas != canvas.api_id() {
        return None;
    }
    let step = state.current_step()?;
    let Some(Step::ActionPaths(paths)) = canvas.step(step) else {
        return None;
    };
    let wanted = paths
        .groups
        .iter()
        .any(|group| group.triggers.iter().any(|trigger| trigger.matches(event)));
    wanted.then_some((step, paths.ranked))
}
