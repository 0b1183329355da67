//! The admin API and fault injection: fail-next, drop-next, lost answers, forced expiry, limit, stats, reset.

use http::{Method, StatusCode};
use serde_json::json;

use crate::harness::start;

#[tokio::test]
async fn fail_next_answers_exactly_n_errors_then_recovers() {
    let emulator = start().await;
    let set = emulator
        .http
        .post(emulator.url("/__emulator/faults/fail-next"))
        .json(&json!({"count": 2, "status": 500}))
        .send()
        .await
        .expect("sent");
    assert_eq!(set.status(), StatusCode::OK);
    let first = emulator.call(Method::GET, "/limits", None).await;
    assert_eq!(first.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(first.json[0]["errorCode"], "UNKNOWN_EXCEPTION");
    assert_eq!(
        emulator.call(Method::GET, "/limits", None).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(
        emulator.call(Method::GET, "/limits", None).await.status,
        StatusCode::OK
    );
    emulator
        .handle
        .state()
        .fail_next(1, 503)
        .expect("503 is allowed");
    let unavailable = emulator.call(Method::GET, "/limits", None).await;
    assert_eq!(unavailable.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(unavailable.json[0]["errorCode"], "SERVER_UNAVAILABLE");
}

#[tokio::test]
async fn drop_next_closes_the_connection_without_an_answer() {
    let emulator = start().await;
    emulator.handle.state().drop_next(1);
    let dropped = emulator
        .http
        .get(emulator.api("/limits"))
        .bearer_auth(&emulator.token)
        .send()
        .await;
    assert!(
        dropped.is_err(),
        "the request fails at the transport level: {dropped:?}"
    );
    let next = emulator.call(Method::GET, "/limits", None).await;
    assert_eq!(next.status, StatusCode::OK);
}

#[tokio::test]
async fn a_lost_answer_writes_the_lead_and_then_drops_the_connection() {
    let emulator = start().await;
    let set = emulator
        .http
        .put(emulator.url("/__emulator/faults"))
        .json(&json!({"lost_answer_rate": 1.0}))
        .send()
        .await
        .expect("sent");
    assert_eq!(set.status(), StatusCode::OK);
    let lost = emulator
        .http
        .post(emulator.api("/sobjects/Lead"))
        .bearer_auth(&emulator.token)
        .json(&json!({"LastName": "Lovelace", "Company": "Analytical"}))
        .send()
        .await;
    assert!(
        lost.is_err(),
        "the request fails at the transport level: {lost:?}"
    );
    assert_eq!(
        emulator.handle.state().lead_count(),
        1,
        "the write was made before the connection was dropped"
    );
    let refused = emulator
        .http
        .put(emulator.url("/__emulator/faults"))
        .json(&json!({"lost_answer_rate": 1.5}))
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn forced_expiry_and_forced_limit() {
    let emulator = start().await;
    let expire = emulator
        .http
        .post(emulator.url("/__emulator/tokens/expire"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        crate::harness::read(expire).await.json,
        json!({"expired": 1})
    );
    let refused = emulator.call(Method::GET, "/limits", None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let token = emulator.fetch_token().await;
    let settings = emulator
        .http
        .put(emulator.url("/__emulator/faults"))
        .json(&json!({"limit_exceeded": true}))
        .send()
        .await
        .expect("sent");
    assert_eq!(settings.status(), StatusCode::OK);
    let limited = emulator
        .raw(Method::GET, &emulator.api("/limits"), None, Some(&token))
        .await;
    assert_eq!(limited.status, StatusCode::FORBIDDEN);
    assert_eq!(limited.json[0]["errorCode"], "REQUEST_LIMIT_EXCEEDED");
    let bad = emulator
        .http
        .put(emulator.url("/__emulator/faults"))
        .json(&json!({"error_status": 404}))
        .send()
        .await
        .expect("sent");
    let bad = crate::harness::read(bad).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.json,
        json!({"error": "error_status must be 500 or 503, not 404"})
    );
}

#[tokio::test]
async fn stats_count_by_endpoint_and_token_and_reset_clears() {
    let emulator = start().await;
    let id = emulator.create(r#"{"LastName":"A","Company":"B"}"#).await;
    emulator
        .call(Method::GET, &format!("/sobjects/Lead/{id}"), None)
        .await;
    emulator
        .call(Method::GET, &format!("/sobjects/Lead/{id}"), None)
        .await;
    let stats = emulator
        .http
        .get(emulator.url("/__emulator/stats"))
        .send()
        .await
        .expect("sent");
    let stats = crate::harness::read(stats).await.json;
    assert_eq!(stats["byEndpoint"]["POST /services/oauth2/token"], 1);
    assert_eq!(stats["byEndpoint"]["POST /sobjects/Lead"], 1);
    assert_eq!(stats["byEndpoint"]["GET /sobjects/Lead/{id}"], 2);
    assert_eq!(stats["byToken"][&emulator.token], 3);
    assert_eq!(stats["total"], 4);
    assert_eq!(stats["apiUsage"], 3);
    let reset = emulator
        .http
        .post(emulator.url("/__emulator/reset"))
        .send()
        .await
        .expect("sent");
    assert_eq!(reset.status(), StatusCode::OK);
    assert_eq!(emulator.handle.stats().total, 0);
    assert_eq!(emulator.handle.state().lead_count(), 0);
    assert_eq!(
        emulator.call(Method::GET, "/limits", None).await.status,
        StatusCode::UNAUTHORIZED,
        "tokens are forgotten"
    );
}
