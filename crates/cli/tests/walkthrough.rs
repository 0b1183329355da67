//! The README walkthrough as a test: `serve` runs `examples/salesforce-leads.toml` in-process,
//! its REST API and built-in Salesforce emulator on port 0. A user posted by email becomes a
//! Lead, whose id is captured into `salesforce_lead_id` (and, as the user has none, into
//! the external_id); demo requests push `lead_score` past 50,
//! so the profile and the Lead become MQL; and the guide's template as printed (from
//! `examples/salesforce-leads-verbatim.toml`) fails with "… is not a valid URL" in the
//! activity log.

mod support;

use leadwire::commands::serve::ServeInputs;
use serde_json::{Value, json};
use support::example_node::{EMAIL, ExampleNode, eventually, example_config};
use tokio::net::TcpListener;
use uuid::Uuid;

fn find<'a>(entries: &'a [Value], template: &str) -> Option<&'a Value> {
    entries.iter().find(|entry| entry["template"] == template)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_walkthrough_runs_end_to_end() {
    let walk = ExampleNode::start().await;

    // 1. A new lead, identified by email only.
    let (status, body) = walk.track_new_lead().await;
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
    // Response capture: the Lead's id is kept in `salesforce_lead_id`, and fills the
    // external_id the user did not have.
    let profile = eventually("the captured Lead id", || async {
        let profile = walk.profile().await;
        (profile["custom_attributes"]["salesforce_lead_id"] == lead_id.as_str()).then_some(profile)
    })
    .await;
    assert_eq!(profile["external_id"], lead_id.as_str(), "{profile}");
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
