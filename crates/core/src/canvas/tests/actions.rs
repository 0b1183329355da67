//! Routing an action among one user's entries waiting at Action Paths steps: unranked
//! steps advance the earliest entry and deduplicate the rest; entries without an action
//! all go down Everyone Else; ranked steps record the action for every entry.

use super::*;

fn scoring(ranked: bool) -> Canvas {
    toml::from_str(&LEAD_SCORING.replace(
        "window = \"1d\"",
        &format!("window = \"1d\"\nranked = {ranked}"),
    ))
    .expect("valid canvas")
}

fn waiting_since(canvas: &Canvas, arrived_at: DateTime<Utc>) -> CanvasUserState {
    CanvasUserState::enter(canvas, arrived_at, Map::new())
}

fn webinar(time: DateTime<Utc>) -> TriggerEvent {
    event_at("webinar_joined", time, json!({})).event
}

#[test]
fn an_action_at_an_unranked_step_advances_the_earliest_entry_and_deduplicates_the_others() {
    let canvas = scoring(false);
    let later = waiting_since(&canvas, t0() + TimeDelta::minutes(5));
    let earliest = waiting_since(&canvas, t0());
    let latest = waiting_since(&canvas, t0() + TimeDelta::minutes(9));
    let event = webinar(t0() + TimeDelta::minutes(10));
    assert_eq!(
        route_action(&canvas, &[&later, &earliest, &latest], &event),
        [
            Some(ActionRouting::Deduplicate),
            Some(ActionRouting::Advance),
            Some(ActionRouting::Deduplicate)
        ]
    );
    let same_time = waiting_since(&canvas, t0());
    assert_eq!(
        route_action(&canvas, &[&earliest, &same_time], &event),
        [
            Some(ActionRouting::Advance),
            Some(ActionRouting::Deduplicate)
        ],
        "the first listed wins a tie"
    );

    // The deduplicated entry leaves from the step, and the counters show it.
    let mut deduplicated = later.clone();
    deduplicated.exit(ExitReason::Deduplicated, t0() + TimeDelta::minutes(10));
    assert_eq!(deduplicated.exit_step(), Some("Score activity"));
    let counts = step_counts(&deduplicated);
    let step = || "Score activity".to_owned();
    assert_eq!(counts.get(&StepCounter::Entered { step: step() }), Some(&1));
    assert_eq!(counts.get(&StepCounter::Present { step: step() }), None);
    assert_eq!(counts.get(&StepCounter::Exited { step: step() }), Some(&1));
}

#[test]
fn without_an_action_every_entry_goes_down_everyone_else_at_its_window_end() {
    let canvas = scoring(false);
    let profile = lead("Lead", 0);
    let first = waiting_since(&canvas, t0());
    let second = waiting_since(&canvas, t0() + TimeDelta::hours(1));
    let unrelated = event_at("page_viewed", t0() + TimeDelta::minutes(30), json!({}));
    assert_eq!(
        route_action(&canvas, &[&first, &second], &unrelated.event),
        [None, None],
        "an action no group listens for reaches nobody"
    );
    for (state, end) in [
        (&first, t0() + TimeDelta::days(1)),
        (&second, t0() + TimeDelta::days(1) + TimeDelta::hours(1)),
    ] {
        assert_eq!(
            step(&canvas, state, &profile, end - TimeDelta::seconds(1), &[]),
            NextAction::WaitForAction { until: end },
            "no entry leaves before its window ends"
        );
        let NextAction::Move(everyone_else) = step(&canvas, state, &profile, end, &[]) else {
            panic!("the window is over");
        };
        assert_eq!(everyone_else.path, EVERYONE_ELSE);
        assert_eq!(everyone_else.next.as_deref(), Some("Inactive"));
    }
}

#[test]
fn a_ranked_step_records_the_action_for_every_entry() {
    let canvas = scoring(true);
    let first = waiting_since(&canvas, t0());
    let second = waiting_since(&canvas, t0() + TimeDelta::minutes(5));
    let event = webinar(t0() + TimeDelta::minutes(10));
    assert_eq!(
        route_action(&canvas, &[&first, &second], &event),
        [Some(ActionRouting::Record), Some(ActionRouting::Record)]
    );
}

#[test]
fn entries_elsewhere_are_not_reached() {
    let canvas = scoring(false);
    let waiting = waiting_since(&canvas, t0());
    let mut other_step = waiting_since(&canvas, t0());
    other_step.position = Position::AtStep {
        step: "MQL Check".into(),
    };
    let mut other_canvas = waiting_since(&canvas, t0());
    other_canvas.canvas = "another".into();
    let mut exited = waiting_since(&canvas, t0());
    exited.exit(ExitReason::ExitCriteria, t0());
    let event = webinar(t0() + TimeDelta::minutes(1));
    assert_eq!(
        route_action(
            &canvas,
            &[&other_step, &other_canvas, &exited, &waiting],
            &event
        ),
        [None, None, None, Some(ActionRouting::Advance)]
    );
}
