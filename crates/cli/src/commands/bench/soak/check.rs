//! The soak's verdict: once the load stops, every acknowledged user's lead reaches
//! Salesforce, read back the way a Salesforce user would (a token and SOQL), exactly once.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use leadwire_salesforce_emulator::EmulatorHandle;
use leadwire_store::sql::sqlite::SqliteStore;
use leadwire_store::{Queue, Store};

use super::super::readback::{self, Tally};
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
    let drained = readback::drain(&store, DRAIN_DEADLINE).await;
    let failed_sends = store.failed_jobs(Queue::Sends).await?.len();
    store.close().await;
    drained?;
    let leads = readback::leads(emulator, &["Email"]).await?;
    let tally = Tally::of((0..users).map(email), &readback::texts(&leads, "Email"));
    Ok(Verdict {
        expected: tally.expected,
        exactly_once: tally.exactly_once,
        missing: tally.missing,
        duplicated: tally.duplicated,
        failed_sends,
    })
}
