//! The durable job queue: delays, leases, attempts, retries, failures, concurrent claims.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use leadwire_store::{JobPayload, NewTask, Store, StoreError};
use serde_json::json;

async fn enqueue(
    store: &Arc<dyn Store>,
    queue: &str,
    payload: serde_json::Value,
    run_at: DateTime<Utc>,
) -> i64 {
    let mut tx = store.begin().await.expect("begin");
    let id = tx
        .enqueue(&NewTask {
            queue: queue.into(),
            payload,
            run_at,
        })
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    id
}

const LEASE: Duration = Duration::from_secs(30);
const HOUR: Duration = Duration::from_secs(3600);

pub async fn delayed_jobs_wait_for_run_at(store: Arc<dyn Store>) {
    let now = Utc::now();
    let later = enqueue(&store, "work", json!({"n": 2}), now + TimeDelta::hours(1)).await;
    let soon = enqueue(&store, "work", json!({"n": 1}), now).await;
    enqueue(&store, "other", json!({"n": 3}), now).await;
    let claimed = store.claim("work", now, HOUR, 10).await.expect("claim");
    assert_eq!(
        claimed.iter().map(|job| job.id).collect::<Vec<_>>(),
        vec![soon]
    );
    let claimed = store
        .claim("work", now + TimeDelta::minutes(30), HOUR, 10)
        .await
        .expect("claim");
    assert!(
        claimed.is_empty(),
        "the delayed job is not ready and the other is leased: {claimed:?}"
    );
    let claimed = store
        .claim("work", now + TimeDelta::hours(2), HOUR, 10)
        .await
        .expect("claim");
    assert_eq!(
        claimed.iter().map(|job| job.id).collect::<Vec<_>>(),
        vec![soon, later]
    );
}

pub async fn an_expired_lease_is_claimed_again_and_the_old_lease_is_lost(store: Arc<dyn Store>) {
    let now = Utc::now();
    let id = enqueue(&store, "work", json!({"crash": true}), now).await;
    let first = store.claim("work", now, LEASE, 1).await.expect("claim");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].attempts, 1);
    let during = store
        .claim("work", now + TimeDelta::seconds(10), LEASE, 1)
        .await
        .expect("claim");
    assert!(during.is_empty(), "a live lease is not claimed again");
    let after = store
        .claim("work", now + TimeDelta::seconds(31), LEASE, 1)
        .await
        .expect("claim");
    assert_eq!(after.len(), 1, "the crashed worker's job comes back");
    assert_eq!(after[0].id, id);
    assert_eq!(after[0].attempts, 2);
    let lost = store.complete(&first[0]).await;
    assert!(
        matches!(lost, Err(StoreError::LeaseLost { job_id }) if job_id == id),
        "{lost:?}"
    );
    store
        .complete(&after[0])
        .await
        .expect("the current lease completes");
    assert_eq!(store.pending_jobs("work").await.expect("pending"), 0);
}

pub async fn the_oldest_due_job_is_the_oldest_waiting_one(store: Arc<dyn Store>) {
    let now = Utc::now();
    assert_eq!(
        store.oldest_due_job("work", now).await.expect("oldest"),
        None
    );
    let oldest = now - TimeDelta::minutes(10);
    let middle = now - TimeDelta::minutes(5);
    enqueue(&store, "work", json!({"n": 1}), oldest).await;
    enqueue(&store, "work", json!({"n": 2}), middle).await;
    enqueue(&store, "work", json!({"n": 3}), now + TimeDelta::hours(1)).await;
    enqueue(&store, "other", json!({"n": 4}), now - TimeDelta::hours(1)).await;
    let at = |value: Option<DateTime<Utc>>| value.map(|time| time.timestamp_micros());
    assert_eq!(
        at(store.oldest_due_job("work", now).await.expect("oldest")),
        Some(oldest.timestamp_micros())
    );
    // A leased job is being worked on, not waiting: the next one is the oldest.
    let leased = store.claim("work", now, LEASE, 1).await.expect("claim");
    assert_eq!(leased.len(), 1);
    assert_eq!(
        at(store.oldest_due_job("work", now).await.expect("oldest")),
        Some(middle.timestamp_micros())
    );
    // Once the lease expires the job waits again.
    let later = now + TimeDelta::seconds(31);
    assert_eq!(
        at(store.oldest_due_job("work", later).await.expect("oldest")),
        Some(oldest.timestamp_micros())
    );
    // A failed job waits for nobody; a job not yet due is not counted before its time.
    let second = store.claim("work", now, LEASE, 1).await.expect("claim");
    store.fail(&second[0], "gave up", now).await.expect("fail");
    store.complete(&leased[0]).await.expect("complete");
    assert_eq!(
        store.oldest_due_job("work", now).await.expect("oldest"),
        None
    );
    let in_two_hours = now + TimeDelta::hours(2);
    assert_eq!(
        at(store
            .oldest_due_job("work", in_two_hours)
            .await
            .expect("oldest")),
        Some((now + TimeDelta::hours(1)).timestamp_micros())
    );
}

pub async fn retry_and_fail(store: Arc<dyn Store>) {
    let now = Utc::now();
    enqueue(&store, "work", json!({"flaky": true}), now).await;
    let job = store
        .claim("work", now, LEASE, 1)
        .await
        .expect("claim")
        .remove(0);
    store
        .retry_at(&job, now + TimeDelta::minutes(5), "503 from Salesforce")
        .await
        .expect("retry");
    assert!(
        store
            .claim("work", now + TimeDelta::minutes(1), LEASE, 1)
            .await
            .expect("claim")
            .is_empty()
    );
    let job = store
        .claim("work", now + TimeDelta::minutes(6), LEASE, 1)
        .await
        .expect("claim")
        .remove(0);
    assert_eq!(job.attempts, 2);
    store
        .fail(&job, "400 from Salesforce", now + TimeDelta::minutes(6))
        .await
        .expect("fail");
    assert!(
        store
            .claim("work", now + TimeDelta::days(1), LEASE, 1)
            .await
            .expect("claim")
            .is_empty()
    );
    assert_eq!(store.pending_jobs("work").await.expect("pending"), 0);
    let failed = store.failed_jobs("work").await.expect("failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].attempts, 2);
    assert_eq!(failed[0].last_error.as_deref(), Some("400 from Salesforce"));
    let again = store.retry_at(&job, now, "late").await;
    assert!(
        matches!(again, Err(StoreError::LeaseLost { .. })),
        "{again:?}"
    );
}

pub async fn concurrent_claimers_never_get_the_same_job(store: Arc<dyn Store>) {
    let now = Utc::now();
    let mut tx = store.begin().await.expect("begin");
    let mut expected = HashSet::new();
    for n in 0..120 {
        let task = NewTask {
            queue: "busy".into(),
            payload: json!({"n": n}),
            run_at: now,
        };
        expected.insert(tx.enqueue(&task).await.expect("enqueue"));
    }
    tx.commit().await.expect("commit");
    let mut workers = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let jobs = store.claim("busy", now, LEASE, 7).await.expect("claim");
                if jobs.is_empty() {
                    return mine;
                }
                for job in jobs {
                    store
                        .complete(&job)
                        .await
                        .expect("a job claimed once completes");
                    mine.push(job.id);
                }
            }
        }));
    }
    let mut seen = HashSet::new();
    for worker in workers {
        for id in worker.await.expect("worker task") {
            assert!(seen.insert(id), "job {id} was claimed twice");
        }
    }
    assert_eq!(seen, expected);
}

pub async fn tasks_carry_their_payload(store: Arc<dyn Store>) {
    let now = Utc::now();
    let payload = json!({"step": "send", "canvas": "c1", "attempt_id": 7});
    enqueue(&store, "deliveries", payload.clone(), now).await;
    let job = store
        .claim("deliveries", now, LEASE, 1)
        .await
        .expect("claim")
        .remove(0);
    assert_eq!(job.payload, JobPayload::Task(payload));
    assert_eq!(job.queue, "deliveries");
    assert!(job.lease_until > now);
}

pub async fn a_commit_wakes_the_queues_it_enqueued_into(store: Arc<dyn Store>) {
    use futures::FutureExt as _;
    let signals = store.job_signals();
    let (work, other) = (signals.waiter("work"), signals.waiter("other"));
    let mut tx = store.begin().await.expect("begin");
    tx.enqueue_all(&[NewTask {
        queue: "work".into(),
        payload: json!({"n": 1}),
        run_at: Utc::now(),
    }])
    .await
    .expect("enqueue");
    drop(tx);
    assert!(
        work.notified().now_or_never().is_none(),
        "a rolled-back enqueue wakes nobody"
    );
    enqueue(&store, "work", json!({"n": 2}), Utc::now()).await;
    assert!(
        work.notified().now_or_never().is_some(),
        "the commit woke the queue"
    );
    assert!(
        other.notified().now_or_never().is_none(),
        "and no other queue"
    );
}
