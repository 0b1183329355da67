//! Salesforce Bulk API 2.0 runs: a run round-trips, is replaced as its cursor moves, is
//! listed while running (of its template and source only, oldest first), and moves
//! together with the job that advances it, or not at all. Unfinished jobs stored before
//! runs were get a running run from the migration.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use leadwire_store::{BulkJob, BulkJobState, BulkRow, BulkRun, BulkRunState, Store};
use uuid::Uuid;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("a time")
}

fn run(template: &str, source: &str, created: &str) -> BulkRun {
    BulkRun {
        id: Uuid::now_v7(),
        template: template.into(),
        connection: "sales-cloud".into(),
        source: source.into(),
        audience: Some("{ attribute = \"company\", op = \"exists\" }".into()),
        last_profile_id: None,
        state: BulkRunState::Running,
        created_at: at(created),
        updated_at: at(created),
    }
}

fn job_of(run: &BulkRun, users: &[Uuid]) -> BulkJob {
    BulkJob {
        id: Uuid::now_v7(),
        run_id: run.id,
        template: run.template.clone(),
        connection: run.connection.clone(),
        api_base: "https://x.example/services/data/v60.0".into(),
        operation: "upsert".into(),
        external_id_field: Some("Leadwire_Id__c".into()),
        sf_job_id: Some("750Ka0000000001IAA".into()),
        state: BulkJobState::Open,
        sf_state: Some("Open".into()),
        rows: users
            .iter()
            .map(|user| BulkRow {
                user_id: *user,
                key: 7,
            })
            .collect(),
        processed: 0,
        failed: 0,
        created_at: run.created_at,
        updated_at: run.created_at,
    }
}

pub async fn bulk_runs_round_trip_move_on_and_are_listed_while_running(store: Arc<dyn Store>) {
    let first = run("Upsert Lead", "backfill", "2030-01-01T00:00:00Z");
    let mut adopted = run("Upsert Lead", "backfill", "2030-01-02T00:00:00Z");
    adopted.audience = None;
    let other_template = run("Create Lead", "backfill", "2030-01-01T00:00:00Z");
    let other_source = run("Upsert Lead", "campaign", "2030-01-01T00:00:00Z");
    let mut tx = store.begin().await.expect("begin");
    for saved in [&adopted, &first, &other_template, &other_source] {
        tx.save_bulk_run(saved).await.expect("save");
    }
    tx.commit().await.expect("commit");

    assert_eq!(
        store
            .running_bulk_runs("Upsert Lead", "backfill")
            .await
            .expect("list"),
        vec![first.clone(), adopted.clone()],
        "of the template and source, oldest first, whole"
    );
    assert_eq!(
        store.bulk_run(other_source.id).await.expect("read"),
        Some(other_source.clone())
    );
    assert_eq!(store.bulk_run(Uuid::now_v7()).await.expect("read"), None);

    let mut moved = first.clone();
    moved.last_profile_id = Some(Uuid::from_u128(u128::MAX));
    moved.updated_at = at("2030-01-01T00:05:00Z");
    let mut finished = adopted.clone();
    finished.state = BulkRunState::Finished;
    let mut abandoned = other_template.clone();
    abandoned.state = BulkRunState::Abandoned;
    let mut tx = store.begin().await.expect("begin");
    for saved in [&moved, &finished, &abandoned] {
        tx.save_bulk_run(saved).await.expect("replace");
    }
    tx.commit().await.expect("commit");
    assert_eq!(
        store
            .running_bulk_runs("Upsert Lead", "backfill")
            .await
            .expect("list"),
        vec![moved.clone()],
        "a finished run is no longer listed"
    );
    assert!(
        store
            .running_bulk_runs("Create Lead", "backfill")
            .await
            .expect("list")
            .is_empty(),
        "an abandoned run is no longer listed"
    );
    assert_eq!(
        store.bulk_run(abandoned.id).await.expect("read"),
        Some(abandoned)
    );
}

pub async fn a_run_moves_with_the_job_that_advances_it_or_not_at_all(store: Arc<dyn Store>) {
    let started = run("Upsert Lead", "backfill", "2030-01-01T00:00:00Z");
    let mut tx = store.begin().await.expect("begin");
    tx.save_bulk_run(&started).await.expect("save");
    tx.commit().await.expect("commit");
    let users = [Uuid::from_u128(1), Uuid::from_u128(2)];
    let job = job_of(&started, &users);
    let mut advanced = started.clone();
    advanced.last_profile_id = Some(users[1]);

    let mut tx = store.begin().await.expect("begin");
    tx.save_bulk_job(&job).await.expect("save job");
    tx.save_bulk_run(&advanced).await.expect("save run");
    tx.rollback().await.expect("rollback");
    assert_eq!(
        store.bulk_run(started.id).await.expect("read"),
        Some(started.clone()),
        "a rolled-back job leaves the cursor where it was"
    );
    assert!(
        store
            .unfinished_bulk_jobs(Some(started.id))
            .await
            .expect("list")
            .is_empty()
    );

    let mut tx = store.begin().await.expect("begin");
    tx.save_bulk_job(&job).await.expect("save job");
    tx.save_bulk_run(&advanced).await.expect("save run");
    tx.commit().await.expect("commit");
    assert_eq!(
        store.bulk_run(started.id).await.expect("read"),
        Some(advanced)
    );
    assert_eq!(
        store
            .unfinished_bulk_jobs(Some(started.id))
            .await
            .expect("list"),
        vec![job]
    );
}

/// The migration that adds the runs.
pub const RUNS_MIGRATION: i64 = 20261209020000;

/// Jobs stored before runs were: two unfinished of one backfill, one recorded of another.
pub fn jobs_before_runs(unfinished_run: Uuid, finished_run: Uuid) -> Vec<String> {
    let row = |run: Uuid, state: &str, created: i64| {
        format!(
            "INSERT INTO salesforce_bulk_jobs (id, run_id, template, connection, api_base, \
             operation, external_id_field, sf_job_id, state, sf_state, rows, row_count, \
             processed, failed, created_at, updated_at) VALUES ('{}', '{run}', 'Upsert Lead', \
             'sales-cloud', 'https://x.example/services/data/v60.0', 'upsert', \
             'Leadwire_Id__c', '750Ka0000000001IAA', '{state}', 'Open', '', 0, 0, 0, \
             {created}, {})",
            Uuid::now_v7(),
            created + 5
        )
    };
    vec![
        row(unfinished_run, "closed", 2_000),
        row(unfinished_run, "open", 1_000),
        row(finished_run, "recorded", 500),
    ]
}

pub async fn unfinished_jobs_stored_before_runs_get_a_running_run(
    store: &Arc<dyn Store>,
    unfinished_run: Uuid,
    finished_run: Uuid,
) {
    let runs = store
        .running_bulk_runs("Upsert Lead", "backfill")
        .await
        .expect("list");
    assert_eq!(
        runs,
        vec![BulkRun {
            id: unfinished_run,
            template: "Upsert Lead".into(),
            connection: "sales-cloud".into(),
            source: "backfill".into(),
            audience: None,
            last_profile_id: None,
            state: BulkRunState::Running,
            created_at: chrono::DateTime::from_timestamp_micros(1_000).expect("a time"),
            updated_at: chrono::DateTime::from_timestamp_micros(2_005).expect("a time"),
        }],
        "one run for the unfinished jobs, of any audience"
    );
    assert_eq!(store.bulk_run(finished_run).await.expect("read"), None);
}
