//! Over a real socket: every error is Braze's JSON shape (405, bad path ids, 408 for slow
//! requests and for bodies that pause too long), and the `/healthz` and `/readyz` probes
//! answer without auth or rate limit, `/readyz` with 503 naming what is down.

mod common;

use std::time::Duration;

use common::{FULL_KEY, TRACK_KEY, config, serve};
use leadwire_core::permission::Permission;
use leadwire_server::{ApiKeyConfig, ServerConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const READER_KEY: &str = "lw-activity-reader-key-0000000003";

/// Status, headers and JSON body of `response`; panics when the body is not JSON.
async fn json_of(response: reqwest::Response) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{status}: the body is not JSON ({error}): {text:?}"));
    (status, headers, body)
}

fn assert_braze_shape(body: &Value, message: &str, mentions: &[&str]) {
    assert_eq!(body["message"], message, "{body}");
    let kind = body["errors"][0]["type"].as_str().unwrap_or_default();
    for word in mentions {
        assert!(kind.contains(word), "`{word}` missing from {body}");
    }
}

#[tokio::test]
async fn a_wrong_method_on_a_known_path_is_405_json() {
    let api = serve(config()).await;
    let response = api
        .client
        .get(format!("{}/users/track", api.base))
        .bearer_auth(TRACK_KEY)
        .send()
        .await
        .expect("request");
    let (status, headers, body) = json_of(response).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_braze_shape(
        &body,
        "Method Not Allowed",
        &["GET", "/users/track", "Allow"],
    );
    assert_eq!(headers["allow"], "POST");
    assert!(headers.contains_key("x-ratelimit-remaining"));

    let response = api
        .client
        .delete(format!("{}/activity/x/replay", api.base))
        .send()
        .await
        .expect("request");
    let (status, _, body) = json_of(response).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_braze_shape(&body, "Method Not Allowed", &["DELETE"]);
    api.fixture.finish().await;
}

#[tokio::test]
async fn a_base_url_ending_in_a_slash_still_reaches_the_route() {
    let api = serve(config()).await;
    let response = api
        .client
        .post(format!("{}//users/track", api.base))
        .bearer_auth(TRACK_KEY)
        .json(&json!({"attributes": [{"external_id": "slash", "first_name": "Ada"}]}))
        .send()
        .await
        .expect("request");
    let (status, _, body) = json_of(response).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["message"], "success");
    api.fixture.finish().await;
}

#[tokio::test]
async fn a_bad_replay_id_is_400_json() {
    let mut config = config();
    config.api_keys.push(ApiKeyConfig {
        name: "support".into(),
        key: READER_KEY.into(),
        permissions: vec![Permission::ActivityRead],
    });
    let api = serve(config).await;
    let replay = |id: &str| {
        api.client
            .post(format!("{}/activity/{id}/replay", api.base))
            .bearer_auth(READER_KEY)
            .send()
    };
    // %FF percent-decodes to a byte that is not UTF-8.
    let (status, _, body) = json_of(replay("%FF").await.expect("request")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_braze_shape(&body, "Bad Request", &["`id`", "UTF-8", "GET /activity"]);
    assert_eq!(body["errors"][0]["field"], "id");

    let (status, _, body) = json_of(replay("not-a-uuid").await.expect("request")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_braze_shape(
        &body,
        "Bad Request",
        &["not-a-uuid", "UUID", "GET /activity"],
    );

    // Auth still comes first.
    let response = api
        .client
        .post(format!("{}/activity/%FF/replay", api.base))
        .bearer_auth(FULL_KEY)
        .send()
        .await
        .expect("request");
    let (status, _, body) = json_of(response).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_braze_shape(&body, "Access Denied", &["activity.read"]);
    api.fixture.finish().await;
}

/// Sends a `/users/track` head announcing 100 body bytes and the first `pieces` of the body,
/// one every 200 ms, then nothing more; returns the raw answer and how long it took.
async fn stalled_track_request(
    address: std::net::SocketAddr,
    pieces: &[&str],
) -> (String, Duration) {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let head = format!(
        "POST /users/track HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {TRACK_KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let started = std::time::Instant::now();
    for piece in pieces {
        stream.write_all(piece.as_bytes()).await.expect("write");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    // Never send the rest of the body; the server must answer on its own.
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let n = stream.read(&mut buffer).await.expect("read");
            answer.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&answer);
            if n == 0 || text.contains("\r\n\r\n") && text.trim_end().ends_with('}') {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer within 10 s");
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

/// The status line and JSON body of a raw HTTP/1.1 answer.
fn status_and_body(text: &str) -> (&str, Value) {
    let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
    let status = head.lines().next().unwrap_or_default();
    (status, serde_json::from_str(body).expect("a JSON body"))
}

#[tokio::test]
async fn a_body_slower_than_the_timeout_is_408_json() {
    let api = serve(ServerConfig {
        request_timeout_seconds: 1,
        ..config()
    })
    .await;
    let (text, elapsed) = stalled_track_request(api.address, &["{\"attributes\": ["]).await;
    assert!(elapsed >= Duration::from_millis(900));
    let (status, body) = status_and_body(&text);
    assert!(status.starts_with("HTTP/1.1 408"), "{text}");
    assert_braze_shape(
        &body,
        "Request Timeout",
        &["1 seconds", "server.request_timeout_seconds"],
    );
    api.fixture.finish().await;
}

#[tokio::test]
async fn a_body_that_pauses_longer_than_the_body_read_timeout_is_408_json() {
    let api = serve(ServerConfig {
        body_read_timeout_seconds: 1,
        request_timeout_seconds: 30,
        ..config()
    })
    .await;
    let trickle = ["{\"attr", "ibutes", "\": ["];
    let (text, _) = stalled_track_request(api.address, &trickle).await;
    let (status, body) = status_and_body(&text);
    assert!(status.starts_with("HTTP/1.1 408"), "{text}");
    assert_braze_shape(
        &body,
        "Request Timeout",
        &["1 seconds", "server.body_read_timeout_seconds"],
    );
    assert!(
        text.to_ascii_lowercase().contains("x-ratelimit-remaining"),
        "{text}"
    );
    api.fixture.finish().await;
}

#[tokio::test]
async fn healthz_and_readyz_answer_without_auth_or_rate_limit() {
    let api = serve(ServerConfig {
        rate_limit_requests: 1,
        rate_limit_window_seconds: 3600,
        ..config()
    })
    .await;
    for _ in 0..3 {
        for path in ["/healthz", "/readyz"] {
            let response = api
                .client
                .get(format!("{}{path}", api.base))
                .send()
                .await
                .expect("request");
            let (status, _, body) = json_of(response).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            assert_eq!(body, json!({"status": "ok"}), "{path}");
        }
    }
    // The probes took nothing from the budget: the one allowed request is still there.
    let track = || {
        api.client
            .post(format!("{}/users/track", api.base))
            .bearer_auth(TRACK_KEY)
            .json(&json!({"attributes": [{"external_id": "u", "x": 1}]}))
            .send()
    };
    let (status, _, _) = json_of(track().await.expect("request")).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) = json_of(track().await.expect("request")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    // A store that no longer answers: healthz still 200, readyz 503 in Braze's shape.
    api.fixture.state.store.close().await;
    let get = |path: &str| api.client.get(format!("{}{path}", api.base)).send();
    let (status, _, _) = json_of(get("/healthz").await.expect("request")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = json_of(get("/readyz").await.expect("request")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_braze_shape(&body, "Service Unavailable", &["store", "not ready"]);
    assert_eq!(body["errors"][0]["field"], "store", "{body}");
    api.fixture.finish().await;
}

#[tokio::test]
async fn readyz_names_the_components_that_are_down_and_nothing_else() {
    let api = serve(config()).await;
    let readiness = api.fixture.state.readiness.clone();
    let readyz = || async {
        let response = api
            .client
            .get(format!("{}/readyz", api.base))
            .send()
            .await
            .expect("request");
        json_of(response).await
    };
    let worker = readiness.up_while("delivery worker");
    readiness.set("migrations", true);
    let (status, _, body) = readyz().await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));

    // A component whose task ended is down: 503 in Braze's shape, naming only it.
    drop(worker);
    readiness.set("migrations", false);
    let (status, _, body) = readyz().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_braze_shape(
        &body,
        "Service Unavailable",
        &["delivery worker", "not ready"],
    );
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|error| error["field"].as_str())
        .collect();
    assert_eq!(fields, ["delivery worker", "migrations"], "{body}");

    // Up again: ready again.
    let _worker = readiness.up_while("delivery worker");
    readiness.set("migrations", true);
    let (status, _, _) = readyz().await;
    assert_eq!(status, StatusCode::OK);
    api.fixture.finish().await;
}
