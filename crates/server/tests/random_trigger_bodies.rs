//! Random bodies for `POST /campaigns/trigger/send` and `POST /canvas/trigger/send`, with
//! an API-triggered campaign and canvas behind them, on SQLite and (when
//! `LEADWIRE_TEST_DATABASE_URL` is set) PostgreSQL: known and unknown ids, recipients by
//! external id, alias or email with attributes and properties of every kind, broadcasts,
//! audiences, and broken JSON. No panic and no 5xx: a 201 with a `dispatch_id` or a 4xx
//! in Braze's shape. 256 cases per endpoint and store, or `PROPTEST_CASES`.

mod common;

use axum::http::StatusCode;
use common::fuzz::{
    body_bytes, every_store, identifier, key, post_random_bodies, runtime, text, value,
};
use common::{API_TRIGGERED_JOURNEYS, TRIGGER_KEY, trigger_config, with_journeys};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// One recipient: who, and maybe attributes, `send_to_existing_only` and properties.
fn recipient(properties_key: &'static str) -> impl Strategy<Value = Value> {
    // Often valid, so that new users are created and written.
    let attributes = prop_oneof![
        2 => Just(json!({"first_name": "Ada"})),
        3 => prop::collection::btree_map(key(), value(), 0..5)
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        1 => value(),
    ];
    let existing_only = prop_oneof![
        3 => Just(json!(false)),
        1 => Just(json!(true)),
        1 => value(),
    ];
    (
        identifier("external_user_id"),
        prop::option::weighted(0.8, attributes),
        prop::option::weighted(0.8, existing_only),
        prop::option::of(value()),
    )
        .prop_map(move |(mut object, attributes, existing_only, properties)| {
            for (key, part) in [
                ("attributes", attributes),
                ("send_to_existing_only", existing_only),
                (properties_key, properties),
            ] {
                if let Some(part) = part {
                    object.insert(key.to_owned(), part);
                }
            }
            Value::Object(object)
        })
}

fn trigger_body(
    id_key: &'static str,
    known_id: &'static str,
    properties_key: &'static str,
) -> impl Strategy<Value = Value> {
    // Mostly a valid envelope, so that the recipients are what gets tested.
    let id = prop_oneof![6 => Just(json!(known_id)), 1 => value()];
    let properties = prop_oneof![
        3 => prop::collection::btree_map(key(), value(), 0..4)
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        1 => value(),
    ];
    let recipients = prop_oneof![
        8 => prop::collection::vec(recipient(properties_key), 1..4).prop_map(Value::Array),
        1 => value(),
        1 => Just(Value::Array(vec![json!({"external_user_id": "ada"}); 51])),
    ];
    let broadcast = prop_oneof![3 => any::<bool>().prop_map(Value::Bool), 1 => value()];
    (
        prop::option::weighted(0.95, id),
        prop::option::weighted(0.5, properties),
        prop::option::weighted(0.2, broadcast),
        prop::option::weighted(0.05, value()),
        prop::option::weighted(0.9, recipients),
    )
        .prop_map(move |(id, properties, broadcast, audience, recipients)| {
            let mut body = Map::new();
            for (key, part) in [
                (id_key, id),
                (properties_key, properties),
                ("broadcast", broadcast),
                ("audience", audience),
                ("recipients", recipients),
            ] {
                if let Some(part) = part {
                    body.insert(key.to_owned(), part);
                }
            }
            Value::Object(body)
        })
}

/// A valid request whose recipients are new users named by strings at the edges, with
/// attributes, so that the write path is reached.
fn new_users_body(id_key: &'static str, known_id: &'static str) -> impl Strategy<Value = Value> {
    let attributes = prop_oneof![
        2 => Just(json!({"first_name": "Ada"})),
        1 => prop::collection::btree_map(key(), value(), 0..3)
            .prop_map(|map| Value::Object(map.into_iter().collect())),
    ];
    let recipient = (text(), attributes).prop_map(|(id, attributes)| {
        json!({"external_user_id": id, "send_to_existing_only": false, "attributes": attributes})
    });
    prop::collection::vec(recipient, 1..3)
        .prop_map(move |recipients| json!({id_key: known_id, "recipients": recipients}))
}

/// `201 {"dispatch_id": "…", "message": "success"}`.
fn dispatched(status: StatusCode, body: &Value) -> bool {
    status == StatusCode::CREATED
        && body["message"] == "success"
        && body["dispatch_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
}

#[test]
fn random_trigger_bodies_get_a_dispatch_or_a_braze_error() {
    let runtime = runtime();
    for fixture in runtime.block_on(every_store(trigger_config)) {
        let state = with_journeys(&fixture.state, API_TRIGGERED_JOURNEYS);
        for (path, id_key, known_id, properties_key) in [
            (
                "/campaigns/trigger/send",
                "campaign_id",
                "Welcome",
                "trigger_properties",
            ),
            ("/canvas/trigger/send", "canvas_id", "onboarding", "context"),
        ] {
            let bodies = body_bytes(prop_oneof![
                trigger_body(id_key, known_id, properties_key),
                new_users_body(id_key, known_id),
            ]);
            post_random_bodies(
                &runtime,
                state.clone(),
                path,
                TRIGGER_KEY,
                bodies,
                dispatched,
            );
        }
        runtime.block_on(fixture.finish());
    }
}
