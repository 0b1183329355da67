//! Canvas step execution with SQLite: users enter an API-triggered canvas of five steps
//! (Decision Split → Audience Paths → User Update → User Update → Decision Split), and the
//! journey workers run every entry to its exit. Prints user-steps per second for the
//! sequential driver (`run_until_idle`) and for the concurrent queue loops.
//!
//! `cargo bench -p leadwire-engine --bench journey_steps [-- USERS]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use leadwire_core::attributes::AttributeLimits;
use leadwire_core::config::Config;
use leadwire_engine::journeys::Journeys;
use leadwire_engine::journeys::api::{ApiTrigger, trigger_canvas};
use leadwire_engine::workers::{WorkerOptions, Workers};
use leadwire_store::Store;
use leadwire_store::ingest::{TrackRequest, track};
use leadwire_store::sql::sqlite::SqliteStore;
use serde_json::json;
use tokio_util::sync::CancellationToken;

const CANVAS: &str = r#"
[[canvases]]
name = "Bench"
entry_schedule = "api_triggered"
allow_reentry_after = "0s"

[[canvases.steps]]
name = "Has email"
type = "decision_split"
filters = [{ email_available = true }]
yes = "Tier"
no = "Tier"

[[canvases.steps]]
name = "Tier"
type = "audience_paths"
everyone_else = "Score"
groups = [
    { name = "Big", next = "Score", filters = [{ attribute = "employees", op = "greater_than", value = 1000 }] },
    { name = "Lead", next = "Score", filters = [{ attribute = "lead_stage", op = "equals", value = "Lead" }] },
]

[[canvases.steps]]
name = "Score"
type = "user_update"
updates = [{ attribute = "lead_score", action = "increment", value = 5 }]
next = "Stage"

[[canvases.steps]]
name = "Stage"
type = "user_update"
updates = [{ attribute = "lead_stage", action = "set", value = "{{context.${stage}}}" }]
next = "Done"

[[canvases.steps]]
name = "Done"
type = "decision_split"
filters = [{ attribute = "lead_score", op = "greater_than", value = 50 }]
"#;

const STEPS_PER_USER: usize = 5;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let users: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(5_000);
    let config: Arc<Config> = Arc::new(toml::from_str(CANVAS).expect("the bench canvas parses"));
    let path = std::env::temp_dir().join(format!("leadwire-bench-{}.db", uuid::Uuid::new_v4()));
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, 4).await.expect("open SQLite"));
    store.set_trigger_interest(config.trigger_interest());
    let journeys = Arc::new(Journeys::new(
        store.clone(),
        config,
        AttributeLimits::default(),
    ));
    let options = WorkerOptions::default();
    let loops_label = format!("queue loops (batches of up to {})", options.batch);
    let workers = Workers::new(journeys.clone(), options);

    let ids: Vec<String> = (0..users).map(|n| format!("user-{n}")).collect();
    for chunk in ids.chunks(75) {
        let attributes = chunk
            .iter()
            .map(|id| json!({"external_id": id, "email": format!("{id}@example.com"), "lead_stage": "Lead", "lead_score": 10}))
            .collect();
        let request = TrackRequest {
            attributes: Some(attributes),
            ..TrackRequest::default()
        };
        track(&*store, &request, &AttributeLimits::default(), Utc::now())
            .await
            .expect("create the users");
    }

    let half = users / 2;
    enter(&journeys, &ids[..half]).await;
    let started = Instant::now();
    workers
        .run_until_idle(Utc::now())
        .await
        .expect("run the journeys");
    report(
        "run_until_idle (one claimed batch at a time)",
        half,
        started.elapsed(),
    );

    enter(&journeys, &ids[half..]).await;
    let started = Instant::now();
    let handle = workers.start(CancellationToken::new());
    while store
        .pending_jobs(leadwire_store::Queue::Canvas)
        .await
        .expect("pending jobs")
        > 0
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    handle.shutdown().await.expect("the loops stop cleanly");
    report(&loops_label, users - half, elapsed);

    store.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        std::fs::remove_file(file).ok();
    }
}

async fn enter(journeys: &Journeys, ids: &[String]) {
    for chunk in ids.chunks(50) {
        let recipients: Vec<_> = chunk
            .iter()
            .map(|id| json!({"external_user_id": id}))
            .collect();
        let body =
            json!({"canvas_id": "Bench", "context": {"stage": "MQL"}, "recipients": recipients});
        let request = ApiTrigger::parse(body.as_object().expect("object"), "canvas_id", "context")
            .expect("a valid trigger");
        trigger_canvas(journeys, &request, Utc::now())
            .await
            .expect("enter the users");
    }
}

fn report(label: &str, users: usize, elapsed: Duration) {
    let steps = users * STEPS_PER_USER;
    let per_second = steps as f64 / elapsed.as_secs_f64();
    println!(
        "{label}: {users} users, {steps} user-steps in {:.3}s = {per_second:.0} user-steps/s",
        elapsed.as_secs_f64()
    );
}
