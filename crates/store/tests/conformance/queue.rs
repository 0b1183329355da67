//! The durable job queue: delays, leases, attempts, retries, failures, concurrent claims.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use leadwire_store::{JobPayload, LeasedJob, Queue, Store, StoreError};

use crate::harness::{new_task, task};

/// Enqueues task `n` of `queue` (see [`task`]) due at `run_at`; returns its job id.
async fn enqueue(store: &Arc<dyn Store>, queue: Queue, n: u32, run_at: DateTime<Utc>) -> i64 {
    let mut tx = store.begin().await.expect("begin");
    let id = tx
        .enqueue(&new_task(queue, n, run_at))
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    id
}

const LEASE: Duration = Duration::from_secs(30);
const HOUR: Duration = Duration::from_secs(3600);

pub async fn delayed_jobs_wait_for_run_at(store: Arc<dyn Store>) {
    let now = Utc::now();
    let later = enqueue(&store, Queue::Canvas, 2, now + TimeDelta::hours(1)).await;
    let soon = enqueue(&store, Queue::Canvas, 1, now).await;
    enqueue(&store, Queue::Campaigns, 3, now).await;
    let claimed = store
        .claim(Queue::Canvas, now, HOUR, 10)
        .await
        .expect("claim");
    assert_eq!(
        claimed.iter().map(|job| job.id).collect::<Vec<_>>(),
        vec![soon]
    );
    let claimed = store
        .claim(Queue::Canvas, now + TimeDelta::minutes(30), HOUR, 10)
        .await
        .expect("claim");
    assert!(
        claimed.is_empty(),
        "the delayed job is not ready and the other is leased: {claimed:?}"
    );
    let claimed = store
        .claim(Queue::Canvas, now + TimeDelta::hours(2), HOUR, 10)
        .await
        .expect("claim");
    assert_eq!(
        claimed.iter().map(|job| job.id).collect::<Vec<_>>(),
        vec![soon, later]
    );
}

pub async fn an_expired_lease_is_claimed_again_and_the_old_lease_is_lost(store: Arc<dyn Store>) {
    let now = Utc::now();
    let id = enqueue(&store, Queue::Canvas, 1, now).await;
    let first = store
        .claim(Queue::Canvas, now, LEASE, 1)
        .await
        .expect("claim");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].attempts, 1);
    let during = store
        .claim(Queue::Canvas, now + TimeDelta::seconds(10), LEASE, 1)
        .await
        .expect("claim");
    assert!(during.is_empty(), "a live lease is not claimed again");
    let after = store
        .claim(Queue::Canvas, now + TimeDelta::seconds(31), LEASE, 1)
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
    assert_eq!(store.pending_jobs(Queue::Canvas).await.expect("pending"), 0);
}

pub async fn an_extended_lease_holds_past_its_first_end(store: Arc<dyn Store>) {
    let now = Utc::now();
    enqueue(&store, Queue::Sends, 1, now).await;
    enqueue(&store, Queue::Sends, 2, now).await;
    let held = store
        .claim(Queue::Sends, now, LEASE, 2)
        .await
        .expect("claim");
    let leased: Vec<LeasedJob> = held.iter().map(LeasedJob::from).collect();
    let lost = store
        .extend_leases(&leased[..1], now + TimeDelta::minutes(5))
        .await
        .expect("extend");
    assert!(lost.is_empty(), "a live lease extends: {lost:?}");
    let after_first_end = now + TimeDelta::seconds(31);
    let taken = store
        .claim(Queue::Sends, after_first_end, LEASE, 2)
        .await
        .expect("claim");
    assert_eq!(
        taken.iter().map(|job| job.id).collect::<Vec<_>>(),
        vec![held[1].id],
        "only the lease that was not extended ran out"
    );
    let lost = store
        .extend_leases(&leased, after_first_end + TimeDelta::minutes(5))
        .await
        .expect("extend");
    assert_eq!(lost, vec![held[1].id], "a lease taken over is not extended");
    store
        .complete(&held[0])
        .await
        .expect("the extended lease still completes its job");
    store
        .complete(&taken[0])
        .await
        .expect("the new holder completes its job");
}

pub async fn the_oldest_due_job_is_the_oldest_waiting_one(store: Arc<dyn Store>) {
    let now = Utc::now();
    assert_eq!(
        store
            .oldest_due_job(Queue::Canvas, now)
            .await
            .expect("oldest"),
        None
    );
    let oldest = now - TimeDelta::minutes(10);
    let middle = now - TimeDelta::minutes(5);
    enqueue(&store, Queue::Canvas, 1, oldest).await;
    enqueue(&store, Queue::Canvas, 2, middle).await;
    enqueue(&store, Queue::Canvas, 3, now + TimeDelta::hours(1)).await;
    enqueue(&store, Queue::Campaigns, 4, now - TimeDelta::hours(1)).await;
    let at = |value: Option<DateTime<Utc>>| value.map(|time| time.timestamp_micros());
    assert_eq!(
        at(store
            .oldest_due_job(Queue::Canvas, now)
            .await
            .expect("oldest")),
        Some(oldest.timestamp_micros())
    );
    // A leased job is being worked on, not waiting: the next one is the oldest.
    let leased = store
        .claim(Queue::Canvas, now, LEASE, 1)
        .await
        .expect("claim");
    assert_eq!(leased.len(), 1);
    assert_eq!(
        at(store
            .oldest_due_job(Queue::Canvas, now)
            .await
            .expect("oldest")),
        Some(middle.timestamp_micros())
    );
    // Once the lease expires the job waits again.
    let later = now + TimeDelta::seconds(31);
    assert_eq!(
        at(store
            .oldest_due_job(Queue::Canvas, later)
            .await
            .expect("oldest")),
        Some(oldest.timestamp_micros())
    );
    // A failed job waits for nobody; a job not yet due is not counted before its time.
    let second = store
        .claim(Queue::Canvas, now, LEASE, 1)
        .await
        .expect("claim");
    store.fail(&second[0], "gave up", now).await.expect("fail");
    store.complete(&leased[0]).await.expect("complete");
    assert_eq!(
        store
            .oldest_due_job(Queue::Canvas, now)
            .await
            .expect("oldest"),
        None
    );
    let in_two_hours = now + TimeDelta::hours(2);
    assert_eq!(
        at(store
            .oldest_due_job(Queue::Canvas, in_two_hours)
            .await
            .expect("oldest")),
        Some((now + TimeDelta::hours(1)).timestamp_micros())
    );
}

pub async fn retry_and_fail(store: Arc<dyn Store>) {
    let now = Utc::now();
    enqueue(&store, Queue::Canvas, 1, now).await;
    let job = store
        .claim(Queue::Canvas, now, LEASE, 1)
        .await
        .expect("claim")
        .remove(0);
    store
        .retry_at(&job, now + TimeDelta::minutes(5), "503 from Salesforce")
        .await
        .expect("retry");
    assert!(
        store
            .claim(Queue::Canvas, now + TimeDelta::minutes(1), LEASE, 1)
            .await
            .expect("claim")
            .is_empty()
    );
    let job = store
        .claim(Queue::Canvas, now + TimeDelta::minutes(6), LEASE, 1)
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
            .claim(Queue::Canvas, now + TimeDelta::days(1), LEASE, 1)
            .await
            .expect("claim")
            .is_empty()
    );
    assert_eq!(store.pending_jobs(Queue::Canvas).await.expect("pending"), 0);
    let failed = store.failed_jobs(Queue::Canvas).await.expect("failed");
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
        let task = new_task(Queue::Sends, n, now);
        expected.insert(tx.enqueue(&task).await.expect("enqueue"));
    }
    tx.commit().await.expect("commit");
    let mut workers = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let jobs = store
                    .claim(Queue::Sends, now, LEASE, 7)
                    .await
                    .expect("claim");
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
    enqueue(&store, Queue::Sends, 7, now).await;
    let job = store
        .claim(Queue::Sends, now, LEASE, 1)
        .await
        .expect("claim")
        .remove(0);
    assert_eq!(job.payload, JobPayload::Task(task(Queue::Sends, 7)));
    assert_eq!(job.queue, Queue::Sends);
    assert!(job.lease_until > now);
}

pub async fn a_commit_wakes_the_queues_it_enqueued_into(store: Arc<dyn Store>) {
    use futures::FutureExt as _;
    let signals = store.job_signals();
    let (work, other) = (
        signals.waiter(Queue::Canvas),
        signals.waiter(Queue::Campaigns),
    );
    let mut tx = store.begin().await.expect("begin");
    tx.enqueue_all(&[new_task(Queue::Canvas, 1, Utc::now())])
        .await
        .expect("enqueue");
    drop(tx);
    assert!(
        work.notified().now_or_never().is_none(),
        "a rolled-back enqueue wakes nobody"
    );
    enqueue(&store, Queue::Canvas, 2, Utc::now()).await;
    assert!(
        work.notified().now_or_never().is_some(),
        "the commit woke the queue"
    );
    assert!(
        other.notified().now_or_never().is_none(),
        "and no other queue"
    );
}

/// Plants a job row as an older version wrote it: `queue` and `payload` as they are stored.
async fn plant_row(harness: &crate::harness::Harness, queue: &str, payload: &str) {
    let payload = payload.replace('\'', "''");
    harness
        .execute(&format!(
            "INSERT INTO jobs (queue, payload, run_at, created_at) \
             VALUES ('{queue}', '{payload}', 0, 0)"
        ))
        .await;
}

/// Rows written before tasks were typed (a queue name, and the task's own JSON as the body)
/// are claimed as typed tasks; a row that is not what its queue carries is failed at claim
/// with the reason, and never handed to a worker.
pub async fn stored_rows_read_as_typed_tasks_and_unreadable_ones_fail(
    harness: &crate::harness::Harness,
) {
    use leadwire_core::queue::{CanvasTask, FollowUp, Task};
    let store = &harness.store;
    let entry_id = uuid::Uuid::from_u128(1);
    let user_id = uuid::Uuid::from_u128(2);
    let canvas = serde_json::json!({"entry_id": entry_id, "user_id": user_id, "seq": 3});
    plant_row(
        harness,
        "canvas",
        &serde_json::json!({"type": "task", "body": canvas}).to_string(),
    )
    .await;
    let send = serde_json::json!({
        "send_id": uuid::Uuid::nil(),
        "user_id": user_id,
        "template": "create_lead",
        "source": {"kind": "canvas", "canvas": "welcome", "step": "lead"},
        "created_at": "2027-01-15T08:00:00Z",
        "follow_up": {"queue": "canvas", "payload": {"entry_id": entry_id, "seq": 4, "message_finished": true}},
    });
    plant_row(
        harness,
        "sends",
        &serde_json::json!({"type": "task", "body": send}).to_string(),
    )
    .await;
    let trigger = serde_json::json!({"type": "trigger", "body": {"trigger": "email_added", "user_id": user_id, "email": "a@example.com"}});
    plant_row(harness, "canvas", &trigger.to_string()).await;
    plant_row(
        harness,
        "canvas",
        r#"{"type": "task", "body": {"not": "a canvas task"}}"#,
    )
    .await;
    plant_row(harness, "sends", "{").await;

    let now = Utc::now();
    let canvas_jobs = store
        .claim(Queue::Canvas, now, LEASE, 10)
        .await
        .expect("claim");
    assert_eq!(canvas_jobs.len(), 1, "{canvas_jobs:?}");
    let expected = CanvasTask {
        entry_id,
        user_id: Some(user_id),
        seq: 3,
        message_finished: false,
    };
    assert_eq!(
        canvas_jobs[0].payload,
        JobPayload::Task(Task::Canvas(expected))
    );
    let send_jobs = store
        .claim(Queue::Sends, now, LEASE, 10)
        .await
        .expect("claim");
    assert_eq!(send_jobs.len(), 1, "{send_jobs:?}");
    let JobPayload::Task(Task::Send(read)) = &send_jobs[0].payload else {
        panic!("a send task: {:?}", send_jobs[0].payload);
    };
    assert_eq!(
        read.follow_up,
        Some(FollowUp::new(CanvasTask {
            entry_id,
            user_id: None,
            seq: 4,
            message_finished: true,
        }))
    );

    let failed = store.failed_jobs(Queue::Canvas).await.expect("failed");
    let reasons: Vec<&str> = failed
        .iter()
        .filter_map(|job| job.last_error.as_deref())
        .collect();
    assert_eq!(reasons.len(), 2, "{failed:?}");
    assert!(
        reasons
            .iter()
            .all(|reason| reason.starts_with("unreadable payload"))
    );
    assert!(reasons[0].contains("trigger job"), "{reasons:?}");
    assert!(reasons[1].contains("canvas task"), "{reasons:?}");
    assert_eq!(
        store.failed_jobs(Queue::Sends).await.expect("failed").len(),
        1
    );
    assert_eq!(store.pending_jobs(Queue::Canvas).await.expect("pending"), 1);
}
