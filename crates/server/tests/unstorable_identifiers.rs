//! Identifiers PostgreSQL cannot store or index (a NUL, or thousands of characters that do
//! not compress) in every endpoint that takes one: refused with a 400 naming the field, or
//! looked up and not found, never a 500. On SQLite, and on PostgreSQL when
//! `LEADWIRE_TEST_DATABASE_URL` is set.

mod common;

use axum::http::StatusCode;
use common::fuzz::{self, every_store, is_braze_error};
use common::{API_TRIGGERED_JOURNEYS, FULL_KEY, TRIGGER_KEY, trigger_config, with_journeys};
use leadwire_core::permission::Permission;
use leadwire_server::{AppState, app};
use serde_json::{Value, json};

async fn call(
    state: &AppState,
    method: &str,
    uri: &str,
    key: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let router = app(state.clone());
    let (status, bytes) =
        fuzz::call(&router, method, uri, key, body.to_string().into_bytes()).await;
    (
        status,
        serde_json::from_slice(&bytes).expect("a JSON answer"),
    )
}

/// 9,000 characters that do not compress: past PostgreSQL's largest index entry.
fn incompressible() -> String {
    (0..9_000u32)
        .filter_map(|i| char::from_u32(0x4e00 + (i * 7919) % 20_000))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identifiers_with_a_nul_are_refused_or_found_nowhere() {
    let config = || {
        let mut config = trigger_config();
        config.api_keys[0]
            .permissions
            .push(Permission::ActivityRead);
        config
    };
    for fixture in every_store(config).await {
        let state = with_journeys(&fixture.state, API_TRIGGERED_JOURNEYS);
        let track = |object: Value| json!({"attributes": [object]});
        let refused = [
            (
                "/users/track",
                track(json!({"external_id": "a\u{0}b", "first_name": "x"})),
                "external_id",
            ),
            (
                "/users/track",
                track(json!({"external_id": "u", "phone": "+1\u{0}"})),
                "phone",
            ),
            (
                "/users/track",
                track(
                    json!({"user_alias": {"alias_name": "n", "alias_label": "a\u{0}"},
                             "_update_existing_only": false}),
                ),
                "user_alias.alias_label",
            ),
            (
                "/users/track",
                json!({"events": [{"external_id": "u", "name": "n\u{0}", "time": "2024-01-01T00:00:00Z"}]}),
                "name",
            ),
            (
                "/users/track",
                json!({"purchases": [{"external_id": "u", "product_id": "p\u{0}", "currency": "USD",
                                      "price": 1, "time": "2024-01-01T00:00:00Z"}]}),
                "product_id",
            ),
            (
                "/users/track",
                json!({"events": [{"external_id": "u", "app_id": "\u{0}", "name": "n", "time": "2024-01-01T00:00:00Z"}]}),
                "app_id",
            ),
            (
                "/users/delete",
                json!({"email_addresses": [{"email": "a\u{0}@x.io", "prioritization": ["identified"]}]}),
                "email_addresses[0].email",
            ),
            (
                "/users/delete",
                json!({"phone_numbers": [{"phone": "+1\u{0}", "prioritization": ["identified"]}]}),
                "phone_numbers[0].phone",
            ),
        ];
        for (path, body, field) in refused {
            let (status, answer) = call(&state, "POST", path, FULL_KEY, &body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
            assert!(is_braze_error(&answer), "{answer}");
            assert_eq!(answer["errors"][0]["field"], field, "{answer}");
        }
        let found_nowhere = [
            (
                "/users/delete",
                json!({"external_ids": ["a\u{0}"]}),
                StatusCode::ACCEPTED,
            ),
            (
                "/users/export/ids",
                json!({"external_ids": ["a\u{0}"]}),
                StatusCode::OK,
            ),
            (
                "/users/export/ids",
                json!({"email_address": "a\u{0}@x.io"}),
                StatusCode::OK,
            ),
            (
                "/users/export/ids",
                json!({"phone": "\u{0}"}),
                StatusCode::OK,
            ),
            (
                "/users/alias/new",
                json!({"user_aliases": [{"alias_name": "n", "alias_label": "l", "external_id": "\u{0}"}]}),
                StatusCode::CREATED,
            ),
        ];
        for (path, body, expected) in found_nowhere {
            let (status, answer) = call(&state, "POST", path, FULL_KEY, &body).await;
            assert_eq!(status, expected, "{path} {body}: {answer}");
        }
        for query in ["user=a%00", "campaign=%00", "canvas=c%00&step=%00"] {
            let uri = format!("/activity?{query}");
            let (status, answer) = call(&state, "GET", &uri, FULL_KEY, &Value::Null).await;
            assert_eq!(status, StatusCode::OK, "{uri}: {answer}");
            assert_eq!(answer["entries"], json!([]), "{uri}");
        }
        fixture.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trigger_recipients_follow_the_external_id_rules_of_users_track() {
    for fixture in every_store(trigger_config).await {
        let state = with_journeys(&fixture.state, API_TRIGGERED_JOURNEYS);
        for (external_user_id, message) in [
            (json!("a\u{0}b"), "must not contain the NUL character"),
            (json!(incompressible()), "is at most 255 characters"),
            (json!(""), "must not be empty"),
            (json!(7), "must be a string"),
        ] {
            let body = json!({"campaign_id": "Welcome", "recipients": [{
                "external_user_id": external_user_id,
                "send_to_existing_only": false,
                "attributes": {"first_name": "Ada"},
            }]});
            let (status, answer) = call(
                &state,
                "POST",
                "/campaigns/trigger/send",
                TRIGGER_KEY,
                &body,
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
            let kind = answer["errors"][0]["type"].as_str().unwrap_or_default();
            assert!(
                kind.starts_with("recipients[0].external_user_id: ") && kind.contains(message),
                "{kind}"
            );
        }
        fixture.finish().await;
    }
}
