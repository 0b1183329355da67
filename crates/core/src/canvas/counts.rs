//! The per-step counters of a canvas, and how saving one entry changes them: arrivals at
//! each step (a re-entry arrives again), entries at each step now, entries that left the
//! canvas from each step, and departures from each step down each path.
//!
//! An entry's share of the counters follows from its state alone ([`step_counts`]); the
//! store keeps the counters by applying the difference between the stored state and the
//! saved one ([`step_count_changes`]), in the transaction of the save, so the counters
//! equal the sum over every entry ever saved without reading the entries. Entries per day
//! ([`new_entry_day`]) count each entry once, on the day it entered.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::state::{CanvasUserState, HistoryEntry, Position};

/// One counter of one canvas.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StepCounter {
    /// Arrivals at the step.
    Entered { step: String },
    /// Entries at the step now.
    Present { step: String },
    /// Entries that left the canvas from the step.
    Exited { step: String },
    /// Departures from the step down the path.
    Taken { step: String, path: String },
}

/// A signed change to one counter of one canvas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountChange {
    /// The canvas's api id.
    pub canvas: String,
    pub counter: StepCounter,
    pub delta: i64,
}

/// Each entry's share of its canvas's counters: an arrival per history entry and one at
/// the step it is at or was taken out of, present at its current step, a departure per
/// history entry, and an exit from the step it left the canvas from.
pub fn step_counts(state: &CanvasUserState) -> BTreeMap<StepCounter, i64> {
    let mut counts = BTreeMap::new();
    add_history(&mut counts, &state.history, 1);
    add_position(&mut counts, state, 1);
    counts.retain(|_, count| *count != 0);
    counts
}

/// How the counters change when an entry stored as `old` (`None`: new) is saved as `new`:
/// the share of `new` less the share of `old`, without the counters that stay the same.
pub fn step_count_changes(
    old: Option<&CanvasUserState>,
    new: &CanvasUserState,
) -> Vec<CountChange> {
    let same_canvas = old.filter(|old| old.canvas == new.canvas);
    let Some(old) = same_canvas else {
        let mut changes = old.map(removed_share).unwrap_or_default();
        changes.extend(share(&new.canvas, step_counts(new), 1));
        return changes;
    };
    let shared = shared_history(&old.history, &new.history);
    let mut counts = BTreeMap::new();
    add_history(&mut counts, &old.history[shared..], -1);
    add_position(&mut counts, old, -1);
    add_history(&mut counts, &new.history[shared..], 1);
    add_position(&mut counts, new, 1);
    share(&new.canvas, counts, 1)
}

/// The day (UTC) a saved entry counts as an entry into its canvas: the day it entered when
/// it is new (nothing stored, or a state of another canvas), `None` when it was counted
/// when first saved. The store keeps entries per canvas and day with it.
pub fn new_entry_day(old: Option<&CanvasUserState>, new: &CanvasUserState) -> Option<NaiveDate> {
    let same_canvas = old.is_some_and(|old| old.canvas == new.canvas);
    (!same_canvas).then(|| new.entered_at.date_naive())
}

/// How the counters change when an entry in `state` is deleted with its user: it is no
/// longer present anywhere; arrivals, departures and exits are history and stay.
pub fn removal_changes(state: &CanvasUserState) -> Vec<CountChange> {
    let present = state.current_step().map(|step| StepCounter::Present {
        step: step.to_owned(),
    });
    let counts = present.into_iter().map(|counter| (counter, 1)).collect();
    share(&state.canvas, counts, -1)
}

/// The whole share of `state`, taken away (its canvas differs from the new state's).
fn removed_share(state: &CanvasUserState) -> Vec<CountChange> {
    share(&state.canvas, step_counts(state), -1)
}

/// `counts` times `sign` as changes to `canvas`'s counters, leaving out zeros.
fn share(canvas: &str, counts: BTreeMap<StepCounter, i64>, sign: i64) -> Vec<CountChange> {
    counts
        .into_iter()
        .filter(|(_, count)| *count != 0)
        .map(|(counter, count)| CountChange {
            canvas: canvas.to_owned(),
            counter,
            delta: count * sign,
        })
        .collect()
}

/// How many leading entries two histories share (same step, same path), which count the
/// same in both and are skipped; an append-only history shares all of the older one.
fn shared_history(old: &[HistoryEntry], new: &[HistoryEntry]) -> usize {
    old.iter()
        .zip(new)
        .take_while(|(old, new)| old.step == new.step && old.path == new.path)
        .count()
}

fn add_history(counts: &mut BTreeMap<StepCounter, i64>, history: &[HistoryEntry], sign: i64) {
    for entry in history {
        add(
            counts,
            StepCounter::Entered {
                step: entry.step.clone(),
            },
            sign,
        );
        let taken = StepCounter::Taken {
            step: entry.step.clone(),
            path: entry.path.clone(),
        };
        add(counts, taken, sign);
    }
}

/// The arrival at the step the entry is at (or was taken out of), its presence there, and
/// its exit.
fn add_position(counts: &mut BTreeMap<StepCounter, i64>, state: &CanvasUserState, sign: i64) {
    match &state.position {
        Position::AtStep { step } => {
            add(counts, StepCounter::Entered { step: step.clone() }, sign);
            add(counts, StepCounter::Present { step: step.clone() }, sign);
        }
        Position::Exited { step, .. } => {
            if let Some(step) = step {
                add(counts, StepCounter::Entered { step: step.clone() }, sign);
            }
        }
    }
    if let Some(step) = state.exit_step() {
        add(
            counts,
            StepCounter::Exited {
                step: step.to_owned(),
            },
            sign,
        );
    }
}

fn add(counts: &mut BTreeMap<StepCounter, i64>, counter: StepCounter, delta: i64) {
    *counts.entry(counter).or_default() += delta;
}
