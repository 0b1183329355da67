//! The crash proof: `leadwire serve` (the upsert example, SQLite) takes a 10,000-user burst
//! and upserts a Lead for each in an emulator that outlives it. It is killed with SIGKILL as
//! the first Leads are written, calls in flight and the burst still coming in, and started
//! again on the same data directory, where the burst goes on from its first unacknowledged
//! request. Every send completes, none is lost, and none creates a second Lead: each user
//! has one Lead by its external id and one success entry. The proof runs twice: one upsert
//! a call, and the example's `batch` line uncommented (up to 200 a sObject Collections
//! call). Nothing here waits on a duration: every wait polls for a condition under a
//! generous deadline.

mod support;

use support::process::Serve;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use leadwire_core::activity::{ActivityEntry, ActivityType};
use leadwire_salesforce::fields::CustomFieldConfig;
use leadwire_salesforce_emulator::{
    ApiFamily, EmulatorConfig, EmulatorHandle, EmulatorState, FaultSettings, ServeOptions,
};
use leadwire_store::sql::sqlite::SqliteStore;
use leadwire_store::{ActivityQuery, Queue, Store};
use serde_json::{Value, json};
use uuid::Uuid;

const BURST: usize = 10_000;
const USERS_PER_REQUEST: usize = 75;
const KEY: &str = "kill-restart-key-0123456789abcdef";
const CLIENT_ID: &str = "leadwire-emulator-client";
const SECRET: &str = "kill-restart-emulator-secret";
/// The example's commented line that makes its template batched.
const BATCH_LINE: &str = "# batch = { max_records = 200, max_wait = \"2s\" }";
/// Every wait gives up after this long (a stuck pipeline, not a slow one).
const DEADLINE: Duration = Duration::from_secs(900);

/// How the upsert template sends in one run of the proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sending {
    /// One `PATCH …/sobjects/Lead/Leadwire_Id__c/{id}` a lead.
    Single,
    /// The example's `batch` line: up to 200 leads a
    /// `PATCH …/composite/sobjects/Lead/Leadwire_Id__c` call.
    Batched,
}

impl Sending {
    /// The API family the leads are written through.
    fn family(self) -> ApiFamily {
        match self {
            Self::Single => ApiFamily::Sobjects,
            Self::Batched => ApiFamily::Collections,
        }
    }

    /// What the emulator adds before each answer. Batched, a few calls carry the whole
    /// burst; a quarter second each keeps calls in flight when the kill lands.
    fn latency_ms(self) -> u64 {
        match self {
            Self::Single => 0,
            Self::Batched => 250,
        }
    }

    /// The example's text, its template batched or not.
    fn template(self, example: String) -> String {
        assert!(
            example.contains(BATCH_LINE),
            "the upsert example documents its batched variant"
        );
        match self {
            Self::Single => example,
            Self::Batched => example.replace(BATCH_LINE, BATCH_LINE.trim_start_matches("# ")),
        }
    }
}

async fn emulator(sending: Sending) -> EmulatorHandle {
    let mut external = CustomFieldConfig::text("Leadwire_Id__c");
    external.external_id = true;
    let config = EmulatorConfig {
        client_id: CLIENT_ID.into(),
        client_secret: SECRET.into(),
        custom_fields: vec![external],
        daily_api_limit: 10_000_000,
        faults: FaultSettings {
            latency_ms: sending.latency_ms(),
            ..FaultSettings::default()
        },
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

/// The upsert example pointed at `emulator_url`, sending as `sending` says, with a short
/// delivery lease so a killed process's sends come back soon.
fn write_config(dir: &Path, emulator_url: &str, sending: Sending) -> PathBuf {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/create-lead-upsert.toml"
    );
    let source = std::fs::read_to_string(example).expect("the example config is readable");
    let source = sending
        .template(source)
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

/// Sends the burst's users from user `from` on, [`USERS_PER_REQUEST`] a request, in order.
/// Fails with the first user of the first request without an answer (the node was
/// killed): the burst is to go on from there. A request that committed but lost its answer
/// is applied again unchanged, which triggers nothing (its users' emails are not new).
async fn ingest(http: &reqwest::Client, api: &str, from: usize) -> Result<(), usize> {
    for first in (from..BURST).step_by(USERS_PER_REQUEST) {
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
            .map_err(|_| first)?;
        assert_eq!(response.status().as_u16(), 201, "ingest from user {first}");
    }
    Ok(())
}

/// Polls `condition` every `every` until it holds, failing after [`DEADLINE`].
async fn wait_until(what: &str, every: Duration, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(started.elapsed() < DEADLINE, "gave up waiting for {what}");
        tokio::time::sleep(every).await;
    }
}

/// Waits until no job of any queue is left, then returns the whole activity log and checks
/// that no send failed.
async fn settled_activity(store: &SqliteStore) -> Vec<ActivityEntry> {
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
    let mut entries = Vec::new();
    let mut query = ActivityQuery::default();
    loop {
        let page = store.activity(&query).await.expect("the activity log");
        entries.extend(page.entries);
        match page.next {
            Some(cursor) => query.before = Some(cursor),
            None => return entries,
        }
    }
}

/// Every user of the burst has exactly one success entry, and one Lead by its external id
/// (the profile's id) with its email; there is no other Lead.
async fn assert_each_user_once(
    http: &reqwest::Client,
    emulator: &EmulatorHandle,
    activity: &[ActivityEntry],
) {
    let mut successes: HashMap<&str, Vec<Uuid>> = HashMap::new();
    for entry in activity {
        if entry.activity_type == ActivityType::Success {
            let user = entry.external_id.as_deref().unwrap_or("(no external id)");
            successes.entry(user).or_default().push(entry.user_id);
        }
    }
    let leads = support::soql(
        http,
        emulator.into(),
        "SELECT Id, Email, Leadwire_Id__c FROM Lead",
    )
    .await;
    let mut emails_by_id: HashMap<&str, Vec<&str>> = HashMap::new();
    for lead in &leads {
        let id = lead["Leadwire_Id__c"].as_str().unwrap_or("(none)");
        let email = lead["Email"].as_str().unwrap_or("(none)");
        emails_by_id.entry(id).or_default().push(email);
    }
    assert_eq!(leads.len(), BURST, "one Lead a user, no more");
    assert_eq!(
        successes.len(),
        BURST,
        "a success entry for every user, no other"
    );
    for n in 0..BURST {
        let user = format!("kill-{n}");
        let entries = successes.get(user.as_str()).map_or(&[][..], Vec::as_slice);
        let [profile] = entries else {
            panic!("{user} has {} success entries, not one", entries.len());
        };
        let profile = profile.to_string();
        let emails = emails_by_id
            .get(profile.as_str())
            .map_or(&[][..], Vec::as_slice);
        assert_eq!(
            emails,
            [format!("kill{n}@example.com").as_str()],
            "{user}'s Lead (Leadwire_Id__c = {profile}) exists exactly once"
        );
    }
}

/// The writes went through the family `sending` uses, one creation a Lead, and the restart
/// sent again some leads the killed process had written but not recorded.
fn assert_calls(emulator: &EmulatorHandle, sending: Sending) {
    let stats = emulator.stats();
    let family = stats.api(sending.family());
    let created: u64 = ApiFamily::ALL
        .iter()
        .map(|family| stats.api(*family).created)
        .sum();
    eprintln!(
        "{sending:?}: {} {:?} requests, {} leads created, {} updated by a repeated send",
        family.requests,
        sending.family(),
        family.created,
        family.updated
    );
    assert_eq!(family.created, BURST as u64, "every Lead created once");
    assert_eq!(created, BURST as u64, "no Lead created by another API");
    assert!(
        family.updated > 0,
        "no send was repeated after its write: the kill fell between no call and its record"
    );
    match sending {
        Sending::Single => assert!(family.requests >= BURST as u64),
        Sending::Batched => assert!(
            family.requests * 20 <= BURST as u64,
            "{} Collections calls for {BURST} leads: the calls were not shared",
            family.requests
        ),
    }
}

/// Runs the proof with the upsert template sending as `sending` says.
async fn crash_proof(sending: Sending) {
    let dir = std::env::temp_dir().join(format!("leadwire-kill-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let emulator = emulator(sending).await;
    let config = write_config(&dir, &emulator.base_url, sending);
    let http = reqwest::Client::new();

    let mut first = Serve::start(&config, SECRET);
    let api = first.wait_for("leadwire REST API listening on ");
    // Kill in the middle of the burst, as soon as the first leads are written: their calls
    // have answered, or are answering, and their sends are not all recorded; the burst is
    // still coming in, so most sends are still to come.
    let state = emulator.state().clone();
    let family = sending.family();
    let kill = async {
        wait_until("the first leads", Duration::from_millis(1), || {
            state.stats().api(family).created >= (BURST / 20) as u64
        })
        .await;
        first.kill();
    };
    let (acknowledged, ()) = tokio::join!(ingest(&http, &api, 0), kill);
    let at_kill = state.lead_count();
    assert!(
        at_kill < BURST,
        "the process was killed after the whole burst ({at_kill} leads); nothing was proven"
    );
    let unanswered = acknowledged.err().unwrap_or(BURST);
    eprintln!(
        "{sending:?}: killed with {at_kill} of {BURST} leads in the emulator, \
         users from {unanswered} on not acknowledged"
    );

    // The same data directory: claimed sends come back when their leases expire, and the
    // burst goes on from its first unacknowledged request.
    let http = reqwest::Client::new();
    let mut second = Serve::start(&config, SECRET);
    let api = second.wait_for("leadwire REST API listening on ");
    if ingest(&http, &api, unanswered).await.is_err() {
        panic!("the restarted node did not answer the rest of the burst");
    }
    wait_until("every lead", Duration::from_millis(20), || {
        state.lead_count() >= BURST
    })
    .await;
    // Leads are in; wait for every job to be recorded, then stop cleanly.
    let db = dir.join("data").join("leadwire.db");
    let store = SqliteStore::open(&db, 1)
        .await
        .expect("the store opens beside the process");
    let activity = settled_activity(&store).await;
    store.close().await;
    second.terminate();

    assert_each_user_once(&http, &emulator, &activity).await;
    assert_calls(&emulator, sending);
    emulator.shutdown().await;
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_loses_and_duplicates_no_send_after_a_restart() {
    crash_proof(Sending::Single).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_loses_and_duplicates_no_batched_send_after_a_restart() {
    crash_proof(Sending::Batched).await;
}
