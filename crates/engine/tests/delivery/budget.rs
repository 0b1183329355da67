//! The API budget floor against the emulator: at the floor, sends that are not urgent wait
//! as durable jobs with one activity entry each saying why, urgent ones still go, and once
//! `/limits` shows room again the waiting sends are delivered exactly once. The `/limits`
//! poller runs with the worker and stops with it.

use std::collections::HashMap;

use leadwire_core::activity::ActivityType;
use leadwire_engine::delivery::budget::BUDGET_DEFERRAL;
use leadwire_store::Queue;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::harness::{UPSERT, one_minute_retries, start};

/// The upsert again, under another name, allowed to spend the requests the floor keeps.
const URGENT_UPSERT: &str = r#"
[[webhook_templates]]
name = "Urgent Upsert"
connection = "emulator"
priority = "urgent"
url = "{{connections.emulator.instance_url}}/services/data/v60.0/sobjects/Lead/Leadwire_Id__c/{{${user_id}}}"
method = "PATCH"
[webhook_templates.headers]
Authorization = "Bearer {{connections.emulator.access_token}}"
[webhook_templates.body.json]
LastName = "{{${last_name}}}"
Company = "{{custom_attribute.${company}}}"
"#;

/// The harness's emulator allows 10,000,000 requests a day; the default floor keeps 10 %.
const DAILY_LIMIT: u64 = 10_000_000;
const NEAR_THE_LIMIT: u64 = 9_500_000;

fn metric_line<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{name}{{connection=\"emulator\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(prefix.as_str()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_floor_normal_sends_wait_urgent_ones_go_and_room_again_delivers_each_once() {
    let harness = start(&format!("{UPSERT}{URGENT_UPSERT}"), one_minute_retries()).await;
    let every = harness.worker.settings().api_limits_every.as_delta();
    harness.emulator.state().set_api_usage(NEAR_THE_LIMIT);
    assert_eq!(
        harness.worker.poll_api_limits().await,
        1,
        "/limits was read"
    );
    let metrics = harness.worker.metrics().encode();
    assert_eq!(
        metric_line(&metrics, "leadwire_salesforce_budget_paused"),
        Some("1"),
        "{metrics}"
    );
    let remaining = metric_line(&metrics, "leadwire_salesforce_api_remaining").expect("remaining");
    let remaining: u64 = remaining.parse().expect("a count");
    assert!(remaining <= DAILY_LIMIT - NEAR_THE_LIMIT, "{metrics}");

    let waiting = harness.enqueue_sends(3, "Upsert Lead", false).await;
    let urgent = harness.enqueue_sends(2, "Urgent Upsert", false).await;
    harness.worker.drain().await.expect("drain");

    assert_eq!(
        harness.emulator.state().lead_count(),
        2,
        "only the urgent sends went out"
    );
    let activity = harness.activity().await;
    let deferrals: Vec<_> = activity
        .iter()
        .filter(|entry| entry.message.starts_with(BUDGET_DEFERRAL))
        .collect();
    assert_eq!(deferrals.len(), 3, "{activity:#?}");
    for entry in &deferrals {
        assert_eq!(entry.template, "Upsert Lead");
        assert_eq!(entry.activity_type, ActivityType::Deferred);
        assert_eq!(entry.status, None, "nothing was sent");
        assert!(waiting.contains(&entry.user_id));
        assert!(
            entry.message.contains("on `emulator` ("),
            "{}",
            entry.message
        );
        assert!(
            entry.message.contains("floor 1,000,000)"),
            "{}",
            entry.message
        );
    }
    let delivered = |activity: &[leadwire_core::activity::ActivityEntry]| {
        activity
            .iter()
            .filter(|entry| entry.activity_type == ActivityType::Success)
            .map(|entry| entry.user_id)
            .collect::<Vec<Uuid>>()
    };
    let mut first = delivered(&activity);
    first.sort();
    let mut expected = urgent.clone();
    expected.sort();
    assert_eq!(first, expected);
    let pending = harness
        .store
        .pending_jobs(Queue::Sends)
        .await
        .expect("pending");
    assert_eq!(pending, 3, "the waiting sends stay durable jobs");
    assert_eq!(
        harness
            .store
            .failed_jobs(Queue::Sends)
            .await
            .expect("failed")
            .len(),
        0
    );

    // Still at the floor when they come round again: they wait again, without new entries.
    harness.clock.advance(every);
    harness.worker.drain().await.expect("drain");
    assert_eq!(
        harness.activity().await.len(),
        activity.len(),
        "one entry per send"
    );
    assert_eq!(
        harness
            .store
            .pending_jobs(Queue::Sends)
            .await
            .expect("pending"),
        3
    );
    let metrics = harness.worker.metrics().encode();
    assert_eq!(
        metric_line(&metrics, "leadwire_salesforce_budget_deferred_sends_total"),
        Some("3"),
        "{metrics}"
    );

    // The org has room again; the next reading says so and the sends go, each once.
    harness.emulator.state().set_api_usage(0);
    harness.clock.advance(every);
    assert_eq!(harness.worker.poll_api_limits().await, 1);
    let metrics = harness.worker.metrics().encode();
    assert_eq!(
        metric_line(&metrics, "leadwire_salesforce_budget_paused"),
        Some("0"),
        "{metrics}"
    );
    harness.worker.drain().await.expect("drain");

    assert_eq!(harness.emulator.state().lead_count(), 5);
    assert_eq!(
        harness
            .store
            .pending_jobs(Queue::Sends)
            .await
            .expect("pending"),
        0
    );
    let activity = harness.activity().await;
    let mut per_user: HashMap<Uuid, usize> = HashMap::new();
    for user in delivered(&activity) {
        *per_user.entry(user).or_default() += 1;
    }
    assert_eq!(per_user.len(), 5, "{activity:#?}");
    assert!(per_user.values().all(|count| *count == 1), "{per_user:?}");
    let status = harness.worker.status();
    assert!(!status.connections[0].budget.paused, "{status:?}");
    harness.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limits_poller_reads_at_start_up_and_stops_with_the_worker() {
    let harness = start(UPSERT, one_minute_retries()).await;
    harness.emulator.state().set_api_usage(NEAR_THE_LIMIT);
    // Told to stop before it starts: each task does its first round, then stops.
    let shutdown = CancellationToken::new();
    shutdown.cancel();
    let ended = harness.worker.clone().run(shutdown).await;
    assert_eq!(
        ended,
        Ok(()),
        "every task, the poller included, stopped on request"
    );
    let status = harness.worker.status();
    let connection = &status.connections[0];
    let usage = connection.api_usage.expect("the start-up reading");
    assert_eq!(usage.limit, 10_000_000);
    assert!(usage.used >= 9_500_000, "{usage:?}");
    assert!(connection.budget.paused, "{connection:?}");
    let limits_calls: u64 = harness
        .emulator
        .stats()
        .by_endpoint
        .iter()
        .filter(|(label, _)| label.ends_with("/limits"))
        .map(|(_, count)| count)
        .sum();
    assert_eq!(limits_calls, 1, "one reading at start-up");
    harness.finish().await;
}
