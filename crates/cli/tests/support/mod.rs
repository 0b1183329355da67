//! What the end-to-end tests share: reading the emulator's leads the way a Salesforce user
//! would, with a client-credentials token and SOQL.

use leadwire_salesforce::emulator::EmulatorHandle;
use serde_json::Value;

/// The records of `soql` (one page), queried with a token of the emulator's connected app.
pub async fn soql(http: &reqwest::Client, emulator: &EmulatorHandle, soql: &str) -> Vec<Value> {
    let token: Value = http
        .post(emulator.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", emulator.client_id()),
            ("client_secret", emulator.client_secret()),
        ])
        .send()
        .await
        .expect("the emulator answers")
        .json()
        .await
        .expect("a token response");
    let token = token["access_token"].as_str().expect("an access token");
    let result: Value = http
        .get(format!("{}/services/data/v60.0/query", emulator.base_url))
        .query(&[("q", soql)])
        .bearer_auth(token)
        .send()
        .await
        .expect("the emulator answers")
        .json()
        .await
        .expect("a query result");
    assert_eq!(
        result["done"], true,
        "one page holds every record: {result}"
    );
    result["records"].as_array().cloned().unwrap_or_default()
}
