//! OAuth: client credentials in the body or as Basic, exact token errors, revoke, introspect, 401s.

use base64::Engine;
use http::{Method, StatusCode};
use serde_json::json;

use crate::harness::{CLIENT_ID, CLIENT_SECRET, start};

#[tokio::test]
async fn token_response_has_the_salesforce_fields() {
    let emulator = start().await;
    let reply = emulator
        .form(
            "/services/oauth2/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("content-type"),
        "application/json;charset=UTF-8"
    );
    let body = &reply.json;
    let token = body["access_token"].as_str().unwrap_or_default();
    assert!(token.starts_with("00DKa00000LEADW!"), "{token}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "api");
    assert_eq!(body["instance_url"], emulator.handle.base_url.as_str());
    let id = body["id"].as_str().unwrap_or_default();
    assert!(
        id.ends_with("/id/00DKa00000LEADWIRE/005Ka00000LEADWIRE"),
        "{id}"
    );
    let issued_at = body["issued_at"].as_str().unwrap_or_default();
    assert!(
        issued_at.len() >= 13 && issued_at.parse::<u64>().is_ok(),
        "milliseconds: {issued_at}"
    );
    assert!(body["signature"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(body.get("expires_in").is_none() && body.get("refresh_token").is_none());
}

#[tokio::test]
async fn basic_auth_is_accepted() {
    let emulator = start().await;
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    let response = emulator
        .http
        .post(emulator.url("/services/oauth2/token"))
        .header("authorization", format!("Basic {basic}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .expect("sent");
    let reply = crate::harness::read(response).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let token = reply.json["access_token"].as_str().unwrap_or_default();
    let limits = emulator
        .raw(Method::GET, &emulator.api("/limits"), None, Some(token))
        .await;
    assert_eq!(limits.status, StatusCode::OK);
}

#[tokio::test]
async fn token_errors_have_the_exact_texts() {
    let emulator = start().await;
    let cases = [
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "nope"),
                ("client_secret", CLIENT_SECRET),
            ],
            "invalid_client_id",
            "client identifier invalid",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT_ID),
                ("client_secret", "wrong"),
            ],
            "invalid_client",
            "invalid client credentials",
        ),
        (
            vec![
                ("grant_type", "password"),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
            ],
            "unsupported_grant_type",
            "grant type not supported",
        ),
        (
            vec![("client_id", CLIENT_ID)],
            "unsupported_grant_type",
            "grant type not supported",
        ),
    ];
    for (fields, error, description) in cases {
        let reply = emulator.form("/services/oauth2/token", &fields).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            reply.json,
            json!({"error": error, "error_description": description})
        );
    }
    let reply = emulator
        .raw(
            Method::POST,
            &emulator.url("/services/oauth2/token"),
            Some("{\"grant_type\":\"client_credentials\"}"),
            None,
        )
        .await;
    assert_eq!(
        reply.json["error"], "unsupported_grant_type",
        "JSON bodies are not a form"
    );
}

#[tokio::test]
async fn missing_unknown_and_revoked_tokens_get_401_with_www_authenticate() {
    let emulator = start().await;
    let expected =
        json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]);
    for token in [None, Some("00Dxx!unknown")] {
        let reply = emulator
            .raw(Method::GET, &emulator.api("/limits"), None, token)
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.header("www-authenticate"), "Token");
        assert_eq!(reply.json, expected);
    }
    let revoke = emulator
        .form("/services/oauth2/revoke", &[("token", &emulator.token)])
        .await;
    assert_eq!(revoke.status, StatusCode::OK);
    let reply = emulator.call(Method::GET, "/limits", None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json, expected);
    let again = emulator
        .form("/services/oauth2/revoke", &[("token", "never-issued")])
        .await;
    assert_eq!(
        again.json,
        json!({"error": "invalid_token", "error_description": "Token was invalid"})
    );
}

#[tokio::test]
async fn the_oauth_scheme_works_like_bearer() {
    let emulator = start().await;
    let response = emulator
        .http
        .get(emulator.api("/sobjects"))
        .header("authorization", format!("OAuth {}", emulator.token))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn introspection_reports_active_and_inactive_tokens() {
    let emulator = start().await;
    let active = emulator
        .form(
            "/services/oauth2/introspect",
            &[
                ("token", &emulator.token),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
            ],
        )
        .await;
    assert_eq!(active.json["active"], true);
    assert_eq!(active.json["client_id"], CLIENT_ID);
    assert_eq!(active.json["token_type"], "access_token");
    assert!(active.json["exp"].as_i64() > active.json["iat"].as_i64());
    emulator.handle.state().expire_tokens();
    let expired = emulator
        .form(
            "/services/oauth2/introspect",
            &[
                ("token", &emulator.token),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
            ],
        )
        .await;
    assert_eq!(expired.json, json!({"active": false}));
    let reply = emulator.call(Method::GET, "/limits", None).await;
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "expired tokens are refused"
    );
}
