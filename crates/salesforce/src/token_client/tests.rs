//! Tests of the token cache against a small token endpoint on a real socket.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Form, Json, Router};
use serde_json::json;

use super::*;

#[derive(Clone, Default)]
struct Endpoint {
    served: Arc<AtomicU64>,
}

async fn token_endpoint(
    State(endpoint): State<Endpoint>,
    Form(form): Form<std::collections::HashMap<String, String>>,
) -> axum::response::Response {
    if form.get("client_id").map(String::as_str) != Some("good-id") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_client_id", "error_description": "client identifier invalid"})),
        )
            .into_response();
    }
    if form.get("client_secret").map(String::as_str) != Some("good-secret") {
        return (StatusCode::BAD_REQUEST, "<html>not json</html>").into_response();
    }
    let n = endpoint.served.fetch_add(1, Ordering::SeqCst) + 1;
    // Let concurrent callers pile up behind the first fetch.
    tokio::task::yield_now().await;
    Json(json!({
        "access_token": format!("00D000000000001!token{n}"),
        "instance_url": "https://acme.my.salesforce.com",
        "token_type": "Bearer",
        "issued_at": "1699999999999",
    }))
    .into_response()
}

async fn start_endpoint() -> (String, Endpoint) {
    let endpoint = Endpoint::default();
    let app = Router::new()
        .route("/services/oauth2/token", post(token_endpoint))
        .with_state(endpoint.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a port for the test endpoint");
    let address = listener.local_addr().expect("bound address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/services/oauth2/token"), endpoint)
}

fn cache(token_url: String, client_id: &str, secret: &str, ttl: Duration) -> TokenCache {
    TokenCache::new(
        reqwest::Client::new(),
        ClientCredentials {
            token_url,
            client_id: client_id.into(),
            client_secret: secret.into(),
        },
        ttl,
    )
}

#[tokio::test]
async fn a_burst_of_callers_makes_one_token_request() {
    let (url, endpoint) = start_endpoint().await;
    let cache = Arc::new(cache(
        url,
        "good-id",
        "good-secret",
        Duration::from_secs(3600),
    ));
    let callers: Vec<_> = (0..64)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.token().await })
        })
        .collect();
    for caller in callers {
        let token = caller.await.expect("caller task").expect("a token");
        assert_eq!(token.access_token, "00D000000000001!token1");
        assert_eq!(token.instance_url, "https://acme.my.salesforce.com");
    }
    assert_eq!(endpoint.served.load(Ordering::SeqCst), 1);
    assert_eq!(cache.fetch_count(), 1);
}

#[tokio::test]
async fn invalidating_the_current_token_fetches_a_new_one_once() {
    let (url, endpoint) = start_endpoint().await;
    let cache = cache(url, "good-id", "good-secret", Duration::from_secs(3600));
    let first = cache.token().await.expect("first token");
    cache.invalidate(&first.access_token).await;
    let second = cache.token().await.expect("second token");
    assert_ne!(first.access_token, second.access_token);
    // A late 401 for the stale token must not throw away the fresh one.
    cache.invalidate(&first.access_token).await;
    let third = cache.token().await.expect("third token");
    assert_eq!(second, third);
    assert_eq!(endpoint.served.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_expired_token_is_replaced() {
    let (url, endpoint) = start_endpoint().await;
    let cache = cache(url, "good-id", "good-secret", Duration::ZERO);
    let first = cache.token().await.expect("first token");
    let second = cache.token().await.expect("second token");
    assert_ne!(first.access_token, second.access_token);
    assert_eq!(endpoint.served.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn oauth_errors_keep_salesforce_code_and_description() {
    let (url, _) = start_endpoint().await;
    let cache = cache(url, "wrong-id", "good-secret", Duration::from_secs(60));
    match cache.token().await {
        Err(TokenError::Refused {
            status,
            error,
            description,
        }) => {
            assert_eq!(status, 400);
            assert_eq!(error, "invalid_client_id");
            assert_eq!(description, "client identifier invalid");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_non_json_error_body_is_reported_as_unreadable() {
    let (url, _) = start_endpoint().await;
    let cache = cache(url, "good-id", "wrong-secret", Duration::from_secs(60));
    match cache.token().await {
        Err(TokenError::Unreadable { status, body }) => {
            assert_eq!(status, 400);
            assert_eq!(body, "<html>not json</html>");
        }
        other => panic!("expected an unreadable body, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    let cache = cache(
        format!("http://{address}/services/oauth2/token"),
        "good-id",
        "good-secret",
        Duration::from_secs(60),
    );
    assert!(matches!(
        cache.token().await,
        Err(TokenError::Transport { .. })
    ));
}

#[tokio::test]
async fn the_status_tells_fetches_outcomes_and_expiry_without_the_token() {
    let (url, _) = start_endpoint().await;
    let ttl = Duration::from_secs(3600);
    let good = cache(url.clone(), "good-id", "good-secret", ttl);
    assert_eq!(good.status(), TokenCacheStatus::default());
    let before = SystemTime::now();
    let token = good.token().await.expect("a token");
    let status = good.status();
    assert_eq!(status.fetches, 1);
    let fetch = status.last_fetch.expect("a fetch");
    assert!(fetch.at >= before, "{fetch:?}");
    assert_eq!(fetch.error, None);
    assert_eq!(status.expires_at, Some(fetch.at + ttl));
    assert!(!format!("{:?}", good.status()).contains(&token.access_token));
    good.invalidate(&token.access_token).await;
    assert_eq!(good.status().expires_at, None);

    let refused = cache(url, "wrong-id", "good-secret", ttl);
    assert!(refused.token().await.is_err());
    let status = refused.status();
    assert_eq!(status.fetches, 1);
    let error = status.last_fetch.and_then(|fetch| fetch.error);
    assert_eq!(
        error.as_deref(),
        Some("token request refused with HTTP 400: invalid_client_id: client identifier invalid")
    );
    assert_eq!(status.expires_at, None);
}

#[test]
fn debug_output_redacts_secrets() {
    let credentials = ClientCredentials {
        token_url: "https://x/services/oauth2/token".into(),
        client_id: "id".into(),
        client_secret: "very-secret".into(),
    };
    let token = AccessToken {
        access_token: "00D!secret-token".into(),
        instance_url: "https://x".into(),
        token_type: "Bearer".into(),
    };
    let printed = format!("{credentials:?} {token:?}");
    assert!(!printed.contains("very-secret"));
    assert!(!printed.contains("secret-token"));
}
