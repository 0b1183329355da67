//! Attempts against a real local server.

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};

use super::*;

async fn start(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a test port");
    let address = listener.local_addr().expect("bound address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

fn loopback_allowed() -> HttpSettings {
    HttpSettings {
        allowlist: Arc::new(Allowlist::new(["127.0.0.1"])),
        ..HttpSettings::default()
    }
}

fn request(method: reqwest::Method, url: String, body: Option<&str>) -> OutboundRequest {
    OutboundRequest {
        method,
        url,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("X-Lead".into(), "ada".into()),
        ],
        body: body.map(str::to_owned),
    }
}

async fn echo(headers: HeaderMap, body: String) -> impl IntoResponse {
    let lead = headers
        .get("x-lead")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        StatusCode::CREATED,
        [("x-seen-lead", lead)],
        format!("echo:{body}"),
    )
}

#[tokio::test]
async fn a_request_carries_headers_and_body_and_reads_the_response() {
    let base = start(Router::new().route("/lead", post(echo))).await;
    let settings = loopback_allowed();
    let client = build_client(&settings).expect("client");
    let result = attempt(
        &client,
        &settings.allowlist,
        &request(reqwest::Method::POST, format!("{base}/lead"), Some("{}")),
    )
    .await
    .expect("allowed");
    assert_eq!(result.status, 201);
    assert_eq!(result.body, "echo:{}");
    assert_eq!(result.header("X-Seen-Lead"), Some("ada"));
    assert_eq!(result.error, None);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let app = Router::new().route(
        "/moved",
        get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/elsewhere")]) }),
    );
    let base = start(app).await;
    let settings = loopback_allowed();
    let client = build_client(&settings).expect("client");
    let result = attempt(
        &client,
        &settings.allowlist,
        &request(reqwest::Method::GET, format!("{base}/moved"), None),
    )
    .await
    .expect("allowed");
    assert_eq!(result.status, 302);
    assert_eq!(result.header("location"), Some("/elsewhere"));
}

#[tokio::test]
async fn long_bodies_are_cut_at_the_limit() {
    let app = Router::new().route("/big", get(|| async { "é".repeat(RESPONSE_BODY_LIMIT) }));
    let base = start(app).await;
    let settings = loopback_allowed();
    let client = build_client(&settings).expect("client");
    let result = attempt(
        &client,
        &settings.allowlist,
        &request(reqwest::Method::GET, format!("{base}/big"), None),
    )
    .await
    .expect("allowed");
    assert!(result.body_truncated);
    assert!(result.body.len() <= RESPONSE_BODY_LIMIT);
    assert!(result.body.chars().all(|c| c == 'é'));
}

#[tokio::test]
async fn a_refused_connection_is_recorded_as_599() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    let settings = loopback_allowed();
    let client = build_client(&settings).expect("client");
    let result = attempt(
        &client,
        &settings.allowlist,
        &request(reqwest::Method::GET, format!("http://{address}/x"), None),
    )
    .await
    .expect("allowed");
    assert_eq!(result.status, 599);
    let error = result.error.expect("an error text");
    assert!(error.starts_with("connection failed"), "{error}");
}

#[tokio::test]
async fn a_timeout_is_recorded_as_599() {
    let app = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late"
        }),
    );
    let base = start(app).await;
    let settings = HttpSettings {
        timeout: Duration::from_millis(100),
        ..loopback_allowed()
    };
    let client = build_client(&settings).expect("client");
    let result = attempt(
        &client,
        &settings.allowlist,
        &request(reqwest::Method::GET, format!("{base}/slow"), None),
    )
    .await
    .expect("allowed");
    assert_eq!(result.status, 599);
    assert!(
        result
            .error
            .expect("an error text")
            .starts_with("timed out")
    );
}

#[tokio::test]
async fn a_non_public_host_is_not_attempted_without_the_allowlist() {
    let settings = HttpSettings::default();
    let client = build_client(&settings).expect("client");
    let refusal = attempt(
        &client,
        &settings.allowlist,
        &request(reqwest::Method::GET, "http://127.0.0.1:9/x".into(), None),
    )
    .await
    .expect_err("refused");
    assert!(matches!(refusal, UrlRefusal::NonPublic { .. }));
}

#[test]
fn a_missing_ca_file_is_a_clear_error() {
    let settings = HttpSettings {
        extra_ca_file: Some("/nonexistent/ca.pem".into()),
        ..HttpSettings::default()
    };
    let error = build_client(&settings).expect_err("missing file");
    assert!(
        error
            .to_string()
            .starts_with("cannot read the CA file /nonexistent/ca.pem")
    );
}
