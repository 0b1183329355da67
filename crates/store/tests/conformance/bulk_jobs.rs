//! Salesforce Bulk API 2.0 jobs: a job row round-trips with its row map, is replaced as it
//! moves on, is listed while unfinished (of one backfill or all), and is marked recorded
//! once, in the transaction of its entries; the stored jobs are tallied by template and
//! state for `/metrics`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use leadwire_store::{BulkJob, BulkJobState, BulkJobTally, BulkRow, Store};
use uuid::Uuid;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("a time")
}

fn job(run: Uuid, created: &str, rows: usize) -> BulkJob {
    BulkJob {
        id: Uuid::now_v7(),
        run_id: run,
        template: "Upsert Lead".into(),
        connection: "sales-cloud".into(),
        api_base: "https://x.example/services/data/v60.0".into(),
        operation: "upsert".into(),
        external_id_field: Some("Leadwire_Id__c".into()),
        sf_job_id: Some("750Ka0000000001IAA".into()),
        state: BulkJobState::Open,
        sf_state: Some("Open".into()),
        rows: (0..rows)
            .map(|n| BulkRow {
                user_id: Uuid::from_u128(n as u128 + 1),
                key: (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
            })
            .collect(),
        processed: 0,
        failed: 0,
        created_at: at(created),
        updated_at: at(created),
    }
}

pub async fn bulk_jobs_round_trip_move_on_and_are_listed_while_unfinished(store: Arc<dyn Store>) {
    let run = Uuid::now_v7();
    let other_run = Uuid::now_v7();
    let first = job(run, "2030-01-01T00:00:00Z", 2_000);
    let mut second = job(other_run, "2030-01-02T00:00:00Z", 0);
    second.external_id_field = None;
    second.sf_job_id = None;
    second.sf_state = None;
    second.operation = "insert".into();
    let mut tx = store.begin().await.expect("begin");
    tx.save_bulk_job(&first).await.expect("save");
    tx.save_bulk_job(&second).await.expect("save");
    tx.commit().await.expect("commit");

    let listed = store.unfinished_bulk_jobs(None).await.expect("list");
    assert_eq!(
        listed,
        vec![first.clone(), second.clone()],
        "oldest first, whole"
    );
    let of_run = store.unfinished_bulk_jobs(Some(run)).await.expect("list");
    assert_eq!(of_run, vec![first.clone()]);

    let mut moved = first.clone();
    moved.state = BulkJobState::Closed;
    moved.sf_state = Some("InProgress".into());
    moved.processed = 1_000;
    moved.updated_at = at("2030-01-01T00:05:00Z");
    let mut tx = store.begin().await.expect("begin");
    tx.save_bulk_job(&moved).await.expect("replace");
    tx.commit().await.expect("commit");
    let listed = store.unfinished_bulk_jobs(Some(run)).await.expect("list");
    assert_eq!(listed, vec![moved.clone()]);

    let mut abandoned = second.clone();
    abandoned.state = BulkJobState::Abandoned;
    let mut tx = store.begin().await.expect("begin");
    tx.save_bulk_job(&abandoned).await.expect("save");
    tx.commit().await.expect("commit");
    assert_eq!(
        store.unfinished_bulk_jobs(None).await.expect("list"),
        vec![moved.clone()],
        "an abandoned job is finished"
    );
}

pub async fn a_bulk_job_is_recorded_once_and_only_if_its_transaction_commits(
    store: Arc<dyn Store>,
) {
    let stored = job(Uuid::now_v7(), "2030-01-01T00:00:00Z", 3);
    let mut tx = store.begin().await.expect("begin");
    tx.save_bulk_job(&stored).await.expect("save");
    tx.commit().await.expect("commit");
    let now = at("2030-01-01T01:00:00Z");

    let mut tx = store.begin().await.expect("begin");
    let marked = tx
        .mark_bulk_job_recorded(stored.id, "JobComplete", 3, 1, now)
        .await
        .expect("mark");
    assert!(marked);
    tx.rollback().await.expect("rollback");
    assert_eq!(
        store.unfinished_bulk_jobs(None).await.expect("list").len(),
        1,
        "a rolled-back mark leaves the job unfinished"
    );

    let mut tx = store.begin().await.expect("begin");
    assert!(
        tx.mark_bulk_job_recorded(stored.id, "JobComplete", 3, 1, now)
            .await
            .expect("mark")
    );
    tx.commit().await.expect("commit");
    assert!(
        store
            .unfinished_bulk_jobs(None)
            .await
            .expect("list")
            .is_empty()
    );

    let mut tx = store.begin().await.expect("begin");
    assert!(
        !tx.mark_bulk_job_recorded(stored.id, "JobComplete", 3, 1, now)
            .await
            .expect("mark"),
        "recorded once"
    );
    assert!(
        !tx.mark_bulk_job_recorded(Uuid::now_v7(), "JobComplete", 0, 0, now)
            .await
            .expect("mark"),
        "an unknown job is not marked"
    );
    tx.commit().await.expect("commit");
}

pub async fn bulk_jobs_are_tallied_by_template_and_state(store: Arc<dyn Store>) {
    assert!(store.bulk_job_tallies().await.expect("tally").is_empty());
    let run = Uuid::now_v7();
    let mut polled = job(run, "2030-01-01T00:00:00Z", 5);
    polled.state = BulkJobState::Closed;
    polled.sf_state = Some("InProgress".into());
    polled.processed = 4;
    polled.failed = 1;
    let mut waiting = job(run, "2030-01-01T00:01:00Z", 3);
    waiting.state = BulkJobState::Closed;
    let open = job(run, "2030-01-01T00:02:00Z", 2);
    let mut other = job(Uuid::now_v7(), "2030-01-01T00:03:00Z", 7);
    other.template = "Create Lead".into();
    other.state = BulkJobState::Recorded;
    other.processed = 7;
    let mut tx = store.begin().await.expect("begin");
    for stored in [&polled, &waiting, &open, &other] {
        tx.save_bulk_job(stored).await.expect("save");
    }
    tx.commit().await.expect("commit");

    let tally = |template: &str, state, jobs, rows, processed, failed| BulkJobTally {
        template: template.into(),
        state,
        jobs,
        rows,
        processed,
        failed,
    };
    assert_eq!(
        store.bulk_job_tallies().await.expect("tally"),
        vec![
            tally("Create Lead", BulkJobState::Recorded, 1, 7, 7, 0),
            tally("Upsert Lead", BulkJobState::Closed, 2, 8, 4, 1),
            tally("Upsert Lead", BulkJobState::Open, 1, 2, 0, 0),
        ],
        "by template, then state name"
    );
}
