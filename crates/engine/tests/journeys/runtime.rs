//! The worker runtime: the queue loops pick up work and stop gracefully; a job that cannot
//! be handled is failed with its error recorded.

use std::time::Duration;

use chrono::TimeDelta;
use leadwire_core::queue::CampaignTask;
use leadwire_engine::workers::WorkerOptions;
use leadwire_store::{NewTask, Queue};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::harness::Harness;

const CONFIG: &str = r#"
[[webhook_templates]]
name = "Hook"
url = "https://example.com/hook"
method = "POST"

[[campaigns]]
name = "On email"
template = "Hook"
triggers = [{ type = "add_email_address" }]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_loops_handle_jobs_and_drain_on_shutdown() {
    let h = Harness::new(CONFIG).await;
    // The loops run on the wall clock; the harness's clock is a second ahead of it, so
    // write at the wall clock here.
    let handle = h.workers.start(CancellationToken::new());
    let users: Vec<_> = (0..20)
        .map(|n| json!({"external_id": format!("u{n}"), "email": format!("u{n}@example.com")}))
        .collect();
    let request = leadwire_store::ingest::TrackRequest {
        attributes: Some(users),
        events: None,
        purchases: None,
    };
    leadwire_store::ingest::track(&*h.store, &request, &Default::default(), chrono::Utc::now())
        .await
        .expect("track");
    let mut sends = 0;
    for _ in 0..500 {
        sends = h.store.pending_jobs(Queue::Sends).await.expect("pending");
        if sends == 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(sends, 20, "every new email got its campaign send");
    handle.shutdown().await.expect("the loops stop cleanly");
    assert_eq!(
        h.store
            .pending_jobs(Queue::Triggers)
            .await
            .expect("pending"),
        0
    );
    h.finish().await;
}

#[tokio::test]
async fn a_job_that_cannot_be_handled_is_failed_with_its_error() {
    let h = Harness::new(CONFIG).await;
    // A row no version of the store writes: a canvas task that is not one.
    h.execute(
        r#"INSERT INTO jobs (queue, payload, run_at, created_at)
           VALUES ('canvas', '{"type": "task", "body": {"not": "a canvas task"}}', 0, 0)"#,
    )
    .await;
    assert_eq!(
        h.run().await,
        0,
        "failed at claim, never handed to a handler"
    );
    let failed = h
        .store
        .failed_jobs(Queue::Canvas)
        .await
        .expect("failed jobs");
    assert_eq!(failed.len(), 1);
    let error = failed[0].last_error.clone().unwrap_or_default();
    assert!(error.contains("canvas task"), "{error}");
    assert_eq!(h.run().await, 0, "a failed job is not claimed again");
    assert_eq!(
        h.store.pending_jobs(Queue::Canvas).await.expect("pending"),
        0
    );
    h.finish().await;
}

#[tokio::test]
async fn a_failing_job_sends_its_batch_one_job_per_transaction() {
    let mut h = Harness::new(CONFIG).await;
    h.track(json!({"attributes": [
        {"external_id": "ada", "first_name": "Ada"},
        {"external_id": "cy", "first_name": "Cy"},
        {"external_id": "bob", "first_name": "Bob"},
    ]}))
    .await;
    let send_to = |user_id| CampaignTask {
        campaign: "On email".into(),
        user_id,
        triggered_at: h.now,
        scheduled_at: h.now,
        event_properties: None,
        api_trigger_properties: None,
        tracking_send_id: None,
    };
    let tasks = [
        send_to(h.profile("ada").await.id),
        send_to(h.profile("cy").await.id),
        send_to(h.profile("bob").await.id),
    ];
    let mut tx = h.store.begin().await.expect("begin");
    for task in tasks {
        tx.enqueue(&NewTask::new(task, h.now))
            .await
            .expect("enqueue");
    }
    tx.commit().await.expect("commit");
    // Cy's profile row is damaged: reading it fails the batch, and then Cy's job alone.
    h.execute("UPDATE profiles SET document = '{' WHERE external_id = 'cy'")
        .await;

    assert_eq!(h.run().await, 3, "the batch, then its jobs one by one");
    assert_eq!(
        h.store.pending_jobs(Queue::Sends).await.expect("pending"),
        2,
        "both good jobs sent, once each"
    );
    assert_eq!(
        h.store
            .pending_jobs(Queue::Campaigns)
            .await
            .expect("pending"),
        1,
        "the bad job waits for its retry"
    );
    // Retried until its attempts are used up, then failed with its error.
    for _ in 1..WorkerOptions::default().max_attempts {
        h.advance(TimeDelta::hours(1));
        assert_eq!(h.run().await, 1);
    }
    let failed = h.store.failed_jobs(Queue::Campaigns).await.expect("failed");
    assert_eq!(failed.len(), 1, "only the bad job failed");
    assert!(
        failed[0]
            .last_error
            .as_deref()
            .is_some_and(|error| error.contains("profile")),
        "{failed:?}"
    );
    assert_eq!(
        h.store.pending_jobs(Queue::Sends).await.expect("pending"),
        2
    );
    assert_eq!(h.run().await, 0);
    h.finish().await;
}
