//! Requests in flight per connection and per host: a slow server that counts its concurrent
//! requests never sees more than `delivery.max_in_flight_per_connection` from one
//! connection, nor more than `delivery.max_in_flight_per_host` from every template and
//! `connected_content` call that reaches it, yet does see several at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use leadwire_engine::delivery::DeliverySettings;

use crate::harness::{Harness, start};

/// How many requests are being answered now, and the most there ever were.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    most: AtomicUsize,
}

impl InFlight {
    /// Counts one request for as long as it is held (30 ms).
    async fn hold(&self) -> &'static str {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(30)).await;
        self.now.fetch_sub(1, Ordering::SeqCst);
        r#"{"value": 7}"#
    }
}

/// A server on port 0 that holds each POST to `/leads` and GET of `/lookup` for 30 ms;
/// returns its base URL.
async fn slow_server(counter: Arc<InFlight>) -> String {
    let posts = counter.clone();
    let app = Router::new()
        .route(
            "/leads",
            post(move || {
                let counter = posts.clone();
                async move { counter.hold().await }
            }),
        )
        .route(
            "/lookup",
            get(move || {
                let counter = counter.clone();
                async move { counter.hold().await }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let address = listener.local_addr().expect("bound");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_never_has_more_requests_in_flight_than_its_cap() {
    let counter = Arc::new(InFlight::default());
    let base = slow_server(counter.clone()).await;
    let template = format!(
        "[[webhook_templates]]\nname = \"Slow\"\nconnection = \"emulator\"\nurl = \"{base}/leads\"\nmethod = \"POST\"\nbody.json = {{ LastName = \"{{{{${{last_name}}}}}}\" }}\n"
    );
    let settings = DeliverySettings {
        max_in_flight_per_connection: 3,
        ..DeliverySettings::default()
    };
    let harness = start(&template, settings).await;
    harness.enqueue_sends(12, "Slow", false).await;
    deliver_within_cap(harness, 12, &counter, 3).await;
}

/// Delivers every send; all `sends` succeed, and the server saw at most `cap` requests at
/// once, yet more than one.
async fn deliver_within_cap(harness: Harness, sends: usize, counter: &InFlight, cap: usize) {
    harness.deliver_everything().await;
    assert_eq!(harness.successes().await, sends, "every send is delivered");
    let most = counter.most.load(Ordering::SeqCst);
    assert!(most <= cap, "{most} requests were in flight at once");
    assert!(most >= 2, "sends still overlap: at most {most} at once");
    harness.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_host_never_has_more_requests_in_flight_than_its_cap() {
    let counter = Arc::new(InFlight::default());
    let base = slow_server(counter.clone()).await;
    let connection = |name: &str| {
        format!(
            "[[salesforce_connections]]\nname = \"{name}\"\ninstance_url = \"{base}\"\nclient_id = \"{name}-client\"\n"
        )
    };
    let template = |name: &str, connection: Option<&str>, body: &str| {
        let connection =
            connection.map_or(String::new(), |name| format!("connection = \"{name}\"\n"));
        format!(
            "[[webhook_templates]]\nname = \"{name}\"\n{connection}url = \"{base}/leads\"\nmethod = \"POST\"\nbody.json = {{ {body} }}\n"
        )
    };
    let lookup = format!(
        "score = \"{{% connected_content {base}/lookup :no_cache :save s %}}{{{{s.value}}}}\""
    );
    let templates = [
        connection("org-a"),
        connection("org-b"),
        template("Org A", Some("org-a"), "LastName = \"A\""),
        template("Org B", Some("org-b"), "LastName = \"B\""),
        template("No Connection", None, "LastName = \"C\""),
        template("Looked Up", None, &lookup),
    ]
    .concat();
    let settings = DeliverySettings {
        max_in_flight_per_host: 3,
        ..DeliverySettings::default()
    };
    let harness = start(&templates, settings).await;
    for name in ["Org A", "Org B", "No Connection", "Looked Up"] {
        harness.enqueue_sends(6, name, false).await;
    }
    deliver_within_cap(harness, 24, &counter, 3).await;
}
