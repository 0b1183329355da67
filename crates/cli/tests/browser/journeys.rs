//! Following the walkthrough in the browser: the Canvas counts move as demo requests come
//! in, and a send that failed on an injected fault is replayed from its entry and succeeds.

use leadwire_salesforce_emulator::FaultSettings;
use serde_json::json;

use crate::driver::Browser;
use crate::session::log_in;
use crate::support::example_node::{EMAIL, ExampleNode, eventually};

/// The "Score engagement" step's Entered count on the canvas page.
async fn entered(browser: &Browser, node: &ExampleNode) -> u64 {
    browser
        .goto(&format!(
            "{}/console/canvases/Lead%20Scoring%20Canvas",
            node.api
        ))
        .await;
    let cell = browser
        .text("[data-testid='step-Score engagement'] .entered")
        .await;
    cell.trim()
        .parse()
        .unwrap_or_else(|_| panic!("a count, not {cell:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_canvas_counts_move_with_demo_requests() {
    let Some(browser) = Browser::open("the_canvas_counts_move_with_demo_requests").await else {
        return;
    };
    let node = ExampleNode::start().await;
    log_in(&browser, &node).await;
    assert_eq!(entered(&browser, &node).await, 0);
    let (status, body) = node.track_new_lead().await;
    assert_eq!(status, 201, "{body}");
    let first = eventually("Ada waiting in Score engagement", || async {
        let user = node.profile().await["braze_id"].as_str()?.parse().ok()?;
        (!node.waiting_entries(user).await.is_empty()).then_some(user)
    })
    .await;
    assert_eq!(entered(&browser, &node).await, 1);
    let event = json!({"events": [{"email": EMAIL, "name": "demo_requested", "time": chrono::Utc::now().to_rfc3339()}]});
    assert_eq!(node.post("/users/track", event).await.0, 201);
    eventually(
        "Ada back in Score engagement after her score rose",
        || async {
            let score = node.profile().await["custom_attributes"]["lead_score"].as_i64();
            let waiting = node.waiting_entries(first).await.len();
            (score == Some(5) && waiting == 1).then_some(())
        },
    )
    .await;
    assert_eq!(
        entered(&browser, &node).await,
        2,
        "the re-entry counts again"
    );
    let taken = browser
        .text("[data-testid='path-Score engagement-High intent'] .taken")
        .await;
    assert_eq!(
        taken.trim(),
        "1",
        "one demo request took the High intent path"
    );
    browser.screenshot("canvas").await;
    browser.close().await;
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_failed_on_a_fault_is_replayed_and_succeeds() {
    let Some(browser) = Browser::open("a_send_failed_on_a_fault_is_replayed_and_succeeds").await
    else {
        return;
    };
    let node = ExampleNode::start_without_retries().await;
    log_in(&browser, &node).await;
    // A first lead fetches the connection's token, so the fault hits a Lead create.
    let grace = json!({"attributes": [{"email": "grace@example.com", "last_name": "Hopper", "company": "Navy"}]});
    assert_eq!(node.post("/users/track", grace).await.0, 201);
    eventually("the first lead", || async {
        (!node.activity("type=success").await.is_empty()).then_some(())
    })
    .await;
    let emulator = node.node.emulator().expect("the emulator runs");
    emulator
        .state()
        .set_faults(FaultSettings {
            fail_next: 1,
            ..FaultSettings::default()
        })
        .expect("valid faults");
    let (status, body) = node.track_new_lead().await;
    assert_eq!(status, 201, "{body}");
    eventually("the Create Lead send to fail", || async {
        let failed = node.activity("type=webhook_error").await;
        (!failed.is_empty()).then_some(())
    })
    .await;
    browser
        .goto(&format!("{}/console/log?type=webhook_error", node.api))
        .await;
    browser.click("#log-rows a.entry").await;
    browser.wait_for_path("/console/log/").await;
    let status = browser.text("main").await;
    assert!(status.contains("503"), "{status}");
    browser.screenshot("log-entry-failed").await;
    browser.click("#replay input[type=checkbox]").await;
    browser.click("#replay-button").await;
    let notice = browser.text("#replayed").await;
    assert!(notice.to_lowercase().contains("replay"), "{notice}");
    eventually("the replayed send to succeed", || async {
        let delivered = node.activity("type=success").await;
        (delivered.len() == 2).then_some(())
    })
    .await;
    browser.click("#replayed a").await;
    let row = browser.text("#log-rows tr[data-testid=log-row]").await;
    assert!(row.contains("success"), "{row}");
    let emails: Vec<_> = node
        .leads()
        .await
        .into_iter()
        .map(|lead| lead["Email"].clone())
        .collect();
    assert_eq!(
        emails,
        [json!("grace@example.com"), json!(EMAIL)],
        "Ada's Lead, created once by the replay"
    );
    browser.screenshot("log-replayed").await;
    browser.close().await;
    node.stop().await;
}
