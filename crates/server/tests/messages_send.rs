//! `POST /messages/send` with the `webhook` messaging object over a real socket: the body
//! is rendered per user with Liquid, delivered by the delivery worker to a local receiver
//! and logged in the activity log; the documented 400s; other channels refused.

mod common;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use chrono::Utc;
use common::{Fixture, config, fixture, listen, save_user, with_journeys};
use leadwire_core::activity::{ActivityType, MessageSource};
use leadwire_core::permission::Permission;
use leadwire_engine::delivery::{DeliverySettings, DeliveryWorker, SystemClock, WorkerInputs};
use leadwire_engine::journeys::Journeys;
use leadwire_engine::metrics::Metrics;
use leadwire_server::ApiKeyConfig;
use leadwire_store::{ActivityQuery, Queue, Store};
use reqwest::StatusCode;
use serde_json::{Value, json};

const SEND_KEY: &str = "lw-messages-key-000000000000005";

/// An API campaign beside the API-triggered ones.
const JOURNEYS: &str = r#"
[[webhook_templates]]
name = "Hook"
url = "https://example.com/hook"
method = "POST"

[[campaigns]]
name = "Welcome"
template = "Hook"
delivery = "api_triggered"

[[campaigns]]
name = "Newsletter"
api_id = "newsletter"
template = "Hook"
delivery = "api"

[[content_blocks]]
name = "signature"
content = "from {{${first_name}}}'s team"
"#;

type Received = Arc<Mutex<Vec<(String, String)>>>;

/// A receiver on port 0 keeping each request's content type and body.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let app = Router::new()
        .route(
            "/hook",
            post(
                |State(seen): State<Received>, headers: HeaderMap, body: Bytes| async move {
                    let content_type = headers
                        .get("content-type")
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let body = String::from_utf8_lossy(&body).into_owned();
                    seen.lock().expect("lock").push((content_type, body));
                    "ok"
                },
            ),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/hook"), received)
}

/// The server with [`JOURNEYS`] and a key allowed to send messages, on port 0: the
/// fixture, its store, its journeys and its base URL.
async fn serve() -> (Fixture, Arc<dyn Store>, Arc<Journeys>, String) {
    let mut server_config = config();
    server_config.api_keys.push(ApiKeyConfig {
        name: "messages".into(),
        key: SEND_KEY.into(),
        permissions: vec![Permission::MessagesSend],
    });
    let fixture = fixture(server_config).await;
    let state = with_journeys(&fixture.state, JOURNEYS);
    let store = state.store.clone();
    let journeys = state.journeys.clone().expect("journeys");
    let base = format!("http://{}", listen(state).await);
    (fixture, store, journeys, base)
}

/// A delivery worker allowed to reach the local receiver.
fn delivery_worker(store: &Arc<dyn Store>, journeys: &Journeys) -> DeliveryWorker {
    DeliveryWorker::new(WorkerInputs {
        store: store.clone(),
        config: Arc::new(journeys.config().clone()),
        settings: DeliverySettings {
            allowed_hosts: vec!["127.0.0.1".into()],
            ..DeliverySettings::default()
        },
        metrics: Arc::new(Metrics::new()),
        clock: Arc::new(SystemClock),
        env: Box::new(|_| None),
    })
    .expect("the delivery worker builds")
}

#[tokio::test]
async fn a_webhook_message_is_rendered_per_user_delivered_and_logged() {
    let (fixture, store, journeys, base) = serve().await;
    let client = reqwest::Client::new();
    let post = |body: Value| {
        let request = client
            .post(format!("{base}/messages/send"))
            .bearer_auth(SEND_KEY)
            .json(&body);
        async move {
            let response = request.send().await.expect("request");
            let status = response.status();
            (status, response.json::<Value>().await.expect("JSON"))
        }
    };
    save_user(&store, "ada", json!({"first_name": "Ada"})).await;
    save_user(&store, "grace", json!({"first_name": "Grace"})).await;
    let (url, received) = receiver().await;

    let webhook = json!({"url": url, "request_method": "POST",
                         "body": {"greeting": "Hello {{${first_name}}}"}});
    let (status, body) = post(json!({
        "external_user_ids": ["ada", "grace", "nobody"],
        "messages": {"webhook": webhook.clone()}
    }))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["message"], "success");
    assert!(
        body["dispatch_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    assert_eq!(store.pending_jobs(Queue::Sends).await.expect("pending"), 2);

    let worker = delivery_worker(&store, &journeys);
    worker.drain().await.expect("delivered");
    let mut bodies: Vec<(String, String)> = received.lock().expect("lock").clone();
    bodies.sort();
    assert_eq!(
        bodies,
        [
            (
                "application/json".to_owned(),
                r#"{"greeting":"Hello Ada"}"#.to_owned()
            ),
            (
                "application/json".to_owned(),
                r#"{"greeting":"Hello Grace"}"#.to_owned()
            ),
        ]
    );
    let logged = store
        .activity(&ActivityQuery::default())
        .await
        .expect("activity");
    assert_eq!(logged.entries.len(), 2);
    for entry in &logged.entries {
        assert_eq!(entry.activity_type, ActivityType::Success);
        assert_eq!(entry.source, MessageSource::Api);
        assert_eq!(entry.template, "messages/send");
    }

    // An API campaign: its variant is its template; the sends count under it.
    let mut with_variant = webhook.clone();
    with_variant["message_variation_id"] = json!("Hook");
    let (status, body) = post(
        json!({"campaign_id": "newsletter", "external_user_ids": ["ada"],
                                     "messages": {"webhook": with_variant}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    worker.drain().await.expect("delivered");
    let logged = store
        .activity(&ActivityQuery::default())
        .await
        .expect("activity");
    assert_eq!(
        logged.entries[0].source,
        MessageSource::Campaign {
            campaign: "Newsletter".into()
        }
    );

    let refused: [(Value, &str); 8] = [
        (
            json!({"campaign_id": "Welcome", "external_user_ids": ["ada"], "messages": {"webhook": webhook}}),
            "Invalid Campaign ID",
        ),
        (
            json!({"campaign_id": "newsletter", "external_user_ids": ["ada"], "messages": {"webhook": webhook}}),
            "Message Variant Unspecified",
        ),
        (
            json!({"campaign_id": "newsletter", "external_user_ids": ["ada"],
                "messages": {"webhook": {"url": url, "request_method": "POST", "message_variation_id": "other"}}}),
            "Invalid Message Variant",
        ),
        (json!({"messages": {"webhook": webhook}}), "No Recipients"),
        (json!({"external_user_ids": ["ada"]}), "No message to send"),
        (
            json!({"external_user_ids": ["ada"], "messages": {"email": {"subject": "hi"}}}),
            "Bad Request",
        ),
        (
            json!({"segment_id": "s", "messages": {"webhook": webhook}}),
            "Bad Request",
        ),
        (
            json!({"external_user_ids": ["ada"], "messages": {"webhook": {"url": url, "request_method": "POST", "body": [1]}}}),
            "Bad Request",
        ),
    ];
    for (body, message) in refused {
        let (status, answer) = post(body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer["message"], message, "{body}: {answer}");
    }
    let (_, answer) = post(json!({"external_user_ids": ["ada"], "messages": {"sms": {}}})).await;
    assert!(answer.to_string().contains("webhooks only"), "{answer}");
    let many: Vec<String> = (0..51).map(|n| format!("user-{n}")).collect();
    let (status, answer) =
        post(json!({"external_user_ids": many, "messages": {"webhook": webhook}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer["message"],
        "The max number of external_ids and aliases per request was exceeded"
    );

    // A broadcast goes to every profile through the broadcast worker.
    let (status, body) = post(json!({"broadcast": true, "messages": {"webhook": webhook}})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let jobs = store
        .claim(
            Queue::Broadcasts,
            Utc::now(),
            std::time::Duration::from_secs(60),
            10,
        )
        .await
        .expect("claim");
    assert_eq!(jobs.len(), 1);
    journeys.handle(&jobs[0], Utc::now()).await.expect("page");
    assert_eq!(store.pending_jobs(Queue::Sends).await.expect("pending"), 2);
    fixture.finish().await;
}

#[tokio::test]
async fn a_webhook_message_includes_content_blocks() {
    let (fixture, store, journeys, base) = serve().await;
    save_user(&store, "ada", json!({"first_name": "Ada"})).await;
    let (url, received) = receiver().await;
    let send = |body: &str| {
        let webhook = json!({"url": url, "request_method": "POST", "body": body});
        reqwest::Client::new()
            .post(format!("{base}/messages/send"))
            .bearer_auth(SEND_KEY)
            .json(&json!({"external_user_ids": ["ada"], "messages": {"webhook": webhook}}))
            .send()
    };
    let response = send("Hello {{content_blocks.${signature}}}")
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = send("Hello {{content_blocks.${missing}}}")
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::CREATED);

    let worker = delivery_worker(&store, &journeys);
    worker.drain().await.expect("delivered");
    let bodies: Vec<String> = received
        .lock()
        .expect("lock")
        .iter()
        .map(|(_, body)| body.clone())
        .collect();
    assert_eq!(bodies, ["Hello from Ada's team"]);
    let logged = store
        .activity(&ActivityQuery::default())
        .await
        .expect("activity");
    let failed: Vec<_> = logged
        .entries
        .iter()
        .filter(|entry| entry.activity_type != ActivityType::Success)
        .collect();
    assert_eq!(failed.len(), 1, "{:?}", logged.entries);
    assert!(
        failed[0].message.contains("Content Block `missing`"),
        "{:?}",
        failed[0]
    );
    fixture.finish().await;
}
