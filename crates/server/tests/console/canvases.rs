//! The canvas pages: the list's totals, the canvas drawn with its numbers and the same
//! numbers in tables, and one step's configuration, entries and activity.

use chrono::{TimeDelta, Utc};
use reqwest::StatusCode;

use crate::journey_data::{
    JOURNEYS, canvas_step, cell, element, journey, lead_scoring, number, outcomes, record, save,
    text,
};
use crate::support::{ConsoleApp, OPERATOR_KEY, console};

/// Four users through the lead-scoring canvas, and two sends of its Message step; returns
/// the user waiting for a demo.
async fn seed(app: &ConsoleApp) -> uuid::Uuid {
    let store = &app.fixture.state.store;
    let canvas = lead_scoring();
    let at = Utc::now() - TimeDelta::minutes(30);
    let hot = journey(&canvas, at, &["Hot", "next"]);
    let mut waiting = journey(&canvas, at, &["Warm"]);
    waiting.awaiting_action = true;
    let cold = journey(&canvas, at, &["Everyone Else"]);
    let cooling = journey(&canvas, at, &["Warm", "Requested demo"]);
    save(store, &[hot, waiting.clone(), cold, cooling]).await;
    let sends = outcomes(
        at,
        &canvas_step("Lead Scoring", "Create lead"),
        [1, 1, 0, 0],
    );
    record(store, &sends).await;
    waiting.user_id
}

#[tokio::test]
async fn the_list_shows_entries_and_users_in_each_canvas() {
    let app = console(JOURNEYS).await;
    seed(&app).await;
    let session = app.login(OPERATOR_KEY).await;
    let page = app.get("/console/canvases", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(number(&page.body, "canvas-lead_scoring", "entered"), 4);
    assert_eq!(number(&page.body, "canvas-lead_scoring", "present"), 2);
    page.assert_contains(r#"href="/console/canvases/lead_scoring""#);
    page.assert_contains("API-triggered");
    app.fixture.finish().await;
}

#[tokio::test]
async fn a_canvas_is_drawn_with_its_counts_and_tabled_step_by_step_and_path_by_path() {
    let app = console(JOURNEYS).await;
    seed(&app).await;
    let session = app.login(OPERATOR_KEY).await;
    let page = app
        .get("/console/canvases/lead_scoring", Some(&session))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let html = &page.body;
    let steps = [
        ("Qualify", 4, 0, 1),
        ("Wait for demo", 2, 1, 0),
        ("Cool off", 1, 1, 0),
        ("Create lead", 1, 0, 1),
    ];
    for (step, entered, present, exited) in steps {
        let row = format!("step-{step}");
        assert_eq!(number(html, &row, "entered"), entered, "{row}");
        assert_eq!(number(html, &row, "present"), present, "{row}");
        assert_eq!(number(html, &row, "exited"), exited, "{row}");
    }
    assert_eq!(number(html, "step-Create lead", "sent"), 2);
    assert_eq!(number(html, "step-Create lead", "errors"), 1);
    assert_eq!(
        cell(element(html, "step-Qualify"), "sent"),
        "–",
        "only Message steps send"
    );
    let paths = [
        ("Qualify", "Hot", 1),
        ("Qualify", "Warm", 2),
        ("Qualify", "Everyone Else", 1),
        ("Wait for demo", "Requested demo", 1),
        ("Wait for demo", "Everyone Else", 0),
        ("Cool off", "next", 0),
        ("Create lead", "next", 1),
    ];
    for (step, path, taken) in paths {
        let row = format!("path-{step}-{path}");
        assert_eq!(number(html, &row, "taken"), taken, "{row}");
    }
    let graph = element(html, "canvas-graph");
    for step in [
        "Qualify",
        "Wait%20for%20demo",
        "Cool%20off",
        "Create%20lead",
    ] {
        assert!(
            graph.contains(&format!(
                r#"href="/console/canvases/lead_scoring/steps/{step}""#
            )),
            "{step}"
        );
    }
    assert!(graph.contains(">Warm: 2</text>"), "{graph}");
    assert!(graph.contains("sent 2 · "), "{graph}");
    page.assert_contains("4</strong> entries");
    page.assert_contains(r#"href="/console/canvases/lead_scoring?range=24h" aria-current="true""#);
    let week = app
        .get("/console/canvases/lead_scoring?range=7d", Some(&session))
        .await;
    week.assert_contains(r#"href="/console/canvases/lead_scoring?range=7d" aria-current="true""#);
    week.assert_contains("Sent (last 7 days)");
    assert!(!html.contains("style="), "the CSP forbids inline styles");
    app.fixture.finish().await;
}

#[tokio::test]
async fn a_step_shows_its_configuration_the_users_at_it_and_its_activity() {
    let app = console(JOURNEYS).await;
    let waiting = seed(&app).await;
    let session = app.login(OPERATOR_KEY).await;
    let page = app
        .get(
            "/console/canvases/lead_scoring/steps/Wait%20for%20demo",
            Some(&session),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let settings = element(&page.body, "step-settings");
    assert!(
        settings.contains("Perform Custom Event `demo_requested`"),
        "{settings}"
    );
    assert!(settings.contains("3 days"), "{settings}");
    assert!(
        settings.contains(r#"href="/console/canvases/lead_scoring/steps/Cool%20off""#),
        "{settings}"
    );
    assert_eq!(
        number(&page.body, "path-Wait for demo-Requested demo", "taken"),
        1
    );
    let present = element(&page.body, "step-entries");
    assert_eq!(present.matches("<tr data-testid=\"entry-").count(), 1);
    assert!(
        present.contains(&format!(r#"href="/console/users/{waiting}""#)),
        "{present}"
    );

    let message = app
        .get(
            "/console/canvases/lead_scoring/steps/Create%20lead",
            Some(&session),
        )
        .await;
    assert_eq!(message.status, StatusCode::OK);
    message.assert_contains(r#"href="/console/templates/Create%20Lead""#);
    let recent = element(&message.body, "recent-activity");
    assert_eq!(recent.matches("<tr data-testid=\"activity-").count(), 2);
    message.assert_contains(r#"href="/console/log?canvas=Lead%20Scoring&amp;step=Create%20lead""#);
    assert_eq!(text(element(&message.body, "step-sends-errors")), "1");
    assert_eq!(text(element(&message.body, "step-sends-sent")), "2");
    message.assert_contains("Nobody is at this step now.");
    app.fixture.finish().await;
}

#[tokio::test]
async fn unknown_canvases_and_steps_are_not_found() {
    let app = console(JOURNEYS).await;
    let session = app.login(OPERATOR_KEY).await;
    let canvas = app.get("/console/canvases/nope", Some(&session)).await;
    assert_eq!(canvas.status, StatusCode::NOT_FOUND);
    canvas.assert_contains("canvas `nope`");
    let step = app
        .get("/console/canvases/lead_scoring/steps/Nope", Some(&session))
        .await;
    assert_eq!(step.status, StatusCode::NOT_FOUND);
    step.assert_contains("step `Nope` in canvas `Lead Scoring`");
    let empty = app.get("/console/canvases", Some(&session)).await;
    assert_eq!(number(&empty.body, "canvas-lead_scoring", "entered"), 0);
    let none = console("").await;
    let session = none.login(OPERATOR_KEY).await;
    none.get("/console/canvases", Some(&session))
        .await
        .assert_contains("add a [[canvases]] table");
    none.fixture.finish().await;
    app.fixture.finish().await;
}
