//! `leadwire serve` as a real process with the example config: it logs where the API and the
//! built-in emulator listen, creates the Lead, stops cleanly on SIGTERM, and after a restart
//! on the same data directory the emulator still has the Lead (its leads persist).

mod support;

use support::process::Serve;

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use uuid::Uuid;

const KEY: &str = "serve-process-key-0123456789abcdef";
const SECRET: &str = "serve-process-emulator-secret";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// The example config on `emulator_port`, with the test's inline API key.
fn write_config(dir: &Path, emulator_port: u16) -> std::path::PathBuf {
    write_example(dir, emulator_port, true)
}

/// The example config on `emulator_port` and a scratch data directory; its API key is the
/// test's own when `inline_key`, else left as the example has it (generated when unset).
fn write_example(dir: &Path, emulator_port: u16, inline_key: bool) -> std::path::PathBuf {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/salesforce-leads.toml"
    );
    let mut source = std::fs::read_to_string(example).expect("the example config is readable");
    if inline_key {
        source = source.replace(
            "key_env = \"LEADWIRE_API_KEY\"\nwhen_unset = \"generate\"",
            &format!("key = \"{KEY}\""),
        );
    }
    let source = source.replace("127.0.0.1:8443", &format!("127.0.0.1:{emulator_port}"));
    let path = dir.join("leadwire.toml");
    let text = format!(
        "{source}\n[server]\nlisten = \"127.0.0.1:0\"\n\n[store]\ndata_dir = {:?}\n",
        dir.join("data").display().to_string()
    );
    std::fs::write(&path, text).expect("config written");
    path
}

fn org(emulator: &str) -> support::Org<'_> {
    support::Org {
        base_url: emulator,
        client_id: "leadwire-emulator-client",
        client_secret: SECRET,
    }
}

#[tokio::test]
async fn serve_logs_its_addresses_stops_on_sigterm_and_keeps_the_emulators_leads() {
    let dir = std::env::temp_dir().join(format!("leadwire-serve-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let config = write_config(&dir, free_port());
    let http = reqwest::Client::new();

    let mut serve = Serve::start(&config, SECRET);
    let emulator = serve.wait_for("built-in Salesforce emulator listening on ");
    let api = serve.wait_for("leadwire REST API listening on ");
    let secret_source = serve.wait_for("(client secret ");
    assert_eq!(
        secret_source, "from",
        "the secret comes from SALESFORCE_CLIENT_SECRET"
    );
    let response = http
        .post(format!("{api}/users/track"))
        .bearer_auth(KEY)
        .json(&json!({"attributes": [{"email": "grace@example.com", "last_name": "Hopper", "company": "Navy"}]}))
        .send()
        .await
        .expect("the API answers");
    assert_eq!(response.status().as_u16(), 201);
    let mut emails = Vec::new();
    for _ in 0..2400 {
        emails = support::lead_emails(&http, org(&emulator)).await;
        if !emails.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(emails, ["grace@example.com"]);
    let log = serve.terminate();
    assert!(
        !log.iter().any(|line| line.contains(SECRET)),
        "the secret is never logged"
    );

    // A new client: the old one's keep-alive connections died with the first process.
    let http = reqwest::Client::new();
    let mut again = Serve::start(&config, SECRET);
    let emulator = again.wait_for("built-in Salesforce emulator listening on ");
    again.wait_for("leadwire REST API listening on ");
    assert_eq!(
        support::lead_emails(&http, org(&emulator)).await,
        ["grace@example.com"]
    );
    again.terminate();
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_first_run_prints_a_usable_emulator_secret_and_a_plain_log() {
    let dir = std::env::temp_dir().join(format!("leadwire-first-run-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let config = write_example(&dir, free_port(), false);
    let mut serve = Serve::start_with(&config, None);
    let emulator = serve.wait_for("built-in Salesforce emulator listening on ");
    let secret = serve.wait_for("(client secret ");
    assert!(
        secret.len() >= 16 && secret != "from",
        "the generated secret is printed: {secret:?}"
    );
    let soql = serve.wait_for("leads: SOQL at ");
    assert!(soql.starts_with(&emulator), "{soql}");
    let key = serve.wait_for("generated API key: send `Authorization: Bearer ");
    let key = key.trim_end_matches('`');
    let api = serve.wait_for("leadwire REST API listening on ");
    let response = reqwest::Client::new()
        .post(format!("{api}/users/export/ids"))
        .bearer_auth(key)
        .json(&json!({"email_address": "nobody@example.com"}))
        .send()
        .await
        .expect("the API answers");
    assert_eq!(
        response.status().as_u16(),
        200,
        "the printed API key is accepted"
    );
    let org = support::Org {
        base_url: &emulator,
        client_id: "leadwire-emulator-client",
        client_secret: &secret,
    };
    let http = reqwest::Client::new();
    assert!(
        support::lead_emails(&http, org).await.is_empty(),
        "the printed SOQL URL answers with the printed credentials"
    );
    let log = serve.terminate();
    assert!(
        !log.iter().any(|line| line.contains('\u{1b}')),
        "no colour codes when the log is not a terminal:\n{}",
        log.join("\n")
    );
    assert!(
        !log.iter().any(|line| line.contains(" WARN ")),
        "a first start has no warnings:\n{}",
        log.join("\n")
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_json_log_format_writes_one_object_per_line() {
    let dir = std::env::temp_dir().join(format!("leadwire-json-log-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let config = write_config(&dir, free_port());
    let mut serve =
        Serve::start_with_env(&config, Some(SECRET), &[("LEADWIRE_LOG__FORMAT", "json")]);
    serve.wait_for("leadwire REST API listening on ");
    let log = serve.terminate();
    assert!(log.len() >= 3, "{log:#?}");
    for line in &log {
        let object: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|error| panic!("not a JSON object ({error}): {line}"));
        assert!(object["level"].is_string(), "{line}");
        assert!(object["fields"]["message"].is_string(), "{line}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
