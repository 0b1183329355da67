//! Braze's export endpoints on a node running the README's example config with its
//! built-in Salesforce emulator: the lists and details read the config, and the data series
//! move when the new-lead campaign really sends and the lead-scoring canvas is entered.

mod support;

use serde_json::Value;
use support::example_node::{ExampleNode, KEY, eventually};

const READS: &str = r#""activity.read", "campaigns.list", "campaigns.details", "campaigns.data_series", "canvas.list", "canvas.details", "canvas.data_series", "canvas.data_summary"]"#;

async fn get(node: &ExampleNode, path: &str) -> Value {
    let response = node
        .http
        .get(format!("{}{path}", node.api))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("the API answers");
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("JSON")
}

/// Today's webhook sends and errors of the new-lead campaign.
async fn campaign_today(node: &ExampleNode) -> (u64, u64) {
    let body = get(
        node,
        "/campaigns/data_series?campaign_id=New%20lead%20to%20Salesforce&length=1",
    )
    .await;
    let webhook = &body["data"][0]["messages"]["webhook"][0];
    assert_eq!(
        webhook["variation_api_id"], "New lead to Salesforce-webhook",
        "{body}"
    );
    (
        webhook["sent"].as_u64().expect("sent"),
        webhook["errors"].as_u64().expect("errors"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_series_move_with_real_sends() {
    let node = ExampleNode::start_edited(|config| {
        assert_eq!(
            config.matches("\"activity.read\"]").count(),
            1,
            "the example's key"
        );
        config.replace("\"activity.read\"]", READS)
    })
    .await;

    let campaigns = get(&node, "/campaigns/list").await;
    let names: Vec<&str> = campaigns["campaigns"]
        .as_array()
        .expect("campaigns")
        .iter()
        .filter_map(|campaign| campaign["id"].as_str())
        .collect();
    assert!(names.contains(&"New lead to Salesforce"), "{campaigns}");
    let canvas = get(&node, "/canvas/details?canvas_id=Lead%20Scoring%20Canvas").await;
    assert_eq!(
        canvas["variants"][0]["first_step_ids"][0], "Score engagement",
        "{canvas}"
    );
    assert_eq!(campaign_today(&node).await, (0, 0));
    let summary = "/canvas/data_summary?canvas_id=Lead%20Scoring%20Canvas&length=1&include_step_breakdown=true";
    assert_eq!(
        get(&node, summary).await["data"]["total_stats"]["entries"],
        0
    );

    let (status, body) = node.track_new_lead().await;
    assert_eq!(status, 201, "{body}");
    eventually("the Create Lead send counted", || async {
        (campaign_today(&node).await == (1, 0)).then_some(())
    })
    .await;
    let summary = eventually("the canvas entry counted", || async {
        let summary = get(&node, summary).await;
        (summary["data"]["total_stats"]["entries"].as_u64() >= Some(1)).then_some(summary)
    })
    .await;
    assert_eq!(
        summary["data"]["step_stats"]["Update Lead to MQL"]["messages"]["webhook"][0]["sent"], 0,
        "{summary}"
    );
    node.stop().await;
}
