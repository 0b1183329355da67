//! Requests in flight per connection: a slow server that counts its concurrent requests
//! never sees more than `delivery.max_in_flight_per_connection` from one connection, yet
//! does see several at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use leadwire_core::activity::ActivityType;
use leadwire_engine::delivery::DeliverySettings;

use crate::harness::start;

/// How many requests are being answered now, and the most there ever were.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    most: AtomicUsize,
}

/// A server on port 0 that holds each POST for 30 ms; returns its base URL.
async fn slow_server(counter: Arc<InFlight>) -> String {
    let app = Router::new().route(
        "/leads",
        post(move || {
            let counter = counter.clone();
            async move {
                let now = counter.now.fetch_add(1, Ordering::SeqCst) + 1;
                counter.most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(30)).await;
                counter.now.fetch_sub(1, Ordering::SeqCst);
                "{}"
            }
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
        "[[webhook_templates]]\nname = \"Slow\"\nurl = \"{base}/leads\"\nmethod = \"POST\"\nbody.json = {{ LastName = \"{{{{${{last_name}}}}}}\" }}\n"
    );
    let settings = DeliverySettings {
        max_in_flight_per_connection: 3,
        ..DeliverySettings::default()
    };
    let harness = start(&template, settings).await;
    harness.enqueue_sends(12, "Slow", false).await;
    harness.deliver_everything().await;
    let delivered = harness
        .activity()
        .await
        .iter()
        .filter(|entry| entry.activity_type == ActivityType::Success)
        .count();
    assert_eq!(delivered, 12, "every send is delivered");
    let most = counter.most.load(Ordering::SeqCst);
    assert!(most <= 3, "{most} requests were in flight at once");
    assert!(most >= 2, "sends still overlap: at most {most} at once");
    harness.finish().await;
}
