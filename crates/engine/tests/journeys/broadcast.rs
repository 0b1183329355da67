//! Broadcast API triggers (`broadcast: true`, no recipients): the campaign's or canvas's
//! audience over every profile, paged through by the workers.

use leadwire_engine::journeys::api::{ApiTrigger, trigger_campaign, trigger_canvas};
use serde_json::{Value, json};

use crate::harness::Harness;

const BROADCAST: &str = r#"
[[webhook_templates]]
name = "Hook"
url = "https://example.com/hook"
method = "POST"

[[campaigns]]
name = "Announce"
api_id = "announce"
template = "Hook"
delivery = "api_triggered"
audience = [{ attribute = "plan", op = "equals", value = "pro" }]

[[canvases]]
name = "Onboard"
api_id = "onboard"
entry_schedule = "api_triggered"
audience = [{ attribute = "plan", op = "equals", value = "pro" }]

[[canvases.steps]]
name = "Hello"
type = "message"
template = "Hook"
"#;

/// More profiles than one broadcast page holds; every third is on the pro plan.
const USERS: usize = 600;

async fn seed(h: &Harness) -> usize {
    let mut pro = 0;
    let users: Vec<Value> = (0..USERS)
        .map(|n| {
            let plan = if n % 3 == 0 { "pro" } else { "free" };
            pro += usize::from(plan == "pro");
            json!({"external_id": format!("u{n}"), "plan": plan})
        })
        .collect();
    for chunk in users.chunks(75) {
        h.track(json!({ "attributes": chunk })).await;
    }
    pro
}

fn request(body: Value, id_key: &str, properties_key: &str) -> ApiTrigger {
    ApiTrigger::parse(body.as_object().expect("object"), id_key, properties_key)
        .expect("a valid broadcast")
}

#[tokio::test]
async fn a_campaign_broadcast_sends_to_its_whole_audience_once() {
    let h = Harness::new(BROADCAST).await;
    let pro = seed(&h).await;
    h.run().await;
    let body =
        json!({"campaign_id": "announce", "broadcast": true, "trigger_properties": {"news": "v2"}});
    let dispatch = trigger_campaign(
        h.workers.journeys(),
        &request(body.clone(), "campaign_id", "trigger_properties"),
        h.now,
    )
    .await
    .expect("broadcast accepted");
    assert!(!dispatch.dispatch_id.is_empty());
    assert!(h.deliver().await.is_empty(), "the call only enqueues");
    h.run().await;
    let sends = h.deliver().await;
    assert_eq!(sends.len(), pro, "every pro user, over several pages");
    let mut users: Vec<_> = sends.iter().map(|send| send.user_id).collect();
    users.sort();
    users.dedup();
    assert_eq!(users.len(), pro, "nobody twice");
    assert_eq!(
        sends[0].api_trigger_properties,
        json!({"news": "v2"}).as_object().cloned()
    );

    // Re-eligibility applies as for listed recipients: "once" by default.
    trigger_campaign(
        h.workers.journeys(),
        &request(body, "campaign_id", "trigger_properties"),
        h.now,
    )
    .await
    .expect("broadcast accepted");
    h.run().await;
    assert!(h.deliver().await.is_empty());
    h.finish().await;
}

#[tokio::test]
async fn a_canvas_broadcast_enters_its_audience() {
    let h = Harness::new(BROADCAST).await;
    let pro = seed(&h).await;
    let body = json!({"canvas_id": "onboard", "broadcast": true, "context": {"wave": 1}});
    trigger_canvas(
        h.workers.journeys(),
        &request(body, "canvas_id", "context"),
        h.now,
    )
    .await
    .expect("broadcast accepted");
    h.run().await;
    let sends = h.deliver().await;
    assert_eq!(sends.len(), pro);
    assert_eq!(
        sends[0].canvas_entry_properties,
        json!({"wave": 1}).as_object().cloned()
    );
    assert_eq!(h.entries("u0", "onboard").await.len(), 1);
    assert!(
        h.entries("u1", "onboard").await.is_empty(),
        "not in the audience"
    );
    h.finish().await;
}
