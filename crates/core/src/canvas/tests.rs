//! Tests for canvas declarations, entry, and the step machine, driven with an explicit clock.

mod actions;
mod counts;
mod steps;
mod user_update;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::*;
use crate::filters::{FilterContext, NoEvents};
use crate::profile::Profile;
use crate::trigger::TriggerEvent;

/// The seed's lead-scoring canvas, shortened to what the tests need.
const LEAD_SCORING: &str = r#"
name = "Lead Scoring Canvas"
entry_triggers = [
    { type = "change_custom_attribute_value", attribute = "lead_score" },
    { type = "add_email_address" },
]
allow_reentry_after = "0s"
exit_events = [{ type = "perform_custom_event", event = "unsubscribed" }]

[[steps]]
name = "Score activity"
type = "action_paths"
window = "1d"
everyone_else = "Inactive"
groups = [
    { name = "Engaged", triggers = [{ type = "perform_custom_event", event = "webinar_joined" }], next = "Add 5" },
    { name = "Bought", triggers = [{ type = "make_purchase" }], next = "Add 5" },
]

[[steps]]
name = "Add 5"
type = "user_update"
updates = [{ attribute = "lead_score", action = "increment", value = 5 }]
next = "MQL Check"

[[steps]]
name = "Inactive"
type = "user_update"
updates = [{ attribute = "lead_score", action = "decrement", value = 1 }]

[[steps]]
name = "MQL Check"
type = "audience_paths"
groups = [
    { name = "MQL Threshold", next = "Mark MQL", filters = [
        { attribute = "lead_stage", op = "equals", value = "Lead" },
        { attribute = "lead_score", op = "greater_than", value = 50 },
    ] },
]

[[steps]]
name = "Mark MQL"
type = "user_update"
updates = [{ attribute = "lead_stage", action = "set", value = "MQL" }]
next = "Update Lead to MQL"

[[steps]]
name = "Update Lead to MQL"
type = "message"
template = "Update Lead to MQL"
"#;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .expect("valid time")
}

fn lead_scoring() -> Canvas {
    toml::from_str(LEAD_SCORING).expect("valid canvas")
}

fn lead(stage: &str, score: i64) -> Profile {
    let mut profile = Profile::new(Uuid::nil(), t0());
    profile.custom.insert("lead_stage".into(), json!(stage));
    profile.custom.insert("lead_score".into(), json!(score));
    profile
}

fn at(step: &str, arrived_at: DateTime<Utc>) -> CanvasUserState {
    let mut state = CanvasUserState::enter(&lead_scoring(), arrived_at, Map::new());
    state.position = Position::AtStep { step: step.into() };
    state
}

fn step<'c>(
    canvas: &'c Canvas,
    state: &CanvasUserState,
    profile: &Profile,
    now: DateTime<Utc>,
    actions: &[TimedEvent],
) -> NextAction<'c> {
    advance(
        canvas,
        state,
        &AdvanceInput {
            profile,
            history: &NoEvents,
            now,
            actions,
        },
    )
}

fn event_at(name: &str, time: DateTime<Utc>, properties: Value) -> TimedEvent {
    TimedEvent {
        time,
        event: TriggerEvent::CustomEventPerformed {
            name: name.into(),
            properties: properties.as_object().cloned().unwrap_or_default(),
            time,
        },
    }
}

#[test]
fn entry_matches_triggers_and_reentry_after_zero_seconds() {
    let canvas = lead_scoring();
    let profile = lead("Lead", 10);
    let context = FilterContext {
        profile: &profile,
        history: &NoEvents,
        now: t0(),
    };
    let score_changed = TriggerEvent::CustomAttributeChanged {
        name: "lead_score".into(),
        old: Some(json!(10)),
        new: json!(15),
    };
    assert_eq!(
        canvas.on_trigger(&score_changed, &context, None),
        EntryDecision::Enter
    );
    assert_eq!(
        canvas.on_trigger(&score_changed, &context, Some(t0())),
        EntryDecision::Enter,
        "0s re-entry"
    );
    let stage_changed = TriggerEvent::CustomAttributeChanged {
        name: "lead_stage".into(),
        old: None,
        new: json!("Lead"),
    };
    assert_eq!(
        canvas.on_trigger(&stage_changed, &context, None),
        EntryDecision::Skip(EntrySkip::TriggerDidNotMatch)
    );
    assert_eq!(
        canvas.on_api_trigger(&context, None),
        EntryDecision::Skip(EntrySkip::WrongEntrySchedule)
    );
}

#[test]
fn entry_without_reentry_is_once_and_audience_is_checked_first() {
    let mut canvas = lead_scoring();
    canvas.allow_reentry_after = None;
    canvas.audience = toml::from_str::<
        std::collections::HashMap<String, Vec<crate::filters::Filter>>,
    >(r#"a = [{ attribute = "employee", op = "does_not_exist" }]"#)
    .expect("valid")
    .remove("a")
    .unwrap_or_default();
    let email = TriggerEvent::EmailAdded {
        email: "a@example.com".into(),
    };
    let mut profile = lead("Lead", 0);
    let context = FilterContext {
        profile: &profile,
        history: &NoEvents,
        now: t0(),
    };
    assert_eq!(
        canvas.on_trigger(&email, &context, Some(t0() - TimeDelta::days(300))),
        EntryDecision::Skip(EntrySkip::ReEntryNotAllowed { allowed_at: None })
    );
    assert_eq!(
        canvas.on_trigger(&email, &context, None),
        EntryDecision::Enter
    );
    profile.custom.insert("employee".into(), json!(true));
    let context = FilterContext {
        profile: &profile,
        history: &NoEvents,
        now: t0(),
    };
    assert_eq!(
        canvas.on_trigger(&email, &context, None),
        EntryDecision::Skip(EntrySkip::NotInAudience)
    );
    canvas.allow_reentry_after = Some(crate::time::Interval::from_seconds(60));
    assert_eq!(
        canvas.on_trigger(&email, &context, Some(t0() - TimeDelta::seconds(30))),
        EntryDecision::Skip(EntrySkip::ReEntryNotAllowed {
            allowed_at: Some(t0() + TimeDelta::seconds(30))
        })
    );
}

#[test]
fn a_full_journey_through_the_lead_scoring_canvas() {
    let canvas = lead_scoring();
    let mut profile = lead("Lead", 48);
    let mut state = CanvasUserState::enter(&canvas, t0(), Map::new());
    assert_eq!(state.current_step(), Some("Score activity"));

    let waiting = step(&canvas, &state, &profile, t0(), &[]);
    assert_eq!(
        waiting,
        NextAction::WaitForAction {
            until: t0() + TimeDelta::days(1)
        }
    );

    let joined = event_at(
        "webinar_joined",
        t0() + TimeDelta::hours(2),
        json!({"topic": "pipelines"}),
    );
    let now = t0() + TimeDelta::hours(2);
    let NextAction::Move(chosen) = step(
        &canvas,
        &state,
        &profile,
        now,
        std::slice::from_ref(&joined),
    ) else {
        panic!("an action should choose a path");
    };
    assert_eq!(chosen.path, "Engaged");
    state.follow(&canvas, chosen, now);
    assert_eq!(state.current_step(), Some("Add 5"));
    assert_eq!(
        state.event_properties,
        Some(
            json!({"topic": "pipelines"})
                .as_object()
                .cloned()
                .unwrap_or_default()
        )
    );

    let NextAction::UpdateUser { step: update, then } = step(&canvas, &state, &profile, now, &[])
    else {
        panic!("expected a user update");
    };
    let resolved = update
        .resolve(&mut |text| Ok(text.to_owned()))
        .expect("resolvable");
    assert_eq!(
        Value::Object(resolved.attributes),
        json!({"lead_score": {"inc": 5}})
    );
    profile.custom.insert("lead_score".into(), json!(53));
    state.follow(&canvas, then, now);

    let NextAction::Move(threshold) = step(&canvas, &state, &profile, now, &[]) else {
        panic!("audience paths decide at once");
    };
    assert_eq!(threshold.path, "MQL Threshold");
    state.follow(&canvas, threshold, now);
    let NextAction::UpdateUser { then, .. } = step(&canvas, &state, &profile, now, &[]) else {
        panic!("expected the MQL update");
    };
    state.follow(&canvas, then, now);
    let NextAction::SendWebhook { template, then } = step(&canvas, &state, &profile, now, &[])
    else {
        panic!("expected the webhook");
    };
    assert_eq!(template, "Update Lead to MQL");
    state.follow(&canvas, then, now);
    assert_eq!(
        state.position,
        Position::Exited {
            reason: ExitReason::PathEnded,
            at: now,
            step: None,
        }
    );
    assert_eq!(
        state.event_properties, None,
        "cleared after the Message step"
    );
    let paths: Vec<&str> = state
        .history
        .iter()
        .map(|entry| entry.path.as_str())
        .collect();
    assert_eq!(paths, ["Engaged", "next", "MQL Threshold", "next", "next"]);
    assert_eq!(
        step(&canvas, &state, &profile, now, &[]),
        NextAction::Exit(ExitReason::PathEnded)
    );
}

#[test]
fn state_round_trips_through_json() {
    let canvas = lead_scoring();
    let mut state = CanvasUserState::enter(
        &canvas,
        t0(),
        json!({"source": "api"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    state.follow(
        &canvas,
        Transition {
            path: "Engaged".into(),
            next: Some("Add 5".into()),
            event_properties: None,
        },
        t0(),
    );
    let text = serde_json::to_string(&state).expect("serializable");
    let back: CanvasUserState = serde_json::from_str(&text).expect("deserializable");
    assert_eq!(back, state);
}
