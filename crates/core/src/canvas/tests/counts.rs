//! The per-step counters: what each save changes, and that the changes of every save along
//! any walk add up to the counts of the final state alone.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

/// Four Delay steps; the walks below pick each transition's path and next step themselves.
fn walk_canvas() -> Canvas {
    let steps: String = ["A", "B", "C", "D"]
        .iter()
        .map(|name| format!("[[steps]]\nname = \"{name}\"\ntype = \"delay\"\nduration = \"1h\"\n"))
        .collect();
    toml::from_str(&format!("name = \"walk\"\n{steps}")).expect("valid canvas")
}

fn go(path: &str, next: Option<&str>) -> Transition {
    Transition {
        path: path.into(),
        next: next.map(str::to_owned),
        event_properties: None,
    }
}

fn entered(step: &str) -> StepCounter {
    StepCounter::Entered { step: step.into() }
}

fn present(step: &str) -> StepCounter {
    StepCounter::Present { step: step.into() }
}

fn exited(step: &str) -> StepCounter {
    StepCounter::Exited { step: step.into() }
}

fn taken(step: &str, path: &str) -> StepCounter {
    StepCounter::Taken {
        step: step.into(),
        path: path.into(),
    }
}

/// The changes as (counter, delta), checking they all name the walk canvas.
fn deltas(changes: Vec<CountChange>) -> Vec<(StepCounter, i64)> {
    changes
        .into_iter()
        .map(|change| {
            assert_eq!(change.canvas, "walk");
            (change.counter, change.delta)
        })
        .collect()
}

#[test]
fn each_save_moves_the_counters_of_the_steps_it_touched() {
    let canvas = walk_canvas();
    let mut state = CanvasUserState::enter(&canvas, t0(), Map::new());
    assert_eq!(
        deltas(step_count_changes(None, &state)),
        [(entered("A"), 1), (present("A"), 1)]
    );
    let at_a = state.clone();
    state.follow(&canvas, go("next", Some("B")), t0());
    assert_eq!(
        deltas(step_count_changes(Some(&at_a), &state)),
        [
            (entered("B"), 1),
            (present("A"), -1),
            (present("B"), 1),
            (taken("A", "next"), 1),
        ]
    );
    let at_b = state.clone();
    state.follow(&canvas, go("Yes", None), t0());
    assert_eq!(
        deltas(step_count_changes(Some(&at_b), &state)),
        [(present("B"), -1), (exited("B"), 1), (taken("B", "Yes"), 1)]
    );
    assert_eq!(
        step_count_changes(Some(&state), &state),
        [],
        "a save that moves nothing changes nothing"
    );
}

#[test]
fn a_user_taken_out_of_a_step_arrived_there_and_exits_from_it() {
    let canvas = walk_canvas();
    let mut state = CanvasUserState::enter(&canvas, t0(), Map::new());
    state.follow(&canvas, go("next", Some("C")), t0());
    let at_c = state.clone();
    state.exit(ExitReason::Deduplicated, t0());
    assert_eq!(state.exit_step(), Some("C"));
    assert_eq!(
        deltas(step_count_changes(Some(&at_c), &state)),
        [(present("C"), -1), (exited("C"), 1)]
    );
    let counts = step_counts(&state);
    assert_eq!(counts.get(&entered("C")), Some(&1));
    assert_eq!(counts.get(&present("C")), None);
}

#[test]
fn a_loop_arrives_again_and_an_empty_canvas_counts_nothing() {
    let canvas = walk_canvas();
    let mut state = CanvasUserState::enter(&canvas, t0(), Map::new());
    state.follow(&canvas, go("next", Some("B")), t0());
    state.follow(&canvas, go("back", Some("A")), t0());
    let counts = step_counts(&state);
    assert_eq!(counts.get(&entered("A")), Some(&2));
    assert_eq!(counts.get(&present("A")), Some(&1));
    assert_eq!(counts.get(&taken("B", "back")), Some(&1));

    let empty: Canvas = toml::from_str("name = \"walk\"\nsteps = []").expect("valid canvas");
    let nowhere = CanvasUserState::enter(&empty, t0(), Map::new());
    assert_eq!(nowhere.exit_step(), None);
    assert!(step_counts(&nowhere).is_empty());
}

#[test]
fn a_deleted_entry_leaves_only_present() {
    let canvas = walk_canvas();
    let mut state = CanvasUserState::enter(&canvas, t0(), Map::new());
    state.follow(&canvas, go("next", Some("B")), t0());
    assert_eq!(deltas(removal_changes(&state)), [(present("B"), -1)]);
    state.follow(&canvas, go("next", None), t0());
    assert_eq!(
        removal_changes(&state),
        [],
        "an exited entry is nowhere now"
    );
}

#[test]
fn an_entry_moved_to_another_canvas_leaves_the_old_one_whole() {
    let canvas = walk_canvas();
    let old = CanvasUserState::enter(&canvas, t0(), Map::new());
    let mut new = old.clone();
    new.canvas = "other".into();
    let changes = step_count_changes(Some(&old), &new);
    let by_canvas = |name: &str| -> Vec<(StepCounter, i64)> {
        changes
            .iter()
            .filter(|change| change.canvas == name)
            .map(|change| (change.counter.clone(), change.delta))
            .collect()
    };
    assert_eq!(by_canvas("walk"), [(entered("A"), -1), (present("A"), -1)]);
    assert_eq!(by_canvas("other"), [(entered("A"), 1), (present("A"), 1)]);
}

/// One thing that happens to an entry, and whether the entry is saved after it.
#[derive(Debug, Clone)]
enum Move {
    Follow {
        path: &'static str,
        next: Option<&'static str>,
    },
    Exit,
    RequestExit,
}

fn a_move() -> impl Strategy<Value = Move> {
    let path = prop::sample::select(vec!["next", "Yes", "No"]);
    let next = prop::sample::select(vec![
        Some("A"),
        Some("B"),
        Some("C"),
        Some("D"),
        Some("Gone"),
        None,
    ]);
    prop_oneof![
        6 => (path, next).prop_map(|(path, next)| Move::Follow { path, next }),
        1 => Just(Move::Exit),
        1 => Just(Move::RequestExit),
    ]
}

/// Entries of the walk canvas, each a list of moves with a save flag after each.
fn walks() -> impl Strategy<Value = Vec<Vec<(Move, bool)>>> {
    prop::collection::vec(
        prop::collection::vec((a_move(), any::<bool>()), 0..12),
        1..5,
    )
}

fn apply(counters: &mut BTreeMap<StepCounter, i64>, changes: Vec<CountChange>) {
    for change in changes {
        *counters.entry(change.counter).or_default() += change.delta;
    }
    counters.retain(|_, count| *count != 0);
}

proptest! {
    #[test]
    fn the_changes_of_every_save_add_up_to_the_final_counts(
        walks in walks(),
        deleted in any::<bool>(),
    ) {
        let canvas = walk_canvas();
        let mut counters = BTreeMap::new();
        let mut expected: BTreeMap<StepCounter, i64> = BTreeMap::new();
        for walk in walks {
            let mut state = CanvasUserState::enter(&canvas, t0(), Map::new());
            apply(&mut counters, step_count_changes(None, &state));
            let mut saved = state.clone();
            for (step, save) in walk {
                match step {
                    Move::Follow { path, next } => state.follow(&canvas, go(path, next), t0()),
                    Move::Exit => state.exit(ExitReason::StepRemoved, t0()),
                    Move::RequestExit => state.request_exit(),
                }
                if save {
                    apply(&mut counters, step_count_changes(Some(&saved), &state));
                    saved = state.clone();
                    prop_assert!(counters.values().all(|count| *count > 0), "{:?}", counters);
                }
            }
            if deleted {
                apply(&mut counters, removal_changes(&saved));
            }
            for (counter, count) in step_counts(&saved) {
                let kept = !(deleted && matches!(counter, StepCounter::Present { .. }));
                if kept {
                    *expected.entry(counter).or_default() += count;
                }
            }
        }
        prop_assert_eq!(counters, expected);
    }
}

#[test]
fn an_entry_counts_on_the_day_it_entered_once() {
    let canvas = walk_canvas();
    let mut state = CanvasUserState::enter(&canvas, t0(), Map::new());
    assert_eq!(new_entry_day(None, &state), Some(t0().date_naive()));
    let entered = state.clone();
    state.follow(
        &canvas,
        go("next", Some("B")),
        t0() + chrono::TimeDelta::days(2),
    );
    assert_eq!(
        new_entry_day(Some(&entered), &state),
        None,
        "a later save of the same entry is not an entry"
    );
    let mut elsewhere = entered.clone();
    elsewhere.canvas = "other".into();
    assert_eq!(
        new_entry_day(Some(&elsewhere), &state),
        Some(t0().date_naive()),
        "a state of another canvas replaced is a new entry"
    );
}
