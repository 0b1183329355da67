//! Re-entry: several entries at an unranked Action Paths step (deduplicated on an action,
//! all down Everyone Else without one), and exited entries pruned
//! past their retention without reopening a "once" canvas.

use chrono::TimeDelta;
use leadwire_core::canvas::{ExitReason, Position};
use leadwire_core::time::Interval;
use serde_json::json;

use crate::harness::Harness;

const SCORING: &str = r#"
[workers]
canvas_entry_retention = "1d"

[[canvases]]
name = "Scoring"
entry_triggers = [{ type = "perform_custom_event", event = "enter" }]
allow_reentry_after = "0s"

[[canvases.steps]]
name = "Score"
type = "action_paths"
window = "1h"
ranked = RANKED
everyone_else = "Inactive"
groups = [{ name = "Webinar", next = "Plus five", triggers = [{ type = "perform_custom_event", event = "webinar" }] }]

[[canvases.steps]]
name = "Plus five"
type = "user_update"
updates = [{ attribute = "score", action = "increment", value = 5 }]

[[canvases.steps]]
name = "Inactive"
type = "user_update"
updates = [{ attribute = "score", action = "decrement", value = 1 }]
"#;

fn exit_reason(position: &Position) -> Option<&ExitReason> {
    match position {
        Position::Exited { reason, .. } => Some(reason),
        Position::AtStep { .. } => None,
    }
}

/// Two entries of `u1` waiting at the unranked step, the second a minute after the first.
async fn two_waiting_entries() -> Harness {
    let mut h = Harness::new(&SCORING.replace("RANKED", "false")).await;
    for _ in 0..2 {
        h.track(json!({"events": [{"external_id": "u1", "name": "enter"}]}))
            .await;
        h.run().await;
        h.advance(TimeDelta::minutes(1));
    }
    let entries = h.entries("u1", "Scoring").await;
    assert_eq!(entries.len(), 2);
    assert!(
        entries.iter().all(|entry| entry.awaiting_action),
        "both entries wait: {entries:#?}"
    );
    h
}

#[tokio::test]
async fn an_action_at_an_unranked_action_paths_step_advances_one_entry_and_deduplicates_the_other()
{
    let mut h = two_waiting_entries().await;
    // One action advances the user once; the window's end sends nobody down Everyone Else.
    h.track(json!({"events": [{"external_id": "u1", "name": "webinar"}]}))
        .await;
    h.run().await;
    let entries = h.entries("u1", "Scoring").await;
    let reasons: Vec<_> = entries
        .iter()
        .map(|entry| exit_reason(&entry.state.position).cloned())
        .collect();
    assert_eq!(
        reasons,
        [Some(ExitReason::PathEnded), Some(ExitReason::Deduplicated)],
        "the earliest entry took the action"
    );
    h.advance(TimeDelta::hours(2));
    h.run().await;
    assert_eq!(h.profile("u1").await.custom["score"], json!(5));
    h.finish().await;
}

#[tokio::test]
async fn without_an_action_every_entry_goes_down_everyone_else() {
    let mut h = two_waiting_entries().await;
    h.advance(TimeDelta::hours(2));
    h.run().await;
    assert_eq!(
        h.profile("u1").await.custom["score"],
        json!(-2),
        "no deduplication without an action: both entries took Everyone Else"
    );
    let entries = h.entries("u1", "Scoring").await;
    assert!(
        entries
            .iter()
            .all(|entry| exit_reason(&entry.state.position) == Some(&ExitReason::PathEnded)),
        "{entries:#?}"
    );
    h.finish().await;
}

#[tokio::test]
async fn ranked_action_paths_keep_every_entry() {
    let mut h = Harness::new(&SCORING.replace("RANKED", "true")).await;
    for _ in 0..2 {
        h.track(json!({"events": [{"external_id": "u1", "name": "enter"}]}))
            .await;
        h.run().await;
    }
    h.track(json!({"events": [{"external_id": "u1", "name": "webinar"}]}))
        .await;
    h.run().await;
    h.advance(TimeDelta::hours(1));
    h.run().await;
    assert_eq!(
        h.profile("u1").await.custom["score"],
        json!(10),
        "both entries saw the action"
    );
    h.finish().await;
}

/// `[workers] canvas_entry_retention` for the pruning test.
const ONE_DAY: Interval = Interval::from_seconds(86_400);

const ONCE: &str = r#"
[[canvases]]
name = "Once"
entry_triggers = [{ type = "perform_custom_event", event = "enter" }]

[[canvases.steps]]
name = "Mark"
type = "user_update"
updates = [{ attribute = "marked", action = "set", value = true }]
"#;

#[tokio::test]
async fn exited_entries_are_pruned_after_their_retention_and_once_still_holds() {
    let mut h = Harness::new(ONCE).await;
    h.track(json!({"events": [{"external_id": "u1", "name": "enter"}]}))
        .await;
    h.run().await;
    let journeys = h.workers.journeys().clone();
    assert_eq!(
        journeys
            .prune_exited_entries(h.now, ONE_DAY)
            .await
            .expect("prune"),
        0
    );
    assert_eq!(h.entries("u1", "Once").await.len(), 1, "kept a day");
    h.advance(TimeDelta::days(1) + TimeDelta::seconds(1));
    assert_eq!(
        journeys
            .prune_exited_entries(h.now, ONE_DAY)
            .await
            .expect("prune"),
        1
    );
    assert!(h.entries("u1", "Once").await.is_empty());

    h.track(json!({"events": [{"external_id": "u1", "name": "enter"}]}))
        .await;
    h.run().await;
    assert!(
        h.entries("u1", "Once").await.is_empty(),
        "re-entry control remembers the entry after pruning"
    );
    h.finish().await;
}
