//! One test group per step type.

use super::*;

fn canvas(steps: &str) -> Canvas {
    toml::from_str(&format!(
        "name = \"c\"\nentry_schedule = \"api_triggered\"\n{steps}"
    ))
    .expect("valid canvas")
}

fn enter(canvas: &Canvas) -> CanvasUserState {
    CanvasUserState::enter(canvas, t0(), Map::new())
}

fn purchase_at(time: DateTime<Utc>) -> TimedEvent {
    TimedEvent {
        time,
        event: TriggerEvent::PurchaseMade {
            product_id: "plan".into(),
            currency: "USD".into(),
            price: 10.0,
            quantity: 1,
            properties: Map::new(),
            time,
        },
    }
}

#[test]
fn audience_paths_first_match_wins_and_everyone_else_exits() {
    let canvas = canvas(
        r#"
        [[steps]]
        name = "Split"
        type = "audience_paths"
        groups = [
            { name = "Hot", next = "A", filters = [{ attribute = "lead_score", op = "greater_than", value = 90 }] },
            { name = "Warm", next = "B", filters = [{ attribute = "lead_score", op = "greater_than", value = 50 }] },
        ]
        [[steps]]
        name = "A"
        type = "delay"
        duration = 1
        [[steps]]
        name = "B"
        type = "delay"
        duration = 1
        "#,
    );
    let state = enter(&canvas);
    let path_for = |score: i64| match step(&canvas, &state, &lead("Lead", score), t0(), &[]) {
        NextAction::Move(transition) => (transition.path, transition.next),
        other => panic!("expected a move, got {other:?}"),
    };
    assert_eq!(path_for(95), ("Hot".to_string(), Some("A".to_string())));
    assert_eq!(path_for(60), ("Warm".to_string(), Some("B".to_string())));
    assert_eq!(path_for(10), (EVERYONE_ELSE.to_string(), None));
    let mut wrong_type = lead("Lead", 0);
    wrong_type.custom.insert("lead_score".into(), json!("95"));
    assert!(matches!(
        step(&canvas, &state, &wrong_type, t0(), &[]),
        NextAction::Move(Transition { next: None, .. })
    ));
}

#[test]
fn decision_split_yes_and_no() {
    let canvas = canvas(
        r#"
        [[steps]]
        name = "Has email?"
        type = "decision_split"
        filters = [{ email_available = true }]
        yes = "Send"
        [[steps]]
        name = "Send"
        type = "message"
        template = "t"
        "#,
    );
    let mut state = enter(&canvas);
    let mut profile = lead("Lead", 0);
    assert_eq!(
        step(&canvas, &state, &profile, t0(), &[]),
        NextAction::Move(Transition {
            path: "No".into(),
            next: None,
            event_properties: None
        })
    );
    profile
        .standard
        .insert("email".into(), json!("a@example.com"));
    let NextAction::Move(yes) = step(&canvas, &state, &profile, t0(), &[]) else {
        panic!("a split decides at once");
    };
    assert_eq!(yes.path, "Yes");
    state.follow(&canvas, yes, t0());
    assert_eq!(state.current_step(), Some("Send"));
}

#[test]
fn delay_waits_durably_then_moves_and_a_last_delay_exits_at_once() {
    let canvas = canvas(
        r#"
        [[steps]]
        name = "Wait"
        type = "delay"
        duration = "2h"
        next = "Last"
        [[steps]]
        name = "Last"
        type = "delay"
        duration = "1d"
        "#,
    );
    let mut state = enter(&canvas);
    let profile = lead("Lead", 0);
    assert_eq!(
        step(&canvas, &state, &profile, t0(), &[]),
        NextAction::WaitUntil(t0() + TimeDelta::hours(2))
    );
    let reloaded: CanvasUserState =
        serde_json::from_str(&serde_json::to_string(&state).expect("serializable"))
            .expect("deserializable");
    let later = t0() + TimeDelta::hours(2);
    let NextAction::Move(done) = step(&canvas, &reloaded, &profile, later, &[]) else {
        panic!("the delay is over");
    };
    state.follow(&canvas, done, later);
    assert_eq!(state.arrived_at, later);
    let NextAction::Move(exit) = step(&canvas, &state, &profile, later, &[]) else {
        panic!("a last delay moves at once");
    };
    state.follow(&canvas, exit, later);
    assert!(matches!(
        state.position,
        Position::Exited {
            reason: ExitReason::PathEnded,
            ..
        }
    ));
}

const ACTION_PATHS: &str = r#"
[[steps]]
name = "Wait for action"
type = "action_paths"
window = "1h"
ranked = RANKED
everyone_else = "Nudge"
groups = [
    { name = "Webinar", next = "Nudge", triggers = [{ type = "perform_custom_event", event = "webinar_joined" }] },
    { name = "Purchase", triggers = [{ type = "make_purchase" }] },
]
[[steps]]
name = "Nudge"
type = "message"
template = "t"
"#;

#[test]
fn unranked_action_paths_take_the_earliest_action_at_once() {
    let canvas = canvas(&ACTION_PATHS.replace("RANKED", "false"));
    let state = enter(&canvas);
    let profile = lead("Lead", 0);
    let webinar = event_at(
        "webinar_joined",
        t0() + TimeDelta::minutes(20),
        json!({"id": 7}),
    );
    let purchase = purchase_at(t0() + TimeDelta::minutes(10));
    let now = t0() + TimeDelta::minutes(25);
    let NextAction::Move(chosen) =
        step(&canvas, &state, &profile, now, &[webinar.clone(), purchase])
    else {
        panic!("an action advances at once");
    };
    assert_eq!((chosen.path.as_str(), chosen.next), ("Purchase", None));
    let NextAction::Move(chosen) = step(
        &canvas,
        &state,
        &profile,
        now,
        std::slice::from_ref(&webinar),
    ) else {
        panic!("an action advances at once");
    };
    assert_eq!(
        chosen.event_properties,
        json!({"id": 7}).as_object().cloned()
    );
    let unrelated = event_at("page_viewed", t0() + TimeDelta::minutes(5), json!({}));
    assert_eq!(
        step(&canvas, &state, &profile, now, &[unrelated]),
        NextAction::WaitForAction {
            until: t0() + TimeDelta::hours(1)
        }
    );
    let too_late = event_at("webinar_joined", t0() + TimeDelta::minutes(61), json!({}));
    let NextAction::Move(everyone_else) = step(
        &canvas,
        &state,
        &profile,
        t0() + TimeDelta::hours(2),
        &[too_late],
    ) else {
        panic!("the window is over");
    };
    assert_eq!(everyone_else.path, EVERYONE_ELSE);
    assert_eq!(everyone_else.next.as_deref(), Some("Nudge"));
    assert_eq!(everyone_else.event_properties, None);
}

#[test]
fn ranked_action_paths_wait_for_the_window_then_take_the_highest_rank() {
    let canvas = canvas(&ACTION_PATHS.replace("RANKED", "true"));
    let state = enter(&canvas);
    let profile = lead("Lead", 0);
    let actions = [
        purchase_at(t0() + TimeDelta::minutes(10)),
        event_at("webinar_joined", t0() + TimeDelta::minutes(20), json!({})),
    ];
    assert_eq!(
        step(
            &canvas,
            &state,
            &profile,
            t0() + TimeDelta::minutes(30),
            &actions
        ),
        NextAction::WaitForAction {
            until: t0() + TimeDelta::hours(1)
        }
    );
    let NextAction::Move(chosen) = step(
        &canvas,
        &state,
        &profile,
        t0() + TimeDelta::hours(1),
        &actions,
    ) else {
        panic!("the window is over");
    };
    assert_eq!(
        chosen.path, "Webinar",
        "the higher-ranked group wins over the earlier action"
    );
}

#[test]
fn message_step_sends_and_exit_requests_apply_when_the_step_completes() {
    let canvas = canvas(
        r#"
        [[steps]]
        name = "Wait"
        type = "delay"
        duration = "1d"
        next = "Send"
        [[steps]]
        name = "Send"
        type = "message"
        template = "Create Lead"
        "#,
    );
    let mut state = enter(&canvas);
    let profile = lead("Lead", 0);
    state.request_exit();
    assert!(matches!(
        step(&canvas, &state, &profile, t0(), &[]),
        NextAction::WaitUntil(_)
    ));
    let later = t0() + TimeDelta::days(1);
    let NextAction::Move(done) = step(&canvas, &state, &profile, later, &[]) else {
        panic!("the delay is over");
    };
    state.follow(&canvas, done, later);
    assert!(matches!(
        state.position,
        Position::Exited {
            reason: ExitReason::ExitCriteria,
            ..
        }
    ));

    let mut at_message = enter(&canvas);
    at_message.position = Position::AtStep {
        step: "Send".into(),
    };
    assert!(matches!(
        step(&canvas, &at_message, &profile, t0(), &[]),
        NextAction::SendWebhook {
            template: "Create Lead",
            ..
        }
    ));
    at_message.request_exit();
    assert_eq!(
        step(&canvas, &at_message, &profile, t0(), &[]),
        NextAction::Exit(ExitReason::ExitCriteria)
    );
}

#[test]
fn a_removed_step_or_an_empty_canvas_exits_instead_of_failing() {
    let canvas = canvas("steps = []");
    let state = enter(&canvas);
    assert!(matches!(
        state.position,
        Position::Exited {
            reason: ExitReason::NoSteps,
            ..
        }
    ));
    let mut lost = at("Gone", t0());
    let scoring = lead_scoring();
    assert_eq!(
        step(&scoring, &lost, &lead("Lead", 0), t0(), &[]),
        NextAction::Exit(ExitReason::StepRemoved)
    );
    lost.position = Position::AtStep {
        step: "Add 5".into(),
    };
    lost.follow(
        &scoring,
        Transition {
            path: "next".into(),
            next: Some("Gone".into()),
            event_properties: None,
        },
        t0(),
    );
    assert!(matches!(
        lost.position,
        Position::Exited {
            reason: ExitReason::StepRemoved,
            ..
        }
    ));
}

#[test]
fn delivery_validations_exit_users_who_fail_them() {
    let canvas = canvas(
        r#"
        [[steps]]
        name = "Send"
        type = "message"
        template = "Update Lead to MQL"
        delivery_validations = [{ attribute = "lead_stage", op = "equals", value = "MQL" }]
        "#,
    );
    let state = enter(&canvas);
    assert_eq!(canvas.step_filters().len(), 1);
    assert_eq!(
        step(&canvas, &state, &lead("Lead", 0), t0(), &[]),
        NextAction::Exit(ExitReason::FailedDeliveryValidation)
    );
    assert!(matches!(
        step(&canvas, &state, &lead("MQL", 0), t0(), &[]),
        NextAction::SendWebhook {
            template: "Update Lead to MQL",
            ..
        }
    ));
}
