//! Verdicts, retries, back-off, aborts and refused URLs, as the activity log shows them.

use chrono::TimeDelta;
use leadwire_core::activity::ActivityType;
use leadwire_engine::delivery::DeliverySettings;
use leadwire_salesforce_emulator::FaultSettings;
use leadwire_store::Queue;

use crate::harness::{FAILING, UPSERT, one_minute_retries, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_errors_refused_urls_and_aborts_are_logged_and_end_the_send() {
    let harness = start(&format!("{UPSERT}{FAILING}"), one_minute_retries()).await;
    harness.enqueue_sends(1, "No Company", true).await;
    harness.enqueue_sends(1, "Placeholder", true).await;
    harness.enqueue_sends(1, "Not Yet", true).await;
    harness.worker.drain().await.expect("drain");

    let activity = harness.activity().await;
    let by_template = |name: &str| {
        activity
            .iter()
            .find(|e| e.template == name)
            .cloned()
            .expect(name)
    };
    let rejected = by_template("No Company");
    assert_eq!(rejected.activity_type, ActivityType::WebhookError);
    assert_eq!(rejected.status, Some(400));
    assert!(
        rejected.message.contains("REQUIRED_FIELD_MISSING"),
        "{}",
        rejected.message
    );
    let placeholder = by_template("Placeholder");
    assert_eq!(placeholder.activity_type, ActivityType::WebhookError);
    assert_eq!(
        placeholder.message,
        "https://[insert_instance_name].my.salesforce.com/services/data/v60.0/sobjects/Lead/ is not a valid URL"
    );
    let aborted = by_template("Not Yet");
    assert_eq!(aborted.activity_type, ActivityType::AbortedMessage);
    assert_eq!(aborted.message, "score below threshold");
    assert_eq!(activity.len(), 3, "no retries: {activity:#?}");
    assert_eq!(
        harness
            .store
            .pending_jobs(Queue::Sends)
            .await
            .expect("pending"),
        0
    );
    assert_eq!(
        harness
            .store
            .failed_jobs(Queue::Sends)
            .await
            .expect("failed")
            .len(),
        2
    );
    // Every final outcome enqueued its follow-up.
    assert_eq!(
        harness
            .store
            .pending_jobs(Queue::Canvas)
            .await
            .expect("pending"),
        3
    );
    harness.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_is_retried_on_schedule_and_a_quota_refusal_rests_the_connection() {
    let harness = start(UPSERT, one_minute_retries()).await;
    harness.enqueue_sends(1, "Upsert Lead", false).await;
    harness
        .worker
        .drain()
        .await
        .expect("the first send fetches the token");
    harness.enqueue_sends(1, "Upsert Lead", false).await;
    harness
        .emulator
        .state()
        .fail_next(1, 503)
        .expect("valid fault");
    harness.worker.drain().await.expect("first attempt");
    assert_eq!(harness.emulator.state().lead_count(), 1);
    harness.clock.advance(TimeDelta::seconds(59));
    harness.worker.drain().await.expect("not due yet");
    assert_eq!(harness.emulator.state().lead_count(), 1);
    harness.clock.advance(TimeDelta::seconds(2));
    harness.worker.drain().await.expect("retry");
    assert_eq!(harness.emulator.state().lead_count(), 2);
    let attempts: Vec<(u32, Option<u16>)> = harness
        .activity()
        .await
        .iter()
        .rev()
        .map(|e| (e.attempt, e.status))
        .collect();
    assert_eq!(
        attempts,
        vec![(1, Some(201)), (1, Some(503)), (2, Some(201))]
    );

    // REQUEST_LIMIT_EXCEEDED: the connection rests; waiting sends are not attempted and
    // their retries are not used up.
    let faults = |limit_exceeded| FaultSettings {
        limit_exceeded,
        ..FaultSettings::default()
    };
    harness
        .emulator
        .state()
        .set_faults(faults(true))
        .expect("valid faults");
    harness.enqueue_sends(1, "Upsert Lead", false).await;
    harness.worker.drain().await.expect("refused");
    let refused = harness.emulator.stats().total;
    harness.enqueue_sends(2, "Upsert Lead", false).await;
    harness.worker.drain().await.expect("resting");
    assert_eq!(
        harness.emulator.stats().total,
        refused,
        "no request while resting"
    );
    harness
        .emulator
        .state()
        .set_faults(faults(false))
        .expect("valid faults");
    harness.clock.advance(TimeDelta::minutes(6));
    harness.worker.drain().await.expect("after the rest");
    assert_eq!(
        harness
            .store
            .pending_jobs(Queue::Sends)
            .await
            .expect("pending"),
        0
    );
    let activity = harness.activity().await;
    let refusals = activity.iter().filter(|e| e.status == Some(403)).count();
    assert_eq!(refusals, 1);
    let late = activity
        .iter()
        .filter(|e| e.activity_type == ActivityType::Success && e.attempt == 1)
        .count();
    assert_eq!(late, 4, "deferred sends keep attempt 1");
    harness.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_gauges_show_depth_and_the_age_of_the_oldest_waiting_send() {
    let harness = start(UPSERT, DeliverySettings::default()).await;
    let metrics = harness.worker.metrics().clone();
    harness.worker.refresh_queue_gauges().await.expect("gauges");
    let text = metrics.encode();
    assert!(
        text.contains(r#"leadwire_queue_depth{queue="sends"} 0"#),
        "{text}"
    );
    assert!(
        text.contains(r#"leadwire_queue_oldest_job_age_seconds{queue="sends"} 0"#),
        "{text}"
    );

    harness.enqueue_sends(3, "Upsert Lead", false).await;
    harness.clock.advance(TimeDelta::seconds(90));
    harness.worker.refresh_queue_gauges().await.expect("gauges");
    let text = metrics.encode();
    assert!(
        text.contains(r#"leadwire_queue_depth{queue="sends"} 3"#),
        "{text}"
    );
    assert!(
        text.contains(r#"leadwire_queue_oldest_job_age_seconds{queue="sends"} 90"#),
        "{text}"
    );
    assert!(
        text.contains(r#"leadwire_queue_oldest_job_age_seconds{queue="triggers"} 0"#),
        "{text}"
    );

    harness.worker.drain().await.expect("drain");
    harness.worker.refresh_queue_gauges().await.expect("gauges");
    let text = metrics.encode();
    assert!(
        text.contains(r#"leadwire_queue_depth{queue="sends"} 0"#),
        "{text}"
    );
    assert!(
        text.contains(r#"leadwire_queue_oldest_job_age_seconds{queue="sends"} 0"#),
        "{text}"
    );
    harness.finish().await;
}
