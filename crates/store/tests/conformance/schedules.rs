//! Scheduled API sends: a schedule row round-trips, is replaced whole, listed by when it
//! first sends, and goes with a delete; and it commits or rolls back with its job.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use leadwire_core::queue::{ScheduleTask, Task};
use leadwire_core::schedule::Schedule;
use leadwire_store::{ApiSchedule, JobPayload, NewTask, Queue, ScheduleKind, Store};
use serde_json::json;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("a time")
}

fn schedule(id: &str, time: &str, kind: ScheduleKind) -> ApiSchedule {
    let body = json!({"campaign_id": "Welcome", "recipients": [{"external_user_id": "ada"}]});
    ApiSchedule {
        id: id.into(),
        kind,
        target: Some("Welcome".into()),
        dispatch_id: format!("dispatch-{id}"),
        send_id: Some("send-1".into()),
        body: body.as_object().cloned().unwrap_or_default(),
        schedule: Schedule::parse(Some(&json!({"time": time})), at("2030-01-01T00:00:00Z"))
            .expect("a schedule"),
        version: 1,
        parts_left: 1,
        created_at: at("2030-01-01T00:00:00Z"),
    }
}

pub async fn schedules_round_trip_are_replaced_listed_and_deleted(store: Arc<dyn Store>) {
    let first = schedule("a", "2030-02-01T10:00:00Z", ScheduleKind::Campaign);
    let mut second = schedule("b", "2030-01-15T10:00:00Z", ScheduleKind::Canvas);
    second.send_id = None;
    second.target = None;
    let mut tx = store.begin().await.expect("begin");
    tx.save_schedule(&first).await.expect("save");
    tx.save_schedule(&second).await.expect("save");
    tx.commit().await.expect("commit");

    let mut tx = store.begin().await.expect("begin");
    assert_eq!(tx.schedule("a").await.expect("read").as_ref(), Some(&first));
    assert_eq!(
        tx.schedule("b").await.expect("read").as_ref(),
        Some(&second)
    );
    assert_eq!(tx.schedule("zzz").await.expect("read"), None);
    let mut replaced = first.clone();
    replaced.schedule = Schedule::parse(
        Some(&json!({"time": "2030-01-10T08:00:00", "in_local_time": true})),
        at("2030-01-01T00:00:00Z"),
    )
    .expect("a schedule");
    replaced.version = 2;
    replaced.parts_left = 3;
    tx.save_schedule(&replaced).await.expect("replace");
    tx.commit().await.expect("commit");

    let listed = store
        .schedules_due_by(at("2030-01-20T00:00:00Z"), 10)
        .await
        .expect("list");
    let ids: Vec<&str> = listed.iter().map(|row| row.id.as_str()).collect();
    assert_eq!(
        ids,
        ["a", "b"],
        "soonest first; a now sends from 2030-01-09T18:00Z"
    );
    assert_eq!(listed[0], replaced);
    let early = store
        .schedules_due_by(at("2030-01-05T00:00:00Z"), 10)
        .await
        .expect("list");
    assert!(early.is_empty());

    let mut tx = store.begin().await.expect("begin");
    assert!(tx.delete_schedule("a").await.expect("delete"));
    assert!(!tx.delete_schedule("a").await.expect("delete again"));
    tx.commit().await.expect("commit");
    let mut tx = store.begin().await.expect("begin");
    assert_eq!(tx.schedule("a").await.expect("read"), None);
    tx.rollback().await.expect("rollback");
}

pub async fn a_schedule_and_its_job_commit_or_roll_back_together(store: Arc<dyn Store>) {
    let row = schedule("c", "2030-03-01T10:00:00Z", ScheduleKind::Messages);
    let task = ScheduleTask {
        schedule_id: "c".into(),
        version: 1,
        recipients: Some(vec![0, 2]),
    };
    let due = row.schedule.first();
    let mut tx = store.begin().await.expect("begin");
    tx.save_schedule(&row).await.expect("save");
    tx.enqueue(&NewTask::new(task.clone(), due))
        .await
        .expect("enqueue");
    tx.rollback().await.expect("rollback");
    assert_eq!(
        store.pending_jobs(Queue::Schedules).await.expect("pending"),
        0
    );
    let mut tx = store.begin().await.expect("begin");
    assert_eq!(tx.schedule("c").await.expect("read"), None);
    tx.save_schedule(&row).await.expect("save");
    tx.enqueue(&NewTask::new(task.clone(), due))
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");

    let lease = Duration::from_secs(60);
    let early = store
        .claim(Queue::Schedules, due - TimeDelta::seconds(1), lease, 10)
        .await
        .expect("claim");
    assert!(early.is_empty(), "not due before its time");
    let jobs = store
        .claim(Queue::Schedules, due, lease, 10)
        .await
        .expect("claim");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].payload, JobPayload::Task(Task::Schedule(task)));
    let mut tx = store.begin().await.expect("begin");
    assert!(tx.delete_schedule("c").await.expect("delete"));
    tx.complete_job(&jobs[0]).await.expect("complete");
    tx.commit().await.expect("commit");
    assert_eq!(
        store.pending_jobs(Queue::Schedules).await.expect("pending"),
        0
    );
}
