//! The seed's flows from `examples/salesforce-leads.toml`: the new-lead campaign and the
//! lead-scoring Canvas up to the "Update Lead to MQL" send, plus a restart in a Delay.

use chrono::TimeDelta;
use leadwire_core::activity::MessageSource;
use leadwire_core::canvas::{ExitReason, Position};
use serde_json::json;

use crate::harness::Harness;

const EXAMPLE: &str = include_str!("../../../../examples/salesforce-leads.toml");
const SCORING: &str = "Lead Scoring Canvas";

#[tokio::test]
async fn lead_scoring_promotes_a_lead_to_mql_and_sends_the_update() {
    lead_scoring(Harness::new(EXAMPLE).await).await;
}

#[tokio::test]
async fn lead_scoring_on_postgres() {
    if let Some(harness) = Harness::postgres(EXAMPLE).await {
        lead_scoring(harness).await;
    }
}

#[tokio::test]
async fn restart_on_postgres() {
    if let Some(harness) = Harness::postgres(DELAYED).await {
        restart_in_delay(harness).await;
    }
}

async fn lead_scoring(mut h: Harness) {
    h.track(json!({"attributes": [{
        "external_id": "lead-1", "email": "ada@example.com", "first_name": "Ada",
        "last_name": "Lovelace", "company": "Analytical", "lead_stage": "Lead", "lead_score": 48
    }]}))
    .await;
    h.run().await;

    let sends = h.deliver().await;
    assert_eq!(
        sends.len(),
        1,
        "the new-lead campaign sends once: {sends:?}"
    );
    assert_eq!(sends[0].template, "Create Lead");
    assert_eq!(
        sends[0].source,
        MessageSource::Campaign {
            campaign: "New lead to Salesforce".into()
        }
    );
    let waiting = h.entries("lead-1", SCORING).await;
    assert_eq!(
        waiting.len(),
        2,
        "email added and lead_score set each enter (re-entry 0s)"
    );
    assert!(
        waiting.iter().all(|entry| entry.awaiting_action),
        "both entries wait at the unranked Action Paths step: {waiting:#?}"
    );

    h.advance(TimeDelta::minutes(10));
    h.track(json!({"events": [{"external_id": "lead-1", "name": "demo_requested"}]}))
        .await;
    h.run().await;

    let profile = h.profile("lead-1").await;
    assert_eq!(profile.custom["lead_score"], json!(53));
    assert_eq!(profile.custom["lead_stage"], json!("MQL"));
    let sends = h.deliver().await;
    assert_eq!(sends.len(), 1, "{sends:?}");
    assert_eq!(sends[0].template, "Update Lead to MQL");
    assert_eq!(sends[0].user_id, profile.id);
    assert_eq!(
        sends[0].source,
        MessageSource::Canvas {
            canvas: SCORING.into(),
            step: "Update Lead to MQL".into()
        }
    );
    assert!(sends[0].follow_up.is_some());

    // The send finished: the user leaves the canvas at the end of the path.
    h.run().await;
    let entries = h.entries("lead-1", SCORING).await;
    let promoted = &entries[0];
    let path: Vec<(&str, &str)> = promoted
        .state
        .history
        .iter()
        .map(|step| (step.step.as_str(), step.path.as_str()))
        .collect();
    assert_eq!(
        path,
        vec![
            ("Score engagement", "High intent"),
            ("Add 5 points", "next"),
            ("MQL Threshold check", "MQL Threshold"),
            ("Mark as MQL", "next"),
            ("Update Lead to MQL", "next"),
        ]
    );
    assert!(matches!(
        promoted.state.position,
        Position::Exited {
            reason: ExitReason::PathEnded,
            ..
        }
    ));
    assert!(
        matches!(
            entries[1].state.position,
            Position::Exited {
                reason: ExitReason::Deduplicated,
                ..
            }
        ),
        "the action advanced the earliest entry and deduplicated the other: {entries:#?}"
    );
    // The score change re-entered the canvas: that entry waits for the next action.
    let waiting = entries.iter().filter(|entry| entry.awaiting_action).count();
    assert_eq!(waiting, 1, "{entries:#?}");

    // A day without action: everyone still waiting goes down Everyone Else and exits.
    h.advance(TimeDelta::days(1));
    h.run().await;
    let entries = h.entries("lead-1", SCORING).await;
    assert!(
        entries.iter().all(|entry| !entry.is_active()),
        "{entries:#?}"
    );
    assert!(h.deliver().await.is_empty(), "nothing else is sent");
    h.finish().await;
}

#[tokio::test]
async fn below_the_threshold_the_score_rises_and_the_user_exits() {
    let mut h = Harness::new(EXAMPLE).await;
    h.track(
        json!({"attributes": [{"external_id": "lead-2", "lead_stage": "Lead", "lead_score": 1}]}),
    )
    .await;
    h.run().await;
    for event in ["webinar_registered", "content_downloaded"] {
        h.advance(TimeDelta::minutes(1));
        h.track(json!({"events": [{"external_id": "lead-2", "name": event}]}))
            .await;
        h.run().await;
    }
    let profile = h.profile("lead-2").await;
    assert_eq!(profile.custom["lead_score"], json!(3));
    assert_eq!(profile.custom["lead_stage"], json!("Lead"));
    assert!(h.deliver().await.is_empty());
    h.finish().await;
}

const DELAYED: &str = r#"
[[webhook_templates]]
name = "Ping"
url = "https://example.com/ping"
method = "POST"

[[canvases]]
name = "Nurture"
entry_triggers = [{ type = "perform_custom_event", event = "signed_up" }]

[[canvases.steps]]
name = "Wait a day"
type = "delay"
duration = "1d"
next = "Ping"

[[canvases.steps]]
name = "Ping"
type = "message"
template = "Ping"
"#;

#[tokio::test]
async fn a_user_waiting_in_a_delay_continues_after_a_restart() {
    restart_in_delay(Harness::new(DELAYED).await).await;
}

async fn restart_in_delay(mut h: Harness) {
    h.track(json!({"events": [{"external_id": "u1", "name": "signed_up", "properties": {"plan": "pro"}}]}))
        .await;
    h.run().await;
    h.advance(TimeDelta::hours(23));
    h.run().await;
    assert!(h.deliver().await.is_empty(), "still in the Delay");

    let mut h = h.restart().await;
    h.advance(TimeDelta::hours(1));
    h.run().await;
    let sends = h.deliver().await;
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].template, "Ping");
    assert_eq!(
        sends[0].canvas_entry_properties,
        Some(
            json!({"plan": "pro"})
                .as_object()
                .cloned()
                .unwrap_or_default()
        )
    );
    h.finish().await;
}
