//! Random `/users/track` bodies thrown at the router: no panic, no 500, always a JSON body
//! in Braze's shape.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{TRACK_KEY, config, fixture};
use leadwire_server::app;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[a-z0-9@. :/-]{0,12}".prop_map(Value::String),
        Just(json!("2024-05-01T10:00:00Z")),
        Just(json!("x".repeat(300))),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("external_id".to_owned()),
        Just("user_alias".to_owned()),
        Just("braze_id".to_owned()),
        Just("email".to_owned()),
        Just("name".to_owned()),
        Just("time".to_owned()),
        Just("product_id".to_owned()),
        Just("currency".to_owned()),
        Just("price".to_owned()),
        Just("quantity".to_owned()),
        Just("properties".to_owned()),
        Just("inc".to_owned()),
        Just("add".to_owned()),
        Just("remove".to_owned()),
        Just("_update_existing_only".to_owned()),
        Just("$time".to_owned()),
        "[a-z_$]{0,6}",
    ]
}

fn object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(key(), value(), 0..6)
        .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>()))
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let structured = (
        prop::option::of(prop_oneof![
            prop::collection::vec(object(), 0..6).prop_map(Value::Array),
            value()
        ]),
        prop::option::of(prop::collection::vec(object(), 0..4).prop_map(Value::Array)),
        prop::option::of(prop::collection::vec(object(), 0..4).prop_map(Value::Array)),
    )
        .prop_map(|(attributes, events, purchases)| {
            let mut body = Map::new();
            for (key, array) in [
                ("attributes", attributes),
                ("events", events),
                ("purchases", purchases),
            ] {
                if let Some(array) = array {
                    body.insert(key.into(), array);
                }
            }
            serde_json::to_vec(&Value::Object(body)).unwrap_or_default()
        });
    prop_oneof![
        8 => structured,
        1 => value().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

#[test]
fn random_track_bodies_never_panic_or_500() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let fixture = runtime.block_on(fixture(config()));
    let router = app(fixture.state.clone());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    });
    let outcome = runner.run(&body(), |bytes| {
        let router = router.clone();
        let (status, body) = runtime.block_on(async move {
            let request = Request::post("/users/track")
                .header("authorization", format!("Bearer {TRACK_KEY}"))
                .header("content-type", "application/json")
                .body(Body::from(bytes))
                .expect("request");
            let response = router
                .oneshot(request)
                .await
                .expect("the router is infallible");
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("body");
            (status, bytes)
        });
        prop_assert!(
            status != StatusCode::INTERNAL_SERVER_ERROR,
            "500 for a random body"
        );
        prop_assert!(
            status == StatusCode::CREATED || status == StatusCode::BAD_REQUEST,
            "status {}",
            status
        );
        let body: Value = serde_json::from_slice(&body)
            .map_err(|e| TestCaseError::fail(format!("not JSON: {e}")))?;
        prop_assert!(
            body.get("message").and_then(Value::as_str).is_some(),
            "no message: {}",
            body
        );
        if status == StatusCode::BAD_REQUEST {
            prop_assert!(
                body.get("errors")
                    .and_then(Value::as_array)
                    .is_some_and(|e| !e.is_empty()),
                "400 without errors: {}",
                body
            );
        }
        Ok(())
    });
    runtime.block_on(fixture.finish());
    if let Err(error) = outcome {
        panic!("{error}");
    }
}
