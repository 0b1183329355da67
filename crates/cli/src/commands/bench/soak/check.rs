//! The soak's verdict: once the load stops, every acknowledged user's lead reaches
//! Salesforce, read back the way a Salesforce user would (a token and SOQL), exactly once.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use leadwire_salesforce_emulator::EmulatorHandle;
use leadwire_store::sql::sqlite::SqliteStore;
use leadwire_store::{Queue, Store};
use serde_json::Value;

use super::load::email;

/// How long the node may take to finish its queues after the load stops.
const DRAIN_DEADLINE: Duration = Duration::from_secs(900);

/// Leads expected, found once, missing, found more than once; failed sends.
#[derive(Debug)]
pub struct Verdict {
    pub expected: u64,
    pub exactly_once: u64,
    pub missing: u64,
    pub duplicated: u64,
    pub failed_sends: usize,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.exactly_once == self.expected
            && self.missing == 0
            && self.duplicated == 0
            && self.failed_sends == 0
    }
}

/// Waits for the node's queues at `database` to empty, then compares the emulator's leads
/// with the `users` acknowledged.
pub async fn verify(
    database: &Path,
    emulator: &EmulatorHandle,
    users: u64,
) -> anyhow::Result<Verdict> {
    let store = SqliteStore::open(database, 1)
        .await
        .context("cannot open the node's store")?;
    let drained = drain(&store).await;
    let failed_sends = store.failed_jobs(Queue::Sends).await?.len();
    store.close().await;
    drained?;
    let mut counts: HashMap<String, u64> = HashMap::new();
    for email in lead_emails(emulator).await? {
        *counts.entry(email).or_default() += 1;
    }
    let mut verdict = Verdict {
        expected: users,
        exactly_once: 0,
        missing: 0,
        duplicated: 0,
        failed_sends,
    };
    for n in 0..users {
        match counts.get(&email(n)).copied().unwrap_or(0) {
            0 => verdict.missing += 1,
            1 => verdict.exactly_once += 1,
            _ => verdict.duplicated += 1,
        }
    }
    Ok(verdict)
}

async fn drain(store: &SqliteStore) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let mut pending = 0;
        for queue in [Queue::Triggers, Queue::Campaigns, Queue::Sends] {
            pending += store.pending_jobs(queue).await?;
        }
        if pending == 0 {
            return Ok(());
        }
        if started.elapsed() > DRAIN_DEADLINE {
            bail!("{pending} jobs were still pending {DRAIN_DEADLINE:?} after the load stopped");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Every Lead's Email, through a client-credentials token and SOQL, page by page.
async fn lead_emails(emulator: &EmulatorHandle) -> anyhow::Result<Vec<String>> {
    let http = reqwest::Client::new();
    let base = &emulator.base_url;
    let token: Value = http
        .post(format!("{base}/services/oauth2/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", emulator.client_id()),
            ("client_secret", emulator.client_secret()),
        ])
        .send()
        .await?
        .json()
        .await?;
    let token = token["access_token"]
        .as_str()
        .context("the emulator gave no access token")?
        .to_owned();
    let mut request = http
        .get(format!("{base}/services/data/v60.0/query"))
        .query(&[("q", "SELECT Email FROM Lead")]);
    let mut emails = Vec::new();
    loop {
        let page: Value = request.bearer_auth(&token).send().await?.json().await?;
        let records = page["records"]
            .as_array()
            .context("a query page without records")?;
        emails.extend(
            records
                .iter()
                .filter_map(|record| record["Email"].as_str().map(str::to_owned)),
        );
        match page["nextRecordsUrl"].as_str() {
            Some(next) => request = http.get(format!("{base}{next}")),
            None => return Ok(emails),
        }
    }
}
