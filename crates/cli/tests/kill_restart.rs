//! The crash proof: `leadwire serve` (the upsert example, SQLite) sends a 10,000-lead burst
//! to an emulator that outlives it, is killed with SIGKILL in the middle, and is started
//! again on the same data directory. Every send completes, none is lost, and none creates a
//! second Lead. Nothing here waits on a duration: every wait polls for a condition under a
//! generous deadline.

mod support;

use support::process::Serve;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use leadwire_salesforce::fields::CustomFieldConfig;
use leadwire_salesforce_emulator::{EmulatorConfig, EmulatorHandle, EmulatorState, ServeOptions};
use leadwire_store::sql::sqlite::SqliteStore;
use leadwire_store::{Queue, Store};
use serde_json::{Value, json};
use uuid::Uuid;

const BURST: usize = 10_000;
const USERS_PER_REQUEST: usize = 75;
const KEY: &str = "kill-restart-key-0123456789abcdef";
const CLIENT_ID: &str = "leadwire-emulator-client";
const SECRET: &str = "kill-restart-emulator-secret";
/// Every wait gives up after this long (a stuck pipeline, not a slow one).
const DEADLINE: Duration = Duration::from_secs(900);

async fn emulator() -> EmulatorHandle {
    let mut external = CustomFieldConfig::text("Leadwire_Id__c");
    external.external_id = true;
    let config = EmulatorConfig {
        client_id: CLIENT_ID.into(),
        client_secret: SECRET.into(),
        custom_fields: vec![external],
        daily_api_limit: 10_000_000,
        ..EmulatorConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let options = ServeOptions {
        plain_http: true,
        cert_out: None,
    };
    let state = EmulatorState::new(config).expect("valid emulator config");
    leadwire_salesforce_emulator::spawn(state, listener, options)
        .await
        .expect("the emulator starts")
}

/// The upsert example pointed at `emulator_url`, with a short delivery lease so a killed
/// process's sends come back soon.
fn write_config(dir: &Path, emulator_url: &str) -> PathBuf {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/create-lead-upsert.toml"
    );
    let source = std::fs::read_to_string(example).expect("the example config is readable");
    let source = source
        .replace(
            "key_env = \"LEADWIRE_API_KEY\"",
            &format!("key = \"{KEY}\""),
        )
        .replace("http://127.0.0.1:8443", emulator_url)
        .replace(
            "[delivery]\n",
            "[delivery]\ntimeout = \"5s\"\nlease = \"20s\"\n",
        );
    assert!(source.contains(emulator_url) && source.contains(KEY));
    let text = format!(
        "{source}\n[server]\nlisten = \"127.0.0.1:0\"\n\n[store]\ndata_dir = {:?}\n",
        dir.join("data").display().to_string()
    );
    let path = dir.join("leadwire.toml");
    std::fs::write(&path, text).expect("config written");
    path
}

async fn ingest(http: &reqwest::Client, api: &str) {
    for first in (0..BURST).step_by(USERS_PER_REQUEST) {
        let attributes: Vec<Value> = (first..BURST.min(first + USERS_PER_REQUEST))
            .map(|n| {
                json!({
                    "external_id": format!("kill-{n}"),
                    "email": format!("kill{n}@example.com"),
                    "first_name": "Crash",
                    "last_name": format!("Test {n}"),
                    "company": "Durable Inc",
                })
            })
            .collect();
        let response = http
            .post(format!("{api}/users/track"))
            .bearer_auth(KEY)
            .json(&json!({ "attributes": attributes }))
            .send()
            .await
            .expect("the API answers");
        assert_eq!(response.status().as_u16(), 201, "ingest from user {first}");
    }
}

/// Polls `condition` until it holds, failing after [`DEADLINE`].
async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(started.elapsed() < DEADLINE, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_loses_and_duplicates_no_send_after_a_restart() {
    let dir = std::env::temp_dir().join(format!("leadwire-kill-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let emulator = emulator().await;
    let config = write_config(&dir, &emulator.base_url);
    let http = reqwest::Client::new();

    let mut first = Serve::start(&config, SECRET);
    let api = first.wait_for("leadwire REST API listening on ");
    ingest(&http, &api).await;
    // Kill in the middle of the burst: some leads are in, most sends are still to come.
    let state = emulator.state().clone();
    wait_until("the first leads", || state.lead_count() >= BURST / 20).await;
    first.kill();
    let at_kill = state.lead_count();
    assert!(
        at_kill < BURST,
        "the process was killed after the whole burst ({at_kill} leads); nothing was proven"
    );
    eprintln!("killed with {at_kill} of {BURST} leads in the emulator");

    // The same data directory: claimed sends come back when their leases expire.
    let http = reqwest::Client::new();
    let mut second = Serve::start(&config, SECRET);
    second.wait_for("leadwire REST API listening on ");
    wait_until("every lead", || state.lead_count() >= BURST).await;
    // Leads are in; wait for every job to be recorded, then stop cleanly.
    let db = dir.join("data").join("leadwire.db");
    let store = SqliteStore::open(&db, 1)
        .await
        .expect("the store opens beside the process");
    let started = Instant::now();
    loop {
        let mut pending = 0;
        for queue in [Queue::Sends, Queue::Triggers, Queue::Campaigns] {
            pending += store.pending_jobs(queue).await.expect("pending");
        }
        if pending == 0 {
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "{pending} jobs never finished"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        store
            .failed_jobs(Queue::Sends)
            .await
            .expect("failed")
            .is_empty(),
        "no send failed"
    );
    store.close().await;
    second.terminate();

    let emails = support::lead_emails(&http, (&emulator).into()).await;
    let distinct: HashSet<&str> = emails.iter().map(String::as_str).collect();
    let expected: HashSet<String> = (0..BURST).map(|n| format!("kill{n}@example.com")).collect();
    assert_eq!(emails.len(), BURST, "no Lead was created twice");
    assert_eq!(distinct.len(), BURST, "no Lead was created twice");
    assert!(
        expected
            .iter()
            .all(|email| distinct.contains(email.as_str())),
        "no send was lost"
    );
    let upserts = emulator
        .stats()
        .by_endpoint
        .iter()
        .filter(|(name, _)| name.starts_with("PATCH"))
        .map(|(_, count)| *count)
        .sum::<u64>();
    eprintln!("{upserts} upserts for {BURST} leads");
    assert!(upserts >= BURST as u64);
    emulator.shutdown().await;
    std::fs::remove_dir_all(&dir).ok();
}
