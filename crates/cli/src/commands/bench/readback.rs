//! What a bench reads back once its load is over: the store's queues drained, and every
//! Lead in the emulator read the way a Salesforce user would (a token and SOQL), tallied
//! against the leads expected.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use leadwire_salesforce_emulator::EmulatorHandle;
use leadwire_store::{Queue, Store};
use serde_json::{Map, Value};

/// Waits until no trigger, campaign or send job is pending (every send delivered or
/// failed), for up to `deadline`.
pub async fn drain(store: &dyn Store, deadline: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let mut pending = 0;
        for queue in [Queue::Triggers, Queue::Campaigns, Queue::Sends] {
            pending += store.pending_jobs(queue).await?;
        }
        if pending == 0 {
            return Ok(());
        }
        if started.elapsed() > deadline {
            bail!("{pending} jobs were still pending {deadline:?} after the load stopped");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How often each expected lead was found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub expected: u64,
    pub exactly_once: u64,
    pub missing: u64,
    pub duplicated: u64,
}

impl Tally {
    /// Counts each of `expected` among `found` (a value per Lead).
    pub fn of(expected: impl IntoIterator<Item = String>, found: &[&str]) -> Self {
        let mut counts: HashMap<&str, u64> = HashMap::new();
        for value in found {
            *counts.entry(value).or_default() += 1;
        }
        let mut tally = Self::default();
        for key in expected {
            tally.expected += 1;
            match counts.get(key.as_str()).copied().unwrap_or(0) {
                0 => tally.missing += 1,
                1 => tally.exactly_once += 1,
                _ => tally.duplicated += 1,
            }
        }
        tally
    }

    /// Every expected lead found once.
    pub fn exact(&self) -> bool {
        self.exactly_once == self.expected && self.missing == 0 && self.duplicated == 0
    }
}

/// `fields` of every Lead, through a client-credentials token and SOQL, page by page. Turn
/// the emulator's faults off first: these calls go through them too.
pub async fn leads(
    emulator: &EmulatorHandle,
    fields: &[&str],
) -> anyhow::Result<Vec<Map<String, Value>>> {
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
    let query = format!("SELECT {} FROM Lead", fields.join(", "));
    let mut request = http
        .get(format!("{base}/services/data/v60.0/query"))
        .query(&[("q", query.as_str())]);
    let mut leads = Vec::new();
    loop {
        let mut page: Value = request.bearer_auth(&token).send().await?.json().await?;
        let Some(records) = page["records"].as_array_mut() else {
            bail!("a query page without records: {page}");
        };
        leads.extend(records.drain(..).filter_map(|record| match record {
            Value::Object(fields) => Some(fields),
            _ => None,
        }));
        match page["nextRecordsUrl"].as_str() {
            Some(next) => request = http.get(format!("{base}{next}")),
            None => return Ok(leads),
        }
    }
}

/// The text of `field` of each Lead that has it.
pub fn texts<'a>(leads: &'a [Map<String, Value>], field: &str) -> Vec<&'a str> {
    leads
        .iter()
        .filter_map(|lead| lead.get(field).and_then(Value::as_str))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_counts_missing_and_duplicated_leads() {
        let expected = ["a", "b", "c", "d"].map(str::to_owned);
        let tally = Tally::of(expected, &["a", "b", "b", "x"]);
        assert_eq!(
            tally,
            Tally {
                expected: 4,
                exactly_once: 1,
                missing: 2,
                duplicated: 1
            }
        );
        assert!(!tally.exact());
        assert!(Tally::of(["a".to_owned()], &["a"]).exact());
    }
}
