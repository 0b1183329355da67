//! The Users and Templates pages in the browser: the walkthrough's new lead found by email,
//! their profile, then the MQL template previewed for them and sent as a test, which the
//! emulator's Lead takes and the log records as a test send.

use leadwire_core::activity::ActivityType;
use leadwire_store::ActivityQuery;
use serde_json::json;

use crate::driver::Browser;
use crate::session::log_in;
use crate::support::example_node::{EMAIL, ExampleNode, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_is_found_and_a_template_previewed_and_test_sent_for_them() {
    let Some(browser) = Browser::open("users_and_templates").await else {
        return;
    };
    let node = ExampleNode::start().await;
    let user = json!({"attributes": [{"email": EMAIL, "first_name": "Ada", "last_name": "Lovelace", "company": "Analytical Engines"}]});
    assert_eq!(node.post("/users/track", user).await.0, 201);
    // The new-lead campaign creates the Lead and keeps its id in `salesforce_lead_id` and,
    // as this user has none, as the external_id.
    let lead_id = eventually("the captured Lead id", || async {
        let external_id = node.profile().await["external_id"].as_str()?.to_owned();
        external_id.starts_with("00Q").then_some(external_id)
    })
    .await;
    log_in(&browser, &node).await;

    browser.goto(&format!("{}/console/users", node.api)).await;
    browser.fill("#q", "ADA@example.com").await;
    browser.click("form[role=search] button[type=submit]").await;
    browser.wait_for_path("/console/users/").await;
    let identifiers = browser.text("#identifiers").await;
    assert!(
        identifiers.contains(EMAIL) && identifiers.contains(&lead_id),
        "{identifiers}"
    );
    let messages = browser.text("#activity").await;
    assert!(messages.contains("Create Lead"), "{messages}");
    browser.screenshot("user-profile").await;

    browser
        .goto(&format!("{}/console/templates", node.api))
        .await;
    let link = browser
        .client
        .find(fantoccini::Locator::Css(
            "a[href='/console/templates/Update%20Lead%20to%20MQL']",
        ))
        .await
        .expect("the template is listed");
    let href = link.attr("href").await.expect("href").expect("a link");
    browser.goto(&format!("{}{href}", node.api)).await;
    browser.fill("#user", EMAIL).await;
    browser.click("button[data-testid=preview]").await;
    let outcome = browser.text("[data-testid=outcome]").await;
    assert!(outcome.starts_with("Rendered"), "{outcome}");
    let url = browser.text("#rendered-url").await;
    assert!(url.ends_with(&format!("/sobjects/Lead/{lead_id}")), "{url}");
    let headers = browser.text("#rendered-headers").await;
    assert!(headers.contains("Bearer [redacted]"), "{headers}");
    assert_eq!(
        browser.text("[data-testid=json-check]").await,
        "The body is valid JSON."
    );
    browser.screenshot("template-preview").await;

    browser.click("button[data-testid=send-test]").await;
    browser
        .wait_for_path("/console/templates/Update%20Lead%20to%20MQL/tests/")
        .await;
    let send_id = browser.text("[data-testid=send-id]").await;
    let query = ActivityQuery {
        send_id: Some(send_id.parse().expect("a send id")),
        ..ActivityQuery::default()
    };
    let sent = eventually("the test send's entry", || async {
        let page = node.node.store().activity(&query).await.expect("the log");
        page.entries.into_iter().next()
    })
    .await;
    assert!(sent.source.is_test(), "{sent:?}");
    assert_eq!(sent.activity_type, ActivityType::Success, "{sent:?}");
    browser
        .goto(&format!("{}{}", node.api, browser.current_path().await))
        .await;
    let attempts = browser.text("#attempts").await;
    assert!(attempts.contains("success"), "{attempts}");
    browser.screenshot("template-test-send").await;
    let leads = node.leads().await;
    assert_eq!(leads[0]["Lead_Stage__c"], "MQL", "{leads:?}");
    browser.close().await;
    node.stop().await;
}
