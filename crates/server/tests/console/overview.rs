//! The overview: sends by outcome over the last hour and the last day, from the counters.

use chrono::{TimeDelta, Utc};
use leadwire_core::activity::ActivityType;
use reqwest::StatusCode;

use crate::journey_data::{
    JOURNEYS, campaign, canvas_step, column_sum, element, number, outcomes, record,
};
use crate::support::{OPERATOR_KEY, console};

#[tokio::test]
async fn sends_by_outcome_are_totalled_and_charted_for_the_last_hour_and_day() {
    let app = console(JOURNEYS).await;
    let store = &app.fixture.state.store;
    let now = Utc::now();
    let recent = now - TimeDelta::minutes(10);
    let new_lead = campaign("New lead to Salesforce");
    let mut seeded = outcomes(recent, &new_lead, [3, 1, 1, 2]);
    seeded.extend(outcomes(
        recent,
        &canvas_step("Lead Scoring", "Create lead"),
        [1, 1, 0, 0],
    ));
    seeded.extend(outcomes(
        now - TimeDelta::hours(3),
        &campaign("Welcome"),
        [0, 1, 0, 0],
    ));
    seeded.extend(outcomes(now - TimeDelta::days(3), &new_lead, [5, 0, 0, 0]));
    record(store, &seeded).await;

    let session = app.login(OPERATOR_KEY).await;
    let page = app.get("/console/", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = &page.body;
    let expected = [
        (ActivityType::Success, 4, 4),
        (ActivityType::WebhookError, 2, 3),
        (ActivityType::ConnectedContentError, 1, 1),
        (ActivityType::AbortedMessage, 2, 2),
    ];
    for (kind, hour, day) in expected {
        let row = format!("total-{}", kind.as_str());
        assert_eq!(number(html, &row, "hour"), hour, "{row} in the last hour");
        assert_eq!(number(html, &row, "day"), day, "{row} in the last day");
    }
    let hour_table = element(html, "sends-hour-table");
    assert_eq!(
        hour_table.matches("<tr>").count(),
        1 + 12,
        "twelve 5-minute bars"
    );
    let day_table = element(html, "sends-day-table");
    assert_eq!(
        day_table.matches("<tr>").count(),
        1 + 24,
        "twenty-four hourly bars"
    );
    assert_eq!(column_sum(hour_table, "total"), 9);
    assert_eq!(column_sum(hour_table, "abort"), 2);
    assert_eq!(
        column_sum(day_table, "total"),
        10,
        "the 3-day-old sends are left out"
    );
    assert_eq!(column_sum(day_table, "err"), 3);
    assert_eq!(element(html, "sends-hour").matches("<title>").count(), 12);
    page.assert_contains("UTC, live");
    page.assert_contains(r#"<table id="queues""#);
    assert!(!html.contains("style="), "the CSP forbids inline styles");
    app.fixture.finish().await;
}

#[tokio::test]
async fn a_node_that_never_sent_says_how_to_send_the_first_lead() {
    let app = console("").await;
    let session = app.login(OPERATOR_KEY).await;
    let page = app.get("/console/", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("No sends yet: post a user with an email to /users/track");
    assert!(!page.body.contains("sends-hour"), "no empty chart");
    app.fixture.finish().await;
}
