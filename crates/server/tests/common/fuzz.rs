//! Random request bodies and the check every answer must pass: a 2xx the endpoint's
//! success shape accepts, or a 4xx in Braze's shape, `{"message": "…", "errors": [{"type":
//! "…"}, …]}`. Never a 5xx. Bodies are JSON built from values at the edges (huge and tiny
//! numbers written raw, unicode, NUL, long strings, Braze's operators), now and then cut
//! short or replaced by random bytes.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use leadwire_server::{AppState, app};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use super::Fixture;

/// Numbers JSON can write but `serde_json::Value` cannot hold, put into a body's text in
/// place of the marker strings that stand for them.
const RAW_NUMBERS: &[&str] = &[
    "1e400",
    "-1e400",
    "1e-400",
    "-0",
    "18446744073709551616",
    "-9223372036854775809",
    "123456789012345678901234567890.5",
];

fn raw_number_marker(index: usize) -> String {
    format!("\u{1}raw{index}\u{1}")
}

/// Strings at the edges: empty, long (some too long for a PostgreSQL index entry),
/// unicode of every width, controls and NUL, dates.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9@. :/_-]{0,12}",
        1 => Just(String::new()),
        1 => Just("x".repeat(300)),
        1 => Just("é".repeat(256)),
        1 => "\\PC{1,12}",
        1 => prop::collection::vec(any::<char>(), 3_000).prop_map(String::from_iter),
        1 => "[a-z]{0,3}\u{0}[a-z]{0,3}",
        3 => prop::sample::select(&[
            "a\u{0}b", "\u{0}", "\u{202e}rtl", "😀👩‍👩‍👧", "\u{feff}", "\r\n\t", "\\u0000",
            "ada@example.com", "Ada@EXAMPLE.com ", "a@b", "+15550001", "2024-05-01T10:00:00Z",
            "2024-02-30", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "USD", "usd", "Europe/Paris",
            "00000000-0000-0000-0000-000000000000", "$time", "$add",
        ][..])
        .prop_map(str::to_owned),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => any::<i64>().prop_map(|n| json!(n)),
        1 => any::<u64>().prop_map(|n| json!(n)),
        1 => prop::sample::select(&[0i64, 1, -1, 100, 101, 255, 256][..]).prop_map(|n| json!(n)),
        1 => any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        1 => (0..RAW_NUMBERS.len()).prop_map(|i| Value::String(raw_number_marker(i))),
        4 => text().prop_map(Value::String),
    ]
}

/// Keys of `/users/track` objects, Braze's operators, and names at the edges.
pub fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(&[
            "external_id", "user_alias", "braze_id", "email", "phone", "alias_name",
            "alias_label", "name", "time", "app_id", "product_id", "currency", "price",
            "quantity", "properties", "inc", "add", "remove", "update", "$add", "$remove",
            "$update", "$identifier_key", "$identifier_value", "$new_object", "$time",
            "_update_existing_only", "first_name", "dob", "gender", "country", "time_zone",
            "current_location", "latitude", "longitude", "subscription_groups",
            "subscription_group_id", "subscription_state", "push_tokens", "email_subscribe",
            "facebook", "event_name",
        ][..])
        .prop_map(str::to_owned),
        2 => "[a-z_$]{0,6}",
        1 => "\\PC{1,4}",
        1 => Just("k".repeat(256)),
    ]
}

/// Any JSON value, nested a few levels, with Braze's operator objects among them.
pub fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            3 => prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            3 => object_of(inner.clone()),
            1 => inner.clone().prop_map(|by| json!({"inc": by})),
            1 => (inner.clone(), inner.clone()).prop_map(|(add, remove)| json!({"add": add, "remove": remove})),
            1 => prop::collection::vec(object_of(inner.clone()), 0..4)
                .prop_map(|objects| json!({"$add": objects})),
            1 => (inner.clone(), inner.clone()).prop_map(|(key, value)| {
                json!({"$remove": [{"$identifier_key": key, "$identifier_value": value}]})
            }),
            1 => (inner.clone(), object_of(inner.clone())).prop_map(|(value, new)| {
                json!({"$update": [{"$identifier_key": "id", "$identifier_value": value, "$new_object": new}]})
            }),
            1 => inner.prop_map(|time| json!({"$time": time})),
        ]
    })
}

fn object_of(values: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
    prop::collection::btree_map(key(), values, 0..6)
        .prop_map(|map| Value::Object(map.into_iter().collect()))
}

/// A user identifier as a track object or a recipient names one: mostly plausible,
/// sometimes wrong in type, length or content.
pub fn identifier(external_key: &'static str) -> impl Strategy<Value = Map<String, Value>> {
    let one = |key: &'static str, value: Value| Map::from_iter([(key.to_owned(), value)]);
    prop_oneof![
        4 => prop::sample::select(&["ada", "bob", "cy"][..])
            .prop_map(move |id| one(external_key, json!(id))),
        3 => text().prop_map(move |id| one(external_key, json!(id))),
        1 => leaf().prop_map(move |id| one(external_key, id)),
        1 => (text(), text()).prop_map(move |(name, label)| {
            one("user_alias", json!({"alias_name": name, "alias_label": label}))
        }),
        1 => leaf().prop_map(move |alias| one("user_alias", alias)),
        1 => text().prop_map(move |email| one("email", json!(email))),
        1 => text().prop_map(move |id| one("braze_id", json!(id))),
        1 => Just(Map::new()),
    ]
}

/// An object with an identifier and random fields.
pub fn identified_object(external_key: &'static str) -> impl Strategy<Value = Value> {
    (
        identifier(external_key),
        prop::collection::btree_map(key(), value(), 0..6),
    )
        .prop_map(|(mut object, fields)| {
            object.extend(fields);
            Value::Object(object)
        })
}

/// The bytes of `body`, with the raw number markers written as numbers; now and then
/// a whole body of another kind, cut short, or random bytes.
pub fn body_bytes(body: impl Strategy<Value = Value> + 'static) -> impl Strategy<Value = Vec<u8>> {
    let text = body
        .prop_map(|body| {
            let mut text = serde_json::to_string(&body).unwrap_or_default();
            for (index, raw) in RAW_NUMBERS.iter().enumerate() {
                text = text.replace(&format!("\"{}\"", raw_number_marker(index)), raw);
            }
            text
        })
        .boxed();
    prop_oneof![
        16 => text.clone().prop_map(String::into_bytes),
        1 => (text, any::<prop::sample::Index>()).prop_map(|(text, cut)| {
            let mut bytes = text.into_bytes();
            bytes.truncate(cut.index(bytes.len() + 1));
            bytes
        }),
        1 => value().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => Just(b"{\"attributes\": [{\"external_id\": \"\\ud800\"}]}".to_vec()),
    ]
}

/// Posts each of `bodies` to `path` with `key` on `fixture`'s API and checks the answer:
/// never a 5xx; a 2xx that `succeeded` accepts, or a 4xx in Braze's error shape.
pub fn post_random_bodies(
    runtime: &tokio::runtime::Runtime,
    state: AppState,
    path: &str,
    key: &str,
    bodies: impl Strategy<Value = Vec<u8>>,
    succeeded: impl Fn(StatusCode, &Value) -> bool,
) {
    let router = app(state);
    let mut runner = TestRunner::new(ProptestConfig::default());
    let outcome = runner.run(&bodies, |bytes| {
        let request = call(&router, "POST", path, key, bytes.clone());
        let (status, body) = runtime.block_on(request);
        let sent = String::from_utf8_lossy(&bytes);
        let body: Value = serde_json::from_slice(&body)
            .map_err(|e| TestCaseError::fail(format!("not JSON ({e}) for {sent}")))?;
        if status.is_success() {
            prop_assert!(succeeded(status, &body), "{status} {body} for {sent}");
        } else {
            prop_assert!(status.is_client_error(), "{status} {body} for {sent}");
            prop_assert!(is_braze_error(&body), "{status} {body} for {sent}");
        }
        Ok(())
    });
    if let Err(error) = outcome {
        panic!("{path}: {error}");
    }
}

/// Sends `body` to `uri` with `key` as a JSON request; the status and the raw answer.
pub async fn call(
    router: &axum::Router,
    method: &str,
    uri: &str,
    key: &str,
    body: Vec<u8>,
) -> (StatusCode, axum::body::Bytes) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("request");
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("the router is infallible");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, body)
}

/// `{"message": "…", "errors": [{"type": "…"}, …]}` with at least one error.
pub fn is_braze_error(body: &Value) -> bool {
    let errors = body["errors"].as_array().map_or(&[][..], Vec::as_slice);
    body["message"].is_string()
        && !errors.is_empty()
        && errors.iter().all(|error| error["type"].is_string())
}

/// A runtime of two workers for tests that drive the API from a plain `#[test]`.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The SQLite fixture always, and the PostgreSQL one when `LEADWIRE_TEST_DATABASE_URL`
/// is set, each with `config`.
pub async fn every_store(config: impl Fn() -> leadwire_server::ServerConfig) -> Vec<Fixture> {
    let mut fixtures = vec![super::fixture(config()).await];
    fixtures.extend(super::postgres_fixture(config()).await);
    fixtures
}
