//! Random `/users/track` bodies thrown at the router, on SQLite and (when
//! `LEADWIRE_TEST_DATABASE_URL` is set) PostgreSQL: attributes with Braze's operators
//! (`inc`, `add`/`remove`, `$add`/`$remove`/`$update`, `$time`), nested objects and arrays
//! of objects, huge and tiny numbers, unicode and NUL, invalid identifiers, and broken JSON.
//! No panic and no 5xx: a 201 or a 4xx in Braze's shape. 256 cases per store, or
//! `PROPTEST_CASES`.

mod common;

use axum::http::StatusCode;
use common::fuzz::{
    body_bytes, every_store, identified_object, post_random_bodies, runtime, value,
};
use common::{TRACK_KEY, config};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn objects(external_key: &'static str) -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => prop::collection::vec(identified_object(external_key), 0..6).prop_map(Value::Array),
        1 => value(),
        1 => Just(Value::Array(vec![Value::Object(Map::new()); 76])),
    ]
}

fn track_body() -> impl Strategy<Value = Value> {
    (
        prop::option::of(objects("external_id")),
        prop::option::of(objects("external_id")),
        prop::option::of(objects("external_id")),
    )
        .prop_map(|(attributes, events, purchases)| {
            let parts = [
                ("attributes", attributes),
                ("events", events),
                ("purchases", purchases),
            ];
            Value::Object(
                parts
                    .into_iter()
                    .filter_map(|(key, part)| part.map(|part| (key.to_owned(), part)))
                    .collect(),
            )
        })
}

/// `{"message": "success", …}`, with any partial errors in Braze's shape.
fn tracked(status: StatusCode, body: &Value) -> bool {
    let errors = body["errors"].as_array().map_or(&[][..], Vec::as_slice);
    status == StatusCode::CREATED
        && body["message"] == "success"
        && errors.iter().all(|error| error["type"].is_string())
}

#[test]
fn random_track_bodies_get_a_201_or_a_braze_error() {
    let runtime = runtime();
    for fixture in runtime.block_on(every_store(config)) {
        let bodies = body_bytes(track_body());
        post_random_bodies(
            &runtime,
            fixture.state.clone(),
            "/users/track",
            TRACK_KEY,
            bodies,
            tracked,
        );
        runtime.block_on(fixture.finish());
    }
}
