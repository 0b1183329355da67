//! Logging in and out in the browser, and what a visitor without a session gets.

use crate::driver::Browser;
use crate::support::example_node::{CONSOLE_KEY, ExampleNode};

const LOGIN: &str = "/console/login";

/// Logs in through the form, as a person would.
pub async fn log_in(browser: &Browser, node: &ExampleNode) {
    browser.goto(&format!("{}/console/", node.api)).await;
    browser.wait_for_path(LOGIN).await;
    browser.fill("#key", CONSOLE_KEY).await;
    browser.click("form.login button[type=submit]").await;
    // Only a logged-in page has the logout form (the login page's own path also starts
    // with /console/).
    browser.text("form.logout").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_logout_and_pages_without_a_session() {
    let Some(browser) = Browser::open("login_logout_and_pages_without_a_session").await else {
        return;
    };
    let node = ExampleNode::start().await;
    browser.goto(&format!("{}/console/log", node.api)).await;
    browser
        .wait_for_path("/console/login?next=/console/log")
        .await;
    browser.screenshot("login").await;
    browser.fill("#key", "not-the-key-at-all-0000000").await;
    browser.click("form.login button[type=submit]").await;
    let problem = browser.text("p.error").await;
    assert!(
        problem.contains("not one of the node's API keys"),
        "{problem}"
    );
    browser.fill("#key", CONSOLE_KEY).await;
    browser.click("form.login button[type=submit]").await;
    browser.text("form.logout").await;
    assert_eq!(browser.current_path().await, "/console/log");
    browser.goto(&format!("{}/console/", node.api)).await;
    let queues = browser.text("#queues").await;
    assert!(queues.contains("sends"), "{queues}");
    browser.screenshot("overview").await;
    // A form posted from another page without its token is refused.
    let refused = browser
        .client
        .execute(
            "return fetch('/console/logout', {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'csrf=forged'}).then(r => r.status)",
            vec![],
        )
        .await
        .expect("the script runs");
    assert_eq!(refused, serde_json::json!(403));
    browser.click("form.logout button[type=submit]").await;
    browser.wait_for_path(LOGIN).await;
    browser.goto(&format!("{}/console/", node.api)).await;
    browser.wait_for_path(LOGIN).await;
    browser.close().await;
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_the_navigation_opens() {
    let Some(browser) = Browser::open("every_page_of_the_navigation_opens").await else {
        return;
    };
    let node = ExampleNode::start().await;
    log_in(&browser, &node).await;
    let links = browser
        .client
        .find_all(fantoccini::Locator::Css("header.top nav a"))
        .await
        .expect("the navigation");
    let mut paths = Vec::new();
    for link in links {
        paths.push(link.attr("href").await.expect("href").expect("a link"));
    }
    assert_eq!(paths.len(), 7, "{paths:?}");
    for path in paths {
        browser.goto(&format!("{}{path}", node.api)).await;
        let heading = browser.text("main h1").await;
        assert!(!heading.is_empty(), "{path} has a heading");
        let name = path.trim_matches('/').replace('/', "-");
        browser.screenshot(&name).await;
    }
    browser.close().await;
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_a_phone_screen() {
    let Some(browser) = Browser::open("every_page_fits_a_phone_screen").await else {
        return;
    };
    let node = ExampleNode::start().await;
    log_in(&browser, &node).await;
    browser
        .client
        .set_window_size(390, 844)
        .await
        .expect("a phone-sized window");
    for path in [
        "/console/",
        "/console/log",
        "/console/campaigns",
        "/console/canvases/Lead%20Scoring%20Canvas",
        "/console/users",
        "/console/templates/Create%20Lead",
        "/console/config",
    ] {
        browser.goto(&format!("{}{path}", node.api)).await;
        browser.text("main h1").await;
        let overflow = browser
            .client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                vec![],
            )
            .await
            .expect("the script runs");
        assert!(
            overflow.as_i64().is_some_and(|extra| extra <= 0),
            "{path} is wider than a phone screen by {overflow} px (wide content belongs in a scrolling box)"
        );
        let name = format!("phone{}", path.replace('/', "-").replace("%20", "-"));
        browser.screenshot(&name).await;
    }
    browser.close().await;
    node.stop().await;
}
