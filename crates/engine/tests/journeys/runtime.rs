//! The worker runtime: the queue loops pick up work and stop gracefully; a job that cannot
//! be handled is failed with its error recorded.

use std::time::Duration;

use leadwire_engine::journeys::{CAMPAIGN_QUEUE, CANVAS_QUEUE, CampaignTask};
use leadwire_engine::send_task::SEND_QUEUE;
use leadwire_store::NewTask;
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
        sends = h.store.pending_jobs(SEND_QUEUE).await.expect("pending");
        if sends == 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(sends, 20, "every new email got its campaign send");
    handle.shutdown().await;
    assert_eq!(
        h.store
            .pending_jobs(leadwire_store::TRIGGER_QUEUE)
            .await
            .expect("pending"),
        0
    );
    h.finish().await;
}

#[tokio::test]
async fn a_job_that_cannot_be_handled_is_failed_with_its_error() {
    let h = Harness::new(CONFIG).await;
    let mut tx = h.store.begin().await.expect("begin");
    tx.enqueue(&NewTask {
        queue: CANVAS_QUEUE.into(),
        payload: json!({"not": "a canvas task"}),
        run_at: h.now,
    })
    .await
    .expect("enqueue");
    tx.commit().await.expect("commit");
    assert_eq!(h.run().await, 1);
    let failed = h
        .store
        .failed_jobs(CANVAS_QUEUE)
        .await
        .expect("failed jobs");
    assert_eq!(failed.len(), 1);
    let error = failed[0].last_error.clone().unwrap_or_default();
    assert!(error.contains("canvas task"), "{error}");
    assert_eq!(h.run().await, 0, "a failed job is not claimed again");
    h.finish().await;
}

#[tokio::test]
async fn a_failing_job_sends_its_batch_one_job_per_transaction() {
    let h = Harness::new(CONFIG).await;
    h.track(json!({"attributes": [
        {"external_id": "ada", "first_name": "Ada"},
        {"external_id": "bob", "first_name": "Bob"},
    ]}))
    .await;
    let send_to = |user_id| {
        serde_json::to_value(CampaignTask {
            campaign: "On email".into(),
            user_id,
            triggered_at: h.now,
            scheduled_at: h.now,
            event_properties: None,
            api_trigger_properties: None,
        })
        .expect("a task")
    };
    let payloads = [
        send_to(h.profile("ada").await.id),
        json!({"not": "a campaign task"}),
        send_to(h.profile("bob").await.id),
    ];
    let mut tx = h.store.begin().await.expect("begin");
    for payload in payloads {
        tx.enqueue(&NewTask {
            queue: CAMPAIGN_QUEUE.into(),
            payload,
            run_at: h.now,
        })
        .await
        .expect("enqueue");
    }
    tx.commit().await.expect("commit");

    assert_eq!(h.run().await, 3, "the batch, then its jobs one by one");
    assert_eq!(
        h.store.pending_jobs(SEND_QUEUE).await.expect("pending"),
        2,
        "both good jobs sent, once each"
    );
    let failed = h.store.failed_jobs(CAMPAIGN_QUEUE).await.expect("failed");
    assert_eq!(failed.len(), 1, "only the bad job failed");
    assert!(
        failed[0]
            .last_error
            .as_deref()
            .is_some_and(|error| error.contains("campaign task")),
        "{failed:?}"
    );
    assert_eq!(h.run().await, 0);
    h.finish().await;
}
