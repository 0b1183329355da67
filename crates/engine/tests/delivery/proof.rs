//! The issue's proofs: one token request per burst, no lost or duplicated lead under faults,
//! crash recovery through lease expiry, and no secret in the log or the metrics.

use std::time::Duration;

use chrono::TimeDelta;
use leadwire_core::activity::ActivityType;
use leadwire_core::time::Interval;
use leadwire_core::track::UserIdentifier;
use leadwire_engine::delivery::DeliverySettings;
use leadwire_salesforce_emulator::FaultSettings;
use leadwire_store::Queue;

use crate::harness::{CLIENT_SECRET, SEED_CREATE, UPSERT, start};

const TOKEN_ENDPOINT: &str = "POST /services/oauth2/token";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_creates_costs_one_token_request_and_keeps_no_secret() {
    const BURST: usize = 10_000;
    let harness = start(SEED_CREATE, DeliverySettings::default()).await;
    let users = harness.enqueue_sends(BURST, "Create Lead", true).await;
    harness.deliver_everything().await;

    let stats = harness.emulator.stats();
    assert_eq!(stats.endpoint(TOKEN_ENDPOINT), 1, "{stats:?}");
    assert_eq!(stats.endpoint("POST /sobjects/Lead"), BURST as u64);
    assert_eq!(harness.emulator.state().lead_count(), BURST);
    assert_eq!(harness.worker.tokens().fetch_count(), 1);
    assert_eq!(
        harness
            .store
            .pending_jobs(Queue::Canvas)
            .await
            .expect("pending"),
        BURST as u64
    );

    let activity = harness.activity().await;
    assert_eq!(activity.len(), BURST);
    assert!(
        activity
            .iter()
            .all(|entry| entry.activity_type == ActivityType::Success)
    );
    let request = activity[0].request.as_ref().expect("request kept");
    let authorization = request
        .headers
        .iter()
        .find(|(name, _)| name == "Authorization");
    assert_eq!(
        authorization.map(|(_, value)| value.as_str()),
        Some("Bearer [redacted]")
    );
    assert!(request.headers.iter().any(
        |(name, value)| name == "Idempotency-Key" && *value == activity[0].send_id.to_string()
    ));

    // The response capture saved each new Lead's id on its profile.
    let profile = harness
        .store
        .find_profile(&UserIdentifier::BrazeId(users[0]))
        .await
        .expect("read")
        .expect("exists");
    let lead_id = profile
        .custom
        .get("salesforce_lead_id")
        .and_then(|id| id.as_str())
        .expect("captured id");
    assert!(
        lead_id.starts_with("00Q") && lead_id.len() == 18,
        "{lead_id}"
    );

    let log = serde_json::to_string(&activity).expect("serializable");
    let metrics = harness.worker.metrics().encode();
    assert!(
        metrics.contains("leadwire_salesforce_token_fetches_total"),
        "{metrics}"
    );
    let tokens: Vec<String> = stats.by_token.keys().cloned().collect();
    assert!(!tokens.is_empty());
    for secret in tokens.iter().map(String::as_str).chain([CLIENT_SECRET]) {
        assert!(!log.contains(secret), "a secret is in the activity log");
        assert!(!metrics.contains(secret), "a secret is in the metrics");
    }
    harness.finish().await;
}

fn patient_schedule() -> DeliverySettings {
    DeliverySettings {
        retry_delays: vec![Interval::from_seconds(60); 12],
        retry_jitter: 0.0,
        ..DeliverySettings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_faults_every_upserted_lead_arrives_once() {
    const LEADS: usize = 1000;
    let harness = start(UPSERT, patient_schedule()).await;
    harness.enqueue_sends(LEADS, "Upsert Lead", false).await;
    harness
        .emulator
        .state()
        .set_faults(FaultSettings {
            error_rate: 0.2,
            latency_ms: 2,
            seed: 7,
            ..FaultSettings::default()
        })
        .expect("valid faults");
    // First pass with one token, then the token is forced to expire mid-run.
    harness.worker.run_once().await.expect("first batch");
    harness.emulator.state().expire_tokens();
    harness.deliver_everything().await;

    assert_eq!(
        harness.emulator.state().lead_count(),
        LEADS,
        "every lead exists exactly once"
    );
    assert_eq!(
        harness
            .store
            .failed_jobs(Queue::Sends)
            .await
            .expect("failed")
            .len(),
        0
    );
    // Token requests can meet injected 503s too, but exactly two tokens were ever used:
    // the first, and one refresh after the forced expiry.
    assert_eq!(
        harness.emulator.stats().by_token.len(),
        2,
        "one token, one refresh"
    );
    let activity = harness.activity().await;
    let successes = activity
        .iter()
        .filter(|e| e.activity_type == ActivityType::Success)
        .count();
    assert_eq!(successes, LEADS);
    assert!(
        activity.iter().any(|e| e.status == Some(503)),
        "faults were injected"
    );
    assert!(
        activity.iter().any(|e| e.status == Some(401)),
        "the expired token was refused"
    );
    harness.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_send_and_record_is_repaired_by_the_lease() {
    const LEADS: usize = 200;
    for (template, source, expected_leads) in [
        ("Upsert Lead", UPSERT, LEADS),
        // The plain create is why the upsert variant exists: the repair sends it again.
        ("Create Lead", SEED_CREATE, 2 * LEADS),
    ] {
        let harness = start(source, DeliverySettings::default()).await;
        harness.enqueue_sends(LEADS, template, false).await;
        let lease = Duration::from_secs(300);
        let now = harness.clock.now_for_tests();
        let claimed = harness
            .store
            .claim(Queue::Sends, now, lease, LEADS as u32)
            .await
            .expect("claim");
        assert_eq!(claimed.len(), LEADS);
        let profiles = harness.worker.batch_profiles(&claimed).await;
        for job in claimed {
            // Sent, then the process "dies" before recording anything.
            drop(harness.worker.process(job, &profiles).await);
        }
        assert_eq!(harness.emulator.state().lead_count(), LEADS);
        assert_eq!(
            harness.worker.drain().await.expect("drain").delivered,
            0,
            "leases still held"
        );
        harness.clock.advance(TimeDelta::minutes(6));
        harness.deliver_everything().await;
        assert_eq!(
            harness.emulator.state().lead_count(),
            expected_leads,
            "{template}"
        );
        assert_eq!(
            harness
                .store
                .pending_jobs(Queue::Sends)
                .await
                .expect("pending"),
            0
        );
        harness.finish().await;
    }
}

use crate::harness::ClockNow;

/// A Create Lead whose body carries the connection's client secret, a value leadwire knows
/// (redaction by field name is tested beside the entry maker).
const SECRET_IN_BODY: &str = r#"
[[webhook_templates]]
name = "Leaky Lead"
connection = "emulator"
url = "{{connection.instance_url}}/services/data/v60.0/sobjects/Lead/"
method = "POST"
[webhook_templates.headers]
Authorization = "Bearer {{connections.emulator.access_token}}"
Content-Type = "application/json"
[webhook_templates.body.json]
LastName = "{{${last_name}}}"
Company = "{{custom_attribute.${company}}}"
Description = "client secret {{connection.client_secret}}"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_body_is_kept_in_the_activity_entry_with_its_secrets_redacted() {
    let harness = start(SECRET_IN_BODY, DeliverySettings::default()).await;
    harness.enqueue_sends(1, "Leaky Lead", false).await;
    harness.deliver_everything().await;

    let activity = harness.activity().await;
    assert_eq!(activity.len(), 1);
    assert_eq!(activity[0].activity_type, ActivityType::Success);
    let request = activity[0].request.as_ref().expect("request kept");
    let body = request.body.as_deref().expect("the body is kept");
    let sent: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
    assert_eq!(
        sent,
        serde_json::json!({
            "LastName": "Lovelace 0",
            "Company": "Analytical Engines",
            "Description": "client secret [redacted]",
        })
    );
    assert!(!body.contains(CLIENT_SECRET), "{body}");
    harness.finish().await;
}
