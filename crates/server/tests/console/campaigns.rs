//! The campaigns pages: each campaign's trigger, template and sends over a range, one
//! campaign's settings, chart and newest activity, and what an unknown id or range gets.

use chrono::{TimeDelta, Utc};
use reqwest::StatusCode;

use crate::journey_data::{JOURNEYS, campaign, column_sum, element, number, outcomes, record};
use crate::support::{ConsoleApp, OPERATOR_KEY, console};

/// Seven sends of "New lead to Salesforce" ten minutes ago, one three days ago, and a
/// "Welcome" error; returns the newest entry's id.
async fn seed(app: &ConsoleApp) -> uuid::Uuid {
    let store = &app.fixture.state.store;
    let now = Utc::now();
    let new_lead = campaign("New lead to Salesforce");
    let mut seeded = outcomes(now - TimeDelta::minutes(10), &new_lead, [3, 1, 1, 2]);
    seeded.extend(outcomes(now - TimeDelta::days(3), &new_lead, [1, 0, 0, 0]));
    seeded.extend(outcomes(
        now - TimeDelta::hours(2),
        &campaign("Welcome"),
        [0, 1, 0, 0],
    ));
    let newest = outcomes(now - TimeDelta::minutes(1), &new_lead, [1, 0, 0, 0]);
    let id = newest[0].id;
    seeded.extend(newest);
    record(store, &seeded).await;
    id
}

#[tokio::test]
async fn the_list_counts_each_campaigns_sends_in_the_chosen_range() {
    let app = console(JOURNEYS).await;
    seed(&app).await;
    let session = app.login(OPERATOR_KEY).await;
    let page = app.get("/console/campaigns", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = &page.body;
    let row = "campaign-new_lead";
    assert_eq!(
        number(html, row, "sent"),
        6,
        "4 delivered and 2 errors in 24 hours"
    );
    assert_eq!(number(html, row, "delivered"), 4);
    assert_eq!(number(html, row, "errors"), 2);
    assert_eq!(number(html, row, "aborted"), 2);
    assert_eq!(number(html, "campaign-Welcome", "errors"), 1);
    let new_lead = element(html, row);
    assert!(
        new_lead.contains(r#"href="/console/campaigns/new_lead?range=24h""#),
        "{new_lead}"
    );
    assert!(new_lead.contains("Add an Email Address"), "{new_lead}");
    assert!(
        new_lead.contains(r#"href="/console/templates/Create%20Lead""#),
        "{new_lead}"
    );
    assert!(element(html, "campaign-Welcome").contains("API-triggered"));
    let ranges = element(html, "ranges");
    assert!(
        ranges.contains(r#"href="/console/campaigns?range=24h" aria-current="true""#),
        "{ranges}"
    );
    assert!(ranges.contains(r#"href="/console/campaigns?range=7d""#));

    let week = app.get("/console/campaigns?range=7d", Some(&session)).await;
    assert_eq!(
        number(&week.body, row, "delivered"),
        5,
        "the 3-day-old send counts in 7 days"
    );
    assert!(
        week.body
            .contains(r#"href="/console/campaigns/new_lead?range=7d""#),
        "the range is kept in links"
    );
    app.fixture.finish().await;
}

#[tokio::test]
async fn a_campaign_shows_its_settings_counts_chart_and_newest_activity() {
    let app = console(JOURNEYS).await;
    let newest = seed(&app).await;
    let session = app.login(OPERATOR_KEY).await;
    let page = app
        .get("/console/campaigns/new_lead?range=1h", Some(&session))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let html = &page.body;
    let settings = element(html, "campaign-settings");
    for words in [
        "Add an Email Address",
        "<code>company</code> exists",
        "send 15 minutes after the trigger",
        "again 7 days after the last send",
        "100 messages per minute",
        r#"href="/console/templates/Create%20Lead""#,
    ] {
        assert!(settings.contains(words), "{words:?} in {settings}");
    }
    let counts = element(html, "campaign-counts");
    assert_eq!(crate::journey_data::cell(counts, "sent"), "6");
    assert_eq!(crate::journey_data::cell(counts, "aborted"), "2");
    let chart = element(html, "campaign-chart-table");
    assert_eq!(column_sum(chart, "ok"), 4, "an hour of 5-minute bars");
    let recent = element(html, "recent-activity");
    assert_eq!(
        recent.matches("<tr data-testid=\"activity-").count(),
        9,
        "every entry of the campaign, newest first"
    );
    let first_row = recent.split("<tr data-testid=").nth(1).expect("a row");
    assert!(
        first_row.contains(&format!("/console/log/{newest}")),
        "{first_row}"
    );
    page.assert_contains(r#"href="/console/log?campaign=New%20lead%20to%20Salesforce""#);
    page.assert_contains(r#"href="/console/campaigns/new_lead?range=1h" aria-current="true""#);
    app.fixture.finish().await;
}

#[tokio::test]
async fn unknown_campaigns_and_ranges_are_explained() {
    let app = console(JOURNEYS).await;
    let session = app.login(OPERATOR_KEY).await;
    let missing = app.get("/console/campaigns/nope", Some(&session)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    missing.assert_contains("campaign `nope`");
    let range = app.get("/console/campaigns?range=2y", Some(&session)).await;
    assert_eq!(range.status, StatusCode::BAD_REQUEST);
    range.assert_contains("range=1h, 24h, 7d or 30d");
    let empty = app.get("/console/campaigns/Welcome", Some(&session)).await;
    assert_eq!(empty.status, StatusCode::OK);
    empty.assert_contains("No activity yet");
    app.fixture.finish().await;
}

#[tokio::test]
async fn a_node_without_campaigns_says_how_to_add_one() {
    let app = console("").await;
    let session = app.login(OPERATOR_KEY).await;
    let page = app.get("/console/campaigns", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("add a [[campaigns]] table");
    app.fixture.finish().await;
}
