//! The README walkthrough as a test: `serve` runs `examples/salesforce-leads.toml` in-process,
//! its REST API and built-in Salesforce emulator on port 0. A user posted by email becomes a
//! Lead, whose id becomes the profile's external_id; demo requests push `lead_score` past 50,
//! so the profile and the Lead become MQL; and the guide's template as printed (from
//! `examples/salesforce-leads-verbatim.toml`) fails with "… is not a valid URL" in the
//! activity log.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use leadwire::commands::serve::{Listeners, Running, ServeInputs, start};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use uuid::Uuid;

const KEY: &str = "walkthrough-key-0123456789abcdef";
const EMAIL: &str = "ada@example.com";

/// The example config, pointed at `emulator_port` and a scratch data directory, with an
/// inline API key the test knows.
fn example_config(emulator_port: u16, data_dir: &Path) -> String {
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
    let source = source
        .replace(key_lines, &format!("key = \"{KEY}\""))
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

struct Walkthrough {
    node: Running,
    http: reqwest::Client,
    api: String,
    dir: PathBuf,
}

impl Walkthrough {
    async fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("leadwire-walkthrough-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        let emulator = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let port = emulator.local_addr().expect("bound").port();
        let path = dir.join("leadwire.toml");
        std::fs::write(&path, example_config(port, &dir)).expect("config written");
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

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
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

    async fn activity(&self, query: &str) -> Vec<Value> {
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
    async fn profile(&self) -> Value {
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
    async fn leads(&self) -> Vec<Value> {
        let emulator = self.node.emulator().expect("the emulator runs");
        let query = "SELECT Id, FirstName, LastName, Email, Company, Lead_Stage__c FROM Lead";
        support::soql(&self.http, emulator.into(), query).await
    }

    /// Ids of the user's active canvas entries waiting at the Action Paths step.
    async fn waiting_entries(&self, user: Uuid) -> Vec<Uuid> {
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

    async fn stop(self) {
        self.node.wait(async {}).await.expect("a clean shutdown");
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// Polls `probe` until it gives a value; the deadline only stops a broken run from hanging.
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
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

fn find<'a>(entries: &'a [Value], template: &str) -> Option<&'a Value> {
    entries.iter().find(|entry| entry["template"] == template)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_walkthrough_runs_end_to_end() {
    let walk = Walkthrough::start().await;

    // 1. A new lead, identified by email only.
    let (status, body) = walk
        .post(
            "/users/track",
            json!({"attributes": [{
                "email": EMAIL, "first_name": "Ada", "last_name": "Lovelace",
                "company": "Analytical Engines", "lead_stage": "Lead"
            }]}),
        )
        .await;
    assert_eq!(
        (status, &body["message"]),
        (201, &json!("success")),
        "{body}"
    );
    let created = eventually("the Create Lead send", || async {
        find(&walk.activity("type=success").await, "Create Lead").cloned()
    })
    .await;
    assert_eq!(created["status"], 201);
    assert_eq!(created["source"]["kind"], "campaign");
    let leads = walk.leads().await;
    assert_eq!(leads.len(), 1, "{leads:?}");
    let lead = &leads[0];
    assert_eq!(lead["FirstName"], "Ada");
    assert_eq!(lead["LastName"], "Lovelace");
    assert_eq!(lead["Email"], EMAIL);
    assert_eq!(lead["Company"], "Analytical Engines");
    let lead_id = lead["Id"].as_str().expect("an id").to_owned();
    assert_eq!(lead_id.len(), 18);
    // Response capture: the Lead's id is the profile's external_id.
    let profile = eventually("the captured external_id", || async {
        let profile = walk.profile().await;
        (profile["external_id"] == lead_id.as_str()).then_some(profile)
    })
    .await;
    let user: Uuid = profile["braze_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("a braze_id");

    // 2. Lead scoring: each demo request adds 5 points, once the user waits in Action Paths.
    let mut seen = Vec::new();
    for request in 1..=11 {
        let entry = eventually("an entry waiting at Action Paths", || async {
            let waiting = walk.waiting_entries(user).await;
            waiting.into_iter().find(|id| !seen.contains(id))
        })
        .await;
        seen.push(entry);
        let event = json!({"events": [{"email": EMAIL, "name": "demo_requested", "time": chrono::Utc::now().to_rfc3339()}]});
        assert_eq!(walk.post("/users/track", event).await.0, 201);
        eventually("the score to rise", || async {
            let score = walk.profile().await["custom_attributes"]["lead_score"].as_i64();
            (score == Some(5 * request)).then_some(())
        })
        .await;
    }
    let attributes = eventually("lead_stage MQL on the profile", || async {
        let attributes = walk.profile().await["custom_attributes"].clone();
        (attributes["lead_stage"] == "MQL").then_some(attributes)
    })
    .await;
    assert_eq!(attributes["lead_score"], 55);
    let update = eventually("the Update Lead to MQL send", || async {
        find(&walk.activity("type=success").await, "Update Lead to MQL").cloned()
    })
    .await;
    assert_eq!(update["status"], 204);
    assert_eq!(update["source"]["kind"], "canvas");
    assert_eq!(update["request"]["method"], "PATCH");
    assert!(
        update["request"]["url"]
            .as_str()
            .is_some_and(|url| url.ends_with(&format!("/sobjects/Lead/{lead_id}"))),
        "{update}"
    );
    let leads = walk.leads().await;
    assert_eq!(leads.len(), 1, "{leads:?}");
    assert_eq!(leads[0]["Lead_Stage__c"], "MQL");
    assert_eq!(leads[0]["Id"], lead_id.as_str());

    // 3. The guide's template as printed: the placeholder host is not a URL.
    let (status, body) = walk
        .post(
            "/campaigns/trigger/send",
            json!({"campaign_id": "seed-template-as-printed", "recipients": [{"external_user_id": lead_id}]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let failed = eventually("the placeholder's error", || async {
        find(
            &walk.activity("type=connected_content_error").await,
            "Create Lead (as printed)",
        )
        .cloned()
    })
    .await;
    assert_eq!(
        failed["message"],
        "https://[insert_instance_name].my.salesforce.com/services/oauth2/token is not a valid URL"
    );
    assert_eq!(
        walk.leads().await.len(),
        1,
        "the failed send created nothing"
    );
    walk.stop().await;
}

#[tokio::test]
async fn serve_names_the_emulator_address_it_cannot_take() {
    let taken = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let port = taken.local_addr().expect("bound").port();
    let dir = std::env::temp_dir().join(format!("leadwire-walkthrough-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let path = dir.join("leadwire.toml");
    std::fs::write(&path, example_config(port, &dir)).expect("config written");
    let inputs = ServeInputs::load(Some(&path)).expect("the example passes check");
    let error = inputs.bind().await.err().map(|error| format!("{error:#}"));
    let expected = format!("cannot start the built-in Salesforce emulator on 127.0.0.1:{port}");
    assert!(
        error.as_deref().is_some_and(|e| e.starts_with(&expected)),
        "{error:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
