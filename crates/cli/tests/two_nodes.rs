//! Two nodes on one PostgreSQL database, as the README's "Several nodes" section runs them:
//! users posted to either node each become exactly one Lead, and a profile written through
//! one node carries the Lead id the other node's send captured. Runs when
//! `LEADWIRE_TEST_DATABASE_URL` names a PostgreSQL server (CI sets it); the test makes and
//! drops its own database there.

mod support;

use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use leadwire::commands::serve::{Listeners, Running, ServeInputs, start};
use leadwire_salesforce_emulator::{
    EmulatorConfig, EmulatorHandle, EmulatorState, ServeOptions, spawn,
};
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::net::TcpListener;
use uuid::Uuid;

const KEY: &str = "two-nodes-key-0123456789abcdef";
const SECRET: &str = "two-nodes-client-secret";
const USERS_PER_NODE: usize = 150;

fn config(emulator: &EmulatorHandle, database_url: &str) -> String {
    format!(
        r#"
[[api_keys]]
name = "nodes"
key = "{KEY}"
permissions = ["users.track", "users.export.ids", "activity.read"]

[[salesforce_connections]]
name = "sales-cloud"
instance_url = "{instance}"
client_id = "{client_id}"
client_secret_env = "NODES_CLIENT_SECRET"

[[webhook_templates]]
name = "Create Lead"
connection = "sales-cloud"
url = "{{{{connection.instance_url}}}}/services/data/v60.0/sobjects/Lead/"
method = "POST"
capture = [{{ field = "id", save_to = "external_id" }}]

[webhook_templates.headers]
Authorization = "Bearer {{{{connection.access_token}}}}"
Content-Type = "application/json"

[webhook_templates.body.json]
lastName = "{{{{${{last_name}}}}}}"
email = "{{{{${{email_address}}}}}}"
company = "{{{{custom_attribute.${{company}}}}}}"

[[campaigns]]
name = "New lead to Salesforce"
template = "Create Lead"
triggers = [{{ type = "add_email_address" }}]

[delivery]
allowed_hosts = ["127.0.0.1"]

[server]
listen = "127.0.0.1:0"

[store]
database_url = "{database_url}"
"#,
        instance = emulator.base_url,
        client_id = emulator.client_id(),
    )
}

/// A new database on the server `LEADWIRE_TEST_DATABASE_URL` names, and its URL.
async fn fresh_database(server_url: &str) -> (String, String) {
    let name = format!("leadwire_nodes_{}", Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(server_url)
        .await
        .expect("the test database server accepts connections");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("a fresh database");
    let mut url = reqwest::Url::parse(server_url).expect("a database URL");
    url.set_path(&name);
    (url.to_string(), name)
}

async fn drop_database(server_url: &str, name: &str) {
    if let Ok(mut admin) = sqlx::PgConnection::connect(server_url).await {
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await
            .ok();
    }
}

async fn node(source: &str, dir: &std::path::Path, index: usize) -> Running {
    let path = dir.join(format!("node-{index}.toml"));
    std::fs::write(&path, source).expect("config written");
    let mut inputs = ServeInputs::load(Some(&path)).expect("the config passes check");
    inputs.env = Arc::new(|name: &str| (name == "NODES_CLIENT_SECRET").then(|| SECRET.to_owned()));
    let listeners = Listeners {
        api: TcpListener::bind("127.0.0.1:0").await.expect("a free port"),
        emulator: None,
    };
    start(inputs, listeners).await.expect("the node starts")
}

async fn post(http: &reqwest::Client, node: &Running, path: &str, body: Value) -> (u16, Value) {
    let response = http
        .post(format!("http://{}{path}", node.address))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .expect("the node answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_one_queue_and_create_each_lead_once() {
    let Ok(server_url) = std::env::var("LEADWIRE_TEST_DATABASE_URL") else {
        // Written to stderr directly, past the test harness's capture, so the skip is seen.
        let _ = writeln!(
            std::io::stderr(),
            "notice: LEADWIRE_TEST_DATABASE_URL is not set; the two-node PostgreSQL test was skipped"
        );
        return;
    };
    let emulator_config = EmulatorConfig {
        client_id: "two-nodes-client".into(),
        client_secret: SECRET.into(),
        daily_api_limit: 1_000_000,
        ..EmulatorConfig::default()
    };
    let emulator = spawn(
        EmulatorState::new(emulator_config).expect("valid emulator settings"),
        TcpListener::bind("127.0.0.1:0").await.expect("a free port"),
        ServeOptions {
            plain_http: true,
            cert_out: None,
        },
    )
    .await
    .expect("the emulator starts");
    let (database_url, database) = fresh_database(&server_url).await;
    let dir = std::env::temp_dir().join(format!("leadwire-nodes-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let source = config(&emulator, &database_url);
    let nodes = [node(&source, &dir, 0).await, node(&source, &dir, 1).await];
    let http = reqwest::Client::new();

    let email = |node: usize, user: usize| format!("lead-{node}-{user}@example.com");
    for (index, node) in nodes.iter().enumerate() {
        for batch in 0..USERS_PER_NODE / 50 {
            let attributes: Vec<Value> = (batch * 50..(batch + 1) * 50)
                .map(|user| json!({"email": email(index, user), "last_name": format!("Lead {user}"), "company": "Acme"}))
                .collect();
            let (status, body) = post(
                &http,
                node,
                "/users/track",
                json!({"attributes": attributes}),
            )
            .await;
            assert_eq!(status, 201, "{body}");
        }
    }
    let expected = 2 * USERS_PER_NODE;
    let mut waited = 0;
    while emulator.state().lead_count() < expected && waited < 2400 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    // A user posted to node 0 carries, as read through node 1, the Lead id a send captured.
    let mut captured = Value::Null;
    for _ in 0..2400 {
        let (_, body) = post(
            &http,
            &nodes[1],
            "/users/export/ids",
            json!({"email_address": email(0, 7), "fields_to_export": ["external_id"]}),
        )
        .await;
        captured = body["users"][0]["external_id"].clone();
        if captured.is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for node in nodes {
        node.wait(async {}).await.expect("a clean shutdown");
    }

    let emails = support::lead_emails(&http, (&emulator).into()).await;
    let distinct: HashSet<&String> = emails.iter().collect();
    assert_eq!(
        emails.len(),
        expected,
        "every user became a Lead, and only once"
    );
    assert_eq!(distinct.len(), expected);
    assert!(distinct.contains(&email(0, 7)) && distinct.contains(&email(1, 149)));
    assert!(
        captured
            .as_str()
            .is_some_and(|id| id.starts_with("00Q") && id.len() == 18),
        "captured external_id: {captured}"
    );
    emulator.shutdown().await;
    drop_database(&server_url, &database).await;
    std::fs::remove_dir_all(&dir).ok();
}
