//! The activity log in the browser: the live tail puts a new send at the top of the table
//! without a reload, and its entry shows the request as sent (secrets redacted).

use crate::driver::Browser;
use crate::session::log_in;
use crate::support::example_node::ExampleNode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_tail_shows_a_new_send_and_its_entry_opens() {
    let Some(browser) = Browser::open("the_live_tail_shows_a_new_send_and_its_entry_opens").await
    else {
        return;
    };
    let node = ExampleNode::start().await;
    log_in(&browser, &node).await;
    browser
        .goto(&format!("{}/console/log?live=1", node.api))
        .await;
    let empty = browser.text("#log-empty").await;
    assert!(empty.contains("No sends yet"), "{empty}");

    let (status, body) = node.track_new_lead().await;
    assert_eq!(status, 201, "{body}");
    // htmx polls every 5 seconds; `text` waits for the row.
    let row = browser.text("#log-rows tr[data-testid=log-row]").await;
    assert!(row.contains("New lead to Salesforce"), "{row}");
    assert!(row.contains("success"), "{row}");
    assert!(
        browser
            .client
            .find(fantoccini::Locator::Css("#log-empty"))
            .await
            .is_err(),
        "the empty state went"
    );
    browser.screenshot("log-live").await;

    browser.click("#log-rows a.entry").await;
    browser.wait_for_path("/console/log/").await;
    let request = browser.text("#request-body").await;
    assert!(request.contains("\"lastName\": \"Lovelace\""), "{request}");
    let headers = browser.text("#request-headers").await;
    assert!(headers.contains("Bearer [redacted]"), "{headers}");
    browser.screenshot("log-entry").await;
    browser.close().await;
    node.stop().await;
}
