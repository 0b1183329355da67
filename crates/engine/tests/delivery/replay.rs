//! Replaying a failed send renders it with the trigger properties of the original send; a
//! send a later attempt delivered is not replayed.

use leadwire_core::activity::ActivityType;
use leadwire_engine::delivery::DeliverySettings;
use leadwire_engine::delivery::replay::{ReplayError, replay};
use serde_json::{Map, Value, json};

use crate::harness::{ClockNow, start};

/// An upsert that echoes each kind of trigger property in a header (headers are kept in
/// the activity log, so the test can read what was sent).
const ECHO: &str = r#"
[[webhook_templates]]
name = "Echo Lead"
connection = "emulator"
url = "{{connections.emulator.instance_url}}/services/data/v60.0/sobjects/Lead/Leadwire_Id__c/{{${user_id}}}"
method = "PATCH"
[webhook_templates.headers]
Authorization = "Bearer {{connections.emulator.access_token}}"
X-Trigger = "{{event_properties.${plan}}}|{{api_trigger_properties.${source}}}|{{canvas_entry_properties.${region}}}"
[webhook_templates.body.json]
LastName = "{{${last_name}}}"
Company = "{{custom_attribute.${company}}}"
"#;

fn object(value: Value) -> Option<Map<String, Value>> {
    value.as_object().cloned()
}

fn trigger_header(entry: &leadwire_core::activity::ActivityEntry) -> Option<String> {
    entry
        .request
        .as_ref()?
        .headers
        .iter()
        .find(|(name, _)| name == "X-Trigger")
        .map(|(_, value)| value.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_renders_with_the_original_trigger_properties() {
    let no_retries = DeliverySettings {
        retry_delays: Vec::new(),
        ..DeliverySettings::default()
    };
    let harness = start(ECHO, no_retries).await;
    // A first send caches the token, so the injected failure hits the lead call.
    harness.enqueue_sends(1, "Echo Lead", false).await;
    harness.worker.drain().await.expect("drain");
    harness
        .enqueue_sends_with(1, "Echo Lead", false, |task| {
            task.event_properties = object(json!({"plan": "Gold"}));
            task.api_trigger_properties = object(json!({"source": "webinar"}));
            task.canvas_entry_properties = object(json!({"region": "EMEA"}));
        })
        .await;
    harness
        .emulator
        .state()
        .fail_next(1, 503)
        .expect("valid fault");
    harness.worker.drain().await.expect("drain");

    let activity = harness.activity().await;
    assert_eq!(activity.len(), 2, "{activity:?}");
    assert_eq!(
        trigger_header(&activity[1]).as_deref(),
        Some("||"),
        "the first send had no properties"
    );
    let failed = &activity[0];
    assert_eq!(failed.activity_type, ActivityType::WebhookError);
    assert_eq!(failed.status, Some(503));
    assert_eq!(trigger_header(failed).as_deref(), Some("Gold|webinar|EMEA"));
    let kept = failed.trigger_properties.as_ref().expect("properties kept");
    assert_eq!(kept.event_properties, object(json!({"plan": "Gold"})));

    let replayed = replay(
        harness.store.as_ref(),
        failed.id,
        harness.clock.now_for_tests(),
    )
    .await
    .expect("replayed");
    assert_ne!(replayed.send_id, failed.send_id, "a replay is a new send");
    harness.worker.drain().await.expect("drain");

    let activity = harness.activity().await;
    let delivered = activity
        .iter()
        .find(|entry| entry.send_id == replayed.send_id)
        .expect("the replay was attempted");
    assert_eq!(delivered.activity_type, ActivityType::Success);
    assert_eq!(
        trigger_header(delivered).as_deref(),
        Some("Gold|webinar|EMEA"),
        "the replay renders the original properties"
    );
    assert_eq!(
        delivered.trigger_properties, None,
        "success entries carry no properties"
    );
    assert_eq!(harness.emulator.state().lead_count(), 2);
    harness.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_delivered_by_a_later_attempt_is_not_replayed() {
    let harness = start(ECHO, DeliverySettings::default()).await;
    harness.enqueue_sends(1, "Echo Lead", false).await;
    harness.worker.drain().await.expect("drain");
    let delivered = harness.activity().await.remove(0);
    assert_eq!(delivered.activity_type, ActivityType::Success);
    // An earlier failed attempt of the same send, as a retry that then succeeded leaves.
    let mut failed = delivered.clone();
    failed.id = uuid::Uuid::now_v7();
    failed.activity_type = ActivityType::WebhookError;
    failed.status = Some(503);
    let mut tx = harness.store.begin().await.expect("a transaction");
    tx.record_activity(std::slice::from_ref(&failed))
        .await
        .expect("recorded");
    tx.commit().await.expect("committed");

    let refused = replay(
        harness.store.as_ref(),
        failed.id,
        harness.clock.now_for_tests(),
    )
    .await;
    match refused {
        Err(ReplayError::DeliveredLater {
            entry,
            delivered: by,
        }) => {
            assert_eq!((entry, by), (failed.id, delivered.id));
        }
        other => panic!("expected DeliveredLater, got {other:?}"),
    }
    harness.finish().await;
}
