//! A node running the README's example config in-process, its REST API and built-in
//! Salesforce emulator on port 0, with API keys the tests know: the walkthrough and the
//! browser suite drive it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use leadwire::commands::serve::{Listeners, Running, ServeInputs, start};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use uuid::Uuid;

pub const KEY: &str = "walkthrough-key-0123456789abcdef";
/// The example's console key, inline.
pub const CONSOLE_KEY: &str = "walkthrough-console-key-0123456789";
pub const EMAIL: &str = "ada@example.com";

/// The example config, pointed at `emulator_port` and a scratch data directory, with an
/// inline API key the test knows.
pub fn example_config(emulator_port: u16, data_dir: &Path) -> String {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/salesforce-leads.toml"
    );
    let source = std::fs::read_to_string(example).expect("the example config is readable");
    let key_lines = "key_env = \"LEADWIRE_API_KEY\"\nwhen_unset = \"generate\"";
    assert_eq!(
        source.matches(key_lines).count(),
        1,
        "the example's API key"
    );
    assert_eq!(
        source.matches("127.0.0.1:8443").count(),
        2,
        "[emulator] and the connection"
    );
    let console_lines = "key_env = \"LEADWIRE_CONSOLE_KEY\"\nwhen_unset = \"generate\"";
    assert_eq!(source.matches(console_lines).count(), 1, "the console key");
    let source = source
        .replace(key_lines, &format!("key = \"{KEY}\""))
        .replace(console_lines, &format!("key = \"{CONSOLE_KEY}\""))
        .replace("127.0.0.1:8443", &format!("127.0.0.1:{emulator_port}"));
    format!(
        "{source}\n{}\n[server]\nlisten = \"127.0.0.1:0\"\n\n[store]\ndata_dir = {:?}\n",
        template_as_printed(),
        data_dir.display().to_string()
    )
}

/// The verbatim example's Create Lead template, placeholders and all, renamed "Create Lead
/// (as printed)", with an API-triggered campaign `seed-template-as-printed` that sends it.
fn template_as_printed() -> String {
    let verbatim = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/salesforce-leads-verbatim.toml"
    );
    let source = std::fs::read_to_string(verbatim).expect("the verbatim example is readable");
    let start = source.find("[[webhook_templates]]").expect("a template");
    let length = source[start + 1..]
        .find("[[webhook_templates]]")
        .expect("a second template")
        + 1;
    let template = source[start..start + length].replacen(
        "name = \"Create Lead\"",
        "name = \"Create Lead (as printed)\"",
        1,
    );
    format!(
        "{template}\n[[campaigns]]\nname = \"Template as printed\"\napi_id = \"seed-template-as-printed\"\ndelivery = \"api_triggered\"\ntemplate = \"Create Lead (as printed)\"\n"
    )
}

pub struct ExampleNode {
    pub node: Running,
    pub http: reqwest::Client,
    pub api: String,
    dir: PathBuf,
}

impl ExampleNode {
    pub async fn start() -> Self {
        Self::start_edited(|config| config).await
    }

    /// A node whose failed sends are failed for good at once (no retries), so a test can
    /// replay them.
    pub async fn start_without_retries() -> Self {
        Self::start_edited(|config| {
            let hosts = "allowed_hosts = [\"127.0.0.1\", \"localhost\"]";
            assert_eq!(config.matches(hosts).count(), 1, "the example's [delivery]");
            config.replace(hosts, &format!("{hosts}\nretry_delays = []"))
        })
        .await
    }

    /// A node running the example config with `extra` TOML appended.
    pub async fn start_with(extra: &str) -> Self {
        Self::start_edited(|config| format!("{config}\n{extra}\n")).await
    }

    /// A node running the example config as `edit` changes it.
    pub async fn start_edited(edit: impl FnOnce(String) -> String) -> Self {
        let dir = std::env::temp_dir().join(format!("leadwire-walkthrough-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        let emulator = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let port = emulator.local_addr().expect("bound").port();
        let path = dir.join("leadwire.toml");
        std::fs::write(&path, edit(example_config(port, &dir))).expect("config written");
        let inputs = ServeInputs::load(Some(&path)).expect("the example passes check");
        assert_eq!(inputs.emulator_address().map(|a| a.port()), Some(port));
        let listeners = Listeners {
            api: TcpListener::bind("127.0.0.1:0").await.expect("a free port"),
            emulator: Some(emulator),
        };
        let node = start(inputs, listeners).await.expect("serve starts");
        assert_eq!(
            node.emulator_url.as_deref(),
            Some(format!("http://127.0.0.1:{port}").as_str())
        );
        let api = format!("http://{}", node.address);
        Self {
            node,
            http: reqwest::Client::new(),
            api,
            dir,
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.api))
            .bearer_auth(KEY)
            .json(&body)
            .send()
            .await
            .expect("the API answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The README's first step: a new lead, identified by email only.
    pub async fn track_new_lead(&self) -> (u16, Value) {
        self.post(
            "/users/track",
            json!({"attributes": [{
                "email": EMAIL, "first_name": "Ada", "last_name": "Lovelace",
                "company": "Analytical Engines", "lead_stage": "Lead"
            }]}),
        )
        .await
    }

    pub async fn activity(&self, query: &str) -> Vec<Value> {
        let response = self
            .http
            .get(format!("{}/activity?{query}", self.api))
            .bearer_auth(KEY)
            .send()
            .await
            .expect("the API answers");
        let body: Value = response.json().await.unwrap_or(Value::Null);
        body["entries"].as_array().cloned().unwrap_or_default()
    }

    /// The profile as `/users/export/ids` returns it, looked up by email.
    pub async fn profile(&self) -> Value {
        let (status, body) = self
            .post(
                "/users/export/ids",
                json!({"email_address": EMAIL, "fields_to_export": ["external_id", "braze_id", "custom_attributes"]}),
            )
            .await;
        assert_eq!(status, 200, "export: {body}");
        body["users"][0].clone()
    }

    /// Every Lead in the emulator, by SOQL.
    pub async fn leads(&self) -> Vec<Value> {
        let emulator = self.node.emulator().expect("the emulator runs");
        let query = "SELECT Id, FirstName, LastName, Email, Company, Lead_Stage__c FROM Lead";
        super::soql(&self.http, emulator.into(), query).await
    }

    /// Ids of the user's active canvas entries waiting at the Action Paths step.
    pub async fn waiting_entries(&self, user: Uuid) -> Vec<Uuid> {
        let entries = self
            .node
            .store()
            .canvas_entries(user, None)
            .await
            .expect("entries readable");
        entries
            .into_iter()
            .filter(|entry| entry.is_active() && entry.awaiting_action)
            .map(|entry| entry.id)
            .collect()
    }

    pub async fn stop(self) {
        self.node.wait(async {}).await.expect("a clean shutdown");
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// Polls `probe` until it gives a value; the deadline only stops a broken run from hanging.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..7200 {
        if let Some(value) = probe().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("gave up waiting for {what}");
}
