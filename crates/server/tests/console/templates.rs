//! The Templates pages: the list and each template's source, previews for a stored user
//! (attributes, properties, abort, broken JSON, bad input), and test sends through the
//! queue, which need `console.write` and the CSRF token.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode as ReceiverStatus;
use axum::routing::post;
use leadwire_engine::delivery::DeliveryWorker;
use leadwire_store::ActivityQuery;
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::salesforce_double::console_delivering;
use crate::support::{ConsoleApp, OPERATOR_KEY, Page, READER_KEY, Session, console};

const CREATE_LEAD: &str = "/console/templates/Create%20Lead";

/// The config: a JSON-body template sent by a campaign, an aborting one, and one whose
/// Liquid breaks its JSON. Create Lead posts to `receiver`.
fn config(receiver: SocketAddr) -> String {
    format!(
        r#"
[[webhook_templates]]
name = "Create Lead"
url = "http://{receiver}/lead"
method = "POST"
headers = {{ Authorization = "Bearer s3cr3t-static-token", X-Stage = "{{{{event_properties.${{stage}}}}}}" }}
body.json = {{ lastName = "{{{{${{last_name}}}}}}", company = "{{{{custom_attribute.${{company}}}}}}" }}

[[webhook_templates]]
name = "Hand-off"
url = "https://example.com/lead"
method = "PATCH"
body.raw = '''{{% if custom_attribute.${{lead score}} > 100 %}}{{"lead_status": "MQL"}}{{% else %}}{{% abort_message('not at threshold') %}}{{% endif %}}'''

[[webhook_templates]]
name = "Broken JSON"
url = "https://example.com/x"
method = "POST"
headers = {{ Content-Type = "application/json" }}
body.raw = '''{{"name": "{{{{${{first_name}}}}}}",}}'''

[[campaigns]]
name = "New lead"
api_id = "new-lead"
template = "Create Lead"
delivery = "api_triggered"
"#
    )
}

/// A receiver that answers every POST to `/lead` with 201.
async fn receiver() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a local port");
    let address = listener.local_addr().expect("bound");
    let app = Router::new().route(
        "/lead",
        post(|| async {
            (
                ReceiverStatus::CREATED,
                r#"{"id":"00Q000000000001AAA","success":true}"#,
            )
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

/// POSTs the form of template `path` (`/console/templates/…`) to its `action` (`preview`
/// or `test`), with the session's CSRF token and `fields`.
async fn submit(
    app: &ConsoleApp,
    session: &Session,
    path: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> Page {
    let mut form = vec![("csrf", session.csrf.as_str())];
    form.extend_from_slice(fields);
    app.post(&format!("{path}/{action}"), Some(session), &form)
        .await
}

/// A console whose node delivers (as `serve` starts one when there are templates), with
/// Ada stored; returns the delivery worker too.
async fn app_with_ada() -> (ConsoleApp, Arc<DeliveryWorker>) {
    let (app, worker) = console_delivering(&config(receiver().await), "unused").await;
    track_ada(&app).await;
    (app, worker)
}

async fn track_ada(app: &ConsoleApp) {
    app.track(json!({"attributes": [
        {"external_id": "ada", "first_name": "Ada", "last_name": "Lovelace", "company": "Analytical \"Engines\"", "lead score": 40},
    ]}))
    .await;
}

#[tokio::test]
async fn templates_are_listed_with_their_source_and_what_sends_them() {
    let (app, _) = app_with_ada().await;
    let session = app.login(OPERATOR_KEY).await;
    let list = app.get("/console/templates", Some(&session)).await;
    assert_eq!(list.status, StatusCode::OK);
    for shown in [
        "href=\"/console/templates/Create%20Lead\"",
        "href=\"/console/templates/Broken%20JSON\"",
        "PATCH",
        "href=\"/console/campaigns/new-lead\"",
        "no campaign or Message step names it",
    ] {
        list.assert_shows(shown);
    }
    let page = app
        .get("/console/templates/Create%20Lead", Some(&session))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_shows("{{${last_name}}}");
    page.assert_shows("{{event_properties.${stage}}}");
    page.assert_contains("action=\"/console/templates/Create%20Lead/preview#preview-result\"");
    page.assert_contains("formaction=\"/console/templates/Create%20Lead/test\"");
    let missing = app.get("/console/templates/Nope", Some(&session)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    missing.assert_contains("there is no such webhook template `Nope`");
    app.fixture.finish().await;
}

#[tokio::test]
async fn a_preview_renders_the_user_and_redacts_secrets() {
    let (app, _) = app_with_ada().await;
    let session = app.login(OPERATOR_KEY).await;
    let fields = [("user", "ada"), ("event_properties", r#"{"stage": "MQL"}"#)];
    let page = submit(&app, &session, CREATE_LEAD, "preview", &fields).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_shows("Rendered: a send would make this request.");
    page.assert_shows(r#"{"lastName":"Lovelace","company":"Analytical \"Engines\""}"#);
    page.assert_shows("Bearer [redacted]");
    page.assert_shows("The body is valid JSON.");
    assert!(
        !page.body.contains("s3cr3t-static-token"),
        "neither in the request nor in the source: {}",
        page.body
    );
    let stage = page.text();
    assert!(
        stage.contains("<code>X-Stage</code>") && stage.contains("<code>MQL</code>"),
        "{stage}"
    );
    app.fixture.finish().await;
}

#[tokio::test]
async fn bad_preview_input_is_named_next_to_its_field_and_kept() {
    let (app, _) = app_with_ada().await;
    let session = app.login(OPERATOR_KEY).await;
    let fields = [
        ("user", "nobody"),
        ("event_properties", r#"{"stage": }"#),
        ("canvas_entry_properties", "[1, 2]"),
    ];
    let page = submit(&app, &session, CREATE_LEAD, "preview", &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_shows("No user has external_id `nobody`.");
    page.assert_shows("Not valid JSON: line 1, column 11: expected value.");
    page.assert_shows("Must be a JSON object");
    page.assert_shows(r#">{"stage": }</textarea>"#);
    page.assert_contains("value=\"nobody\"");
    page.assert_contains("aria-invalid=\"true\"");
    app.fixture.finish().await;
}

#[tokio::test]
async fn a_preview_shows_an_abort_and_a_body_that_breaks_its_json() {
    let (app, _) = app_with_ada().await;
    let session = app.login(OPERATOR_KEY).await;
    let ada = [("user", "ada")];
    let aborted = submit(
        &app,
        &session,
        "/console/templates/Hand-off",
        "preview",
        &ada,
    )
    .await;
    assert_eq!(aborted.status, StatusCode::OK);
    aborted.assert_shows("in <code>body.raw</code>: <strong>not at threshold</strong>");
    aborted.assert_shows("logged as aborted_message");
    let broken = submit(
        &app,
        &session,
        "/console/templates/Broken%20JSON",
        "preview",
        &ada,
    )
    .await;
    broken.assert_shows(r#"{"name": "Ada",}"#);
    broken.assert_shows("The body is not valid JSON: line 1, column 16: trailing comma.");
    app.fixture.finish().await;
}

#[tokio::test]
async fn a_test_send_goes_through_the_queue_and_is_logged_as_a_test() {
    let (app, delivery) = app_with_ada().await;
    let session = app.login(OPERATOR_KEY).await;
    let fields = [("user", "ada"), ("event_properties", r#"{"stage": "SQL"}"#)];
    let sent = submit(&app, &session, CREATE_LEAD, "test", &fields).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let target = sent.location().to_owned();
    let send_id: Uuid = target
        .strip_prefix(&format!("{CREATE_LEAD}/tests/"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("a test send page: {target}"));
    assert_eq!(app.waiting_sends().await, 1, "enqueued, not sent inline");

    delivery.drain().await.expect("delivered");
    let query = ActivityQuery {
        send_id: Some(send_id),
        ..ActivityQuery::default()
    };
    let entries = app
        .fixture
        .state
        .store
        .activity(&query)
        .await
        .expect("read")
        .entries;
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.source.kind(), "test");
    assert_eq!(
        serde_json::to_value(&entry.source).expect("json"),
        json!({"kind": "test", "operator": "operators"})
    );
    assert_eq!(entry.status, Some(201), "{entry:?}");

    let page = app.get(&target, Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains(&send_id.to_string());
    page.assert_contains(&format!("href=\"/console/log?send_id={send_id}\""));
    page.assert_contains(&format!("href=\"/console/log/{}\"", entry.id));
    page.assert_contains("badge success");
    let profile = app
        .get(&format!("/console/users/{}", entry.user_id), Some(&session))
        .await;
    profile.assert_contains("badge test");
    app.fixture.finish().await;
}

#[tokio::test]
async fn test_sends_need_console_write_and_the_csrf_token() {
    let (app, _) = app_with_ada().await;
    let reader = app.login(READER_KEY).await;
    let page = app
        .get("/console/templates/Create%20Lead", Some(&reader))
        .await;
    page.assert_contains("needs a key with the console.write permission");
    let refused = submit(&app, &reader, CREATE_LEAD, "test", &[("user", "ada")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    refused.assert_contains("console.write");
    let operator = app.login(OPERATOR_KEY).await;
    let forged = app
        .post(
            "/console/templates/Create%20Lead/test",
            Some(&operator),
            &[("user", "ada")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    forged.assert_contains("CSRF token");
    assert_eq!(app.waiting_sends().await, 0, "nothing was enqueued");
    app.fixture.finish().await;
}

#[tokio::test]
async fn without_a_delivery_worker_the_page_says_it_cannot_preview_or_send() {
    let app = console(&config(receiver().await)).await;
    track_ada(&app).await;
    let session = app.login(OPERATOR_KEY).await;
    let page = app.get(CREATE_LEAD, Some(&session)).await;
    page.assert_contains("data-testid=\"no-test-sends\"");
    let preview = submit(&app, &session, CREATE_LEAD, "preview", &[("user", "ada")]).await;
    preview.assert_contains("runs no delivery worker");
    let refused = submit(&app, &session, CREATE_LEAD, "test", &[("user", "ada")]).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    refused.assert_contains("runs no delivery worker");
    assert_eq!(app.waiting_sends().await, 0);
    app.fixture.finish().await;
}
