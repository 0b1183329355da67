//! What the end-to-end tests share: reading the emulator's leads the way a Salesforce user
//! would, with a client-credentials token and SOQL.

#![allow(dead_code)]

pub mod example_node;
pub mod process;

use serde_json::Value;

/// An emulator's address and its connected app's credentials.
pub struct Org<'a> {
    pub base_url: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

impl<'a> From<&'a leadwire_salesforce_emulator::EmulatorHandle> for Org<'a> {
    fn from(emulator: &'a leadwire_salesforce_emulator::EmulatorHandle) -> Self {
        Self {
            base_url: &emulator.base_url,
            client_id: emulator.client_id(),
            client_secret: emulator.client_secret(),
        }
    }
}

/// A client-credentials access token of the org's connected app.
pub async fn access_token(http: &reqwest::Client, org: &Org<'_>) -> String {
    let token: Value = http
        .post(format!("{}/services/oauth2/token", org.base_url))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", org.client_id),
            ("client_secret", org.client_secret),
        ])
        .send()
        .await
        .expect("the emulator answers")
        .json()
        .await
        .expect("a token response");
    token["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// Every record of `soql`, following `nextRecordsUrl` pages, queried with a
/// client-credentials token.
pub async fn soql(http: &reqwest::Client, org: Org<'_>, soql: &str) -> Vec<Value> {
    let token = access_token(http, &org).await;
    let mut request = http
        .get(format!("{}/services/data/v60.0/query", org.base_url))
        .query(&[("q", soql)]);
    let mut records = Vec::new();
    loop {
        let page: Value = request
            .bearer_auth(&token)
            .send()
            .await
            .expect("the emulator answers")
            .json()
            .await
            .expect("a query result");
        records.extend(page["records"].as_array().into_iter().flatten().cloned());
        match page["nextRecordsUrl"].as_str() {
            Some(next) => request = http.get(format!("{}{next}", org.base_url)),
            None => return records,
        }
    }
}

/// Every Lead's email, as a Salesforce user sees them through SOQL.
pub async fn lead_emails(http: &reqwest::Client, org: Org<'_>) -> Vec<String> {
    let records = soql(http, org, "SELECT Id, Email FROM Lead").await;
    records
        .iter()
        .filter_map(|record| record["Email"].as_str().map(str::to_owned))
        .collect()
}
