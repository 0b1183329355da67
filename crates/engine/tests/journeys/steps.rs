//! Every canvas step type, entry and exit driven step by step with the harness's clock.

use chrono::TimeDelta;
use leadwire_core::canvas::{ExitReason, Position};
use serde_json::json;

use crate::harness::Harness;

fn paths(entry: &leadwire_store::CanvasEntry) -> Vec<(String, String)> {
    entry
        .state
        .history
        .iter()
        .map(|step| (step.step.clone(), step.path.clone()))
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(step, path)| ((*step).to_owned(), (*path).to_owned()))
        .collect()
}

const SPLITS: &str = r#"
[[webhook_templates]]
name = "Hook"
url = "https://example.com/hook"
method = "POST"

[[canvases]]
name = "Splits"
entry_triggers = [{ type = "perform_custom_event", event = "go" }]
allow_reentry_after = "0s"

[[canvases.steps]]
name = "Tier"
type = "audience_paths"
everyone_else = "Is customer"
groups = [
    { name = "Enterprise", next = "Hook", filters = [{ attribute = "employees", op = "greater_than", value = 1000 }] },
    { name = "Mid-market", next = "Hook", filters = [{ attribute = "employees", op = "greater_than", value = 100 }] },
]

[[canvases.steps]]
name = "Is customer"
type = "decision_split"
filters = [{ attribute = "customer", op = "equals", value = true }]
yes = "Hook"

[[canvases.steps]]
name = "Hook"
type = "message"
template = "Hook"
"#;

#[tokio::test]
async fn audience_paths_take_the_first_matching_group_and_decision_split_answers() {
    let h = Harness::new(SPLITS).await;
    h.track(json!({"attributes": [
        {"external_id": "big", "employees": 5000},
        {"external_id": "mid", "employees": 500},
        {"external_id": "customer", "customer": true},
        {"external_id": "wrong-type", "employees": "many", "customer": "yes"},
    ]}))
    .await;
    for user in ["big", "mid", "customer", "wrong-type"] {
        h.track(json!({"events": [{"external_id": user, "name": "go"}]}))
            .await;
    }
    h.run().await;
    let sends = h.deliver().await;
    assert_eq!(sends.len(), 3, "{sends:?}");
    h.run().await;
    let expect = [
        ("big", vec![("Tier", "Enterprise"), ("Hook", "next")]),
        ("mid", vec![("Tier", "Mid-market"), ("Hook", "next")]),
        (
            "customer",
            vec![
                ("Tier", "Everyone Else"),
                ("Is customer", "Yes"),
                ("Hook", "next"),
            ],
        ),
        // Wrong types make comparisons false: Everyone Else, then No (no next step: exit).
        (
            "wrong-type",
            vec![("Tier", "Everyone Else"), ("Is customer", "No")],
        ),
    ];
    for (user, expected) in expect {
        let entries = h.entries(user, "Splits").await;
        assert_eq!(entries.len(), 1);
        assert_eq!(paths(&entries[0]), pairs(&expected), "{user}");
        assert!(
            !entries[0].is_active(),
            "{user} exited at the end of the path"
        );
    }
    h.finish().await;
}

const UPDATES: &str = r#"
[[canvases]]
name = "Updates"
entry_schedule = "api_triggered"

[[canvases.steps]]
name = "Update"
type = "user_update"
updates = [
    { attribute = "plan", action = "set", value = "{{canvas_entry_properties.${plan}}}" },
    { attribute = "visits", action = "increment", value = 2 },
    { attribute = "credits", action = "decrement", value = "{{context.${cost}}}" },
    { attribute = "tags", action = "add", value = ["new", "trial"] },
    { attribute = "old_tags", action = "remove", value = "legacy" },
]
json = '{"attributes": [{"greeting": "Hi {{${first_name}}}"}], "events": [{"name": "updated", "time": "2026-01-01T00:00:00Z"}]}'
next = "Bad increment"

[[canvases.steps]]
name = "Bad increment"
type = "user_update"
updates = [{ attribute = "visits", action = "increment", value = "{{${missing}}}" }]
next = "Check"

[[canvases.steps]]
name = "Check"
type = "decision_split"
filters = [{ attribute = "plan", op = "equals", value = "pro" }]
"#;

#[tokio::test]
async fn user_update_applies_every_action_and_the_composer_and_bad_values_do_not_stop_it() {
    let h = Harness::new(UPDATES).await;
    h.track(json!({"attributes": [{
        "external_id": "u1", "first_name": "Ada", "visits": 1, "credits": 10,
        "old_tags": ["legacy", "keep"]
    }]}))
    .await;
    let body = json!({
        "canvas_id": "Updates",
        "context": {"plan": "pro", "cost": "3"},
        "recipients": [{"external_user_id": "u1"}]
    });
    let request = leadwire_engine::journeys::api::ApiTrigger::parse(
        body.as_object().expect("an object"),
        "canvas_id",
        "context",
    )
    .expect("a valid request");
    let dispatch =
        leadwire_engine::journeys::api::trigger_canvas(h.workers.journeys(), &request, h.now)
            .await
            .expect("trigger");
    assert_eq!(dispatch.accepted, 1);
    h.run().await;
    let profile = h.profile("u1").await;
    assert_eq!(profile.custom["plan"], json!("pro"));
    assert_eq!(profile.custom["visits"], json!(3));
    assert_eq!(profile.custom["credits"], json!(7));
    assert_eq!(profile.custom["tags"], json!(["new", "trial"]));
    assert_eq!(profile.custom["old_tags"], json!(["keep"]));
    assert_eq!(profile.custom["greeting"], json!("Hi Ada"));
    let events = h
        .store
        .events(profile.id, Some("updated"), None)
        .await
        .expect("events");
    assert_eq!(events.len(), 1, "the composer's event was recorded");
    let entries = h.entries("u1", "Updates").await;
    assert_eq!(
        paths(&entries[0]),
        pairs(&[
            ("Update", "next"),
            ("Bad increment", "next"),
            ("Check", "Yes")
        ]),
        "the blank increment was skipped and the user moved on; the next step saw the new plan"
    );
    h.finish().await;
}

const ACTIONS: &str = r#"
[[canvases]]
name = "Actions"
entry_triggers = [{ type = "perform_custom_event", event = "enter" }]
exit_events = [{ type = "perform_custom_event", event = "unsubscribe" }]

[[canvases.steps]]
name = "Wait for action"
type = "action_paths"
window = "2h"
ranked = RANKED
everyone_else = "Idle"
groups = [
    { name = "Bought", next = "Thanks", triggers = [{ type = "make_purchase" }] },
    { name = "Clicked", next = "Thanks", triggers = [{ type = "perform_custom_event", event = "click", property_filters = [{ property = "button", op = "equals", value = "buy" }] }] },
]

[[canvases.steps]]
name = "Thanks"
type = "user_update"
updates = [{ attribute = "last_action", action = "set", value = "{{event_properties.${button}}}" }]

[[canvases.steps]]
name = "Idle"
type = "delay"
duration = "1h"
next = "Nudge"

[[canvases.steps]]
name = "Nudge"
type = "user_update"
updates = [{ attribute = "nudged", action = "set", value = true }]
"#;

#[tokio::test]
async fn unranked_action_paths_advance_on_the_first_matching_action() {
    let mut h = Harness::new(&ACTIONS.replace("RANKED", "false")).await;
    h.track(json!({"events": [{"external_id": "u1", "name": "enter"}]}))
        .await;
    h.run().await;
    h.advance(TimeDelta::minutes(5));
    h.track(json!({"events": [{"external_id": "u1", "name": "click", "properties": {"button": "later"}}]}))
        .await;
    h.run().await;
    assert!(
        h.entries("u1", "Actions").await[0].awaiting_action,
        "a non-matching click waits on"
    );
    h.advance(TimeDelta::minutes(5));
    h.track(json!({"events": [{"external_id": "u1", "name": "click", "properties": {"button": "buy"}}]}))
        .await;
    h.run().await;
    let entry = &h.entries("u1", "Actions").await[0];
    assert_eq!(
        paths(entry),
        pairs(&[("Wait for action", "Clicked"), ("Thanks", "next")])
    );
    assert_eq!(h.profile("u1").await.custom["last_action"], json!("buy"));
    // The window's timer fires later and finds the entry moved on: nothing happens.
    h.advance(TimeDelta::hours(3));
    h.run().await;
    assert_eq!(h.profile("u1").await.custom.get("nudged"), None);
    h.finish().await;
}

#[tokio::test]
async fn ranked_action_paths_wait_for_the_window_and_take_the_highest_group() {
    let mut h = Harness::new(&ACTIONS.replace("RANKED", "true")).await;
    h.track(json!({"events": [{"external_id": "u1", "name": "enter"}]}))
        .await;
    h.run().await;
    h.advance(TimeDelta::minutes(5));
    h.track(json!({"events": [{"external_id": "u1", "name": "click", "properties": {"button": "buy"}}]}))
        .await;
    h.run().await;
    h.advance(TimeDelta::minutes(5));
    h.track(json!({"purchases": [{"external_id": "u1", "product_id": "plan", "currency": "USD", "price": 10}]}))
        .await;
    h.run().await;
    assert!(
        h.entries("u1", "Actions").await[0].awaiting_action,
        "held until the window ends"
    );
    h.advance(TimeDelta::hours(2));
    h.run().await;
    let entry = &h.entries("u1", "Actions").await[0];
    assert_eq!(
        paths(entry),
        pairs(&[("Wait for action", "Bought"), ("Thanks", "next")]),
        "Bought ranks above Clicked even though the click came first"
    );
    h.finish().await;
}

#[tokio::test]
async fn no_action_in_the_window_goes_to_everyone_else_then_a_delay() {
    let mut h = Harness::new(&ACTIONS.replace("RANKED", "false")).await;
    h.track(json!({"events": [{"external_id": "u1", "name": "enter"}]}))
        .await;
    h.run().await;
    h.advance(TimeDelta::hours(2));
    h.run().await;
    let entry = &h.entries("u1", "Actions").await[0];
    assert_eq!(paths(entry), pairs(&[("Wait for action", "Everyone Else")]));
    assert_eq!(entry.state.current_step(), Some("Idle"));
    h.advance(TimeDelta::minutes(59));
    h.run().await;
    assert_eq!(
        h.profile("u1").await.custom.get("nudged"),
        None,
        "still in the Delay"
    );
    h.advance(TimeDelta::minutes(1));
    h.run().await;
    assert_eq!(h.profile("u1").await.custom["nudged"], json!(true));
    h.finish().await;
}

#[tokio::test]
async fn an_exit_event_removes_the_user_when_the_current_step_completes() {
    let mut h = Harness::new(&ACTIONS.replace("RANKED", "false")).await;
    h.track(json!({"events": [{"external_id": "u1", "name": "enter"}]}))
        .await;
    h.run().await;
    h.advance(TimeDelta::minutes(1));
    h.track(json!({"events": [{"external_id": "u1", "name": "unsubscribe"}]}))
        .await;
    h.run().await;
    let entry = &h.entries("u1", "Actions").await[0];
    assert!(
        entry.is_active(),
        "still waiting: the step has not completed"
    );
    assert!(entry.state.exit_requested);
    h.advance(TimeDelta::hours(2));
    h.run().await;
    let entry = &h.entries("u1", "Actions").await[0];
    assert!(matches!(
        entry.state.position,
        Position::Exited {
            reason: ExitReason::ExitCriteria,
            ..
        }
    ));
    assert_eq!(h.profile("u1").await.custom.get("nudged"), None);
    // Re-entry is off: entering again does nothing.
    h.track(json!({"events": [{"external_id": "u1", "name": "enter"}]}))
        .await;
    h.run().await;
    assert_eq!(h.entries("u1", "Actions").await.len(), 1);
    h.finish().await;
}
