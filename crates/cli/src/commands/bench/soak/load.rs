//! The soak's traffic: a steady stream of `/users/track` requests mixing new leads,
//! attribute updates of earlier users and their events. Like a careful client, it sends
//! each request again until the node answers 201, so a request the node never
//! acknowledged (it was down, or killed mid-request) is not lost to the count.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

/// New users, updates and events in one request.
const NEW_USERS: u64 = 10;
const UPDATES: u64 = 40;
const EVENTS: u64 = 10;

/// The REST API key the soak's node is configured with.
pub const KEY: &str = "lw-soak-key-0123456789abcdef";

/// What the load has done so far; shared with the bench's timeline.
#[derive(Debug, Default)]
pub struct LoadCounters {
    /// Users whose email the node acknowledged: the leads Salesforce must end up with.
    pub users: AtomicU64,
    pub accepted: AtomicU64,
    /// Answers other than 201, and requests with no answer, each sent again.
    pub retried: AtomicU64,
}

/// Sends `rate` requests per second to `base_url` until `stop`.
pub async fn run(
    base_url: String,
    rate: u32,
    counters: Arc<LoadCounters>,
    stop: CancellationToken,
) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default();
    let url = format!("{base_url}/users/track");
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate.max(1))));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut serial = 0_u64;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let first = counters.users.load(Ordering::SeqCst);
        let body = request(first, &mut serial);
        while !send(&http, &url, &body).await {
            counters.retried.fetch_add(1, Ordering::Relaxed);
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_millis(250)) => {}
            }
        }
        counters.accepted.fetch_add(1, Ordering::Relaxed);
        counters.users.fetch_add(NEW_USERS, Ordering::SeqCst);
    }
}

async fn send(http: &reqwest::Client, url: &str, body: &Value) -> bool {
    match http.post(url).bearer_auth(KEY).json(body).send().await {
        Ok(response) => response.status() == reqwest::StatusCode::CREATED,
        Err(_) => false,
    }
}

/// The email a new user `n` gets; the lead Salesforce must hold once.
pub fn email(n: u64) -> String {
    format!("soak{n}@example.com")
}

/// New users `first..first + NEW_USERS`, updates and events for earlier ones.
fn request(first: u64, serial: &mut u64) -> Value {
    let mut attributes: Vec<Value> = (first..first + NEW_USERS)
        .map(|n| {
            json!({
                "external_id": format!("soak-{n}"),
                "email": email(n),
                "first_name": "Soak",
                "last_name": format!("Lead {n}"),
                "company": "Steady Load Inc",
            })
        })
        .collect();
    let mut events = Vec::new();
    if first > 0 {
        for _ in 0..UPDATES {
            let n = next(serial) % first;
            attributes.push(json!({
                "external_id": format!("soak-{n}"),
                "lead_score": {"inc": 1},
                "last_page": format!("/pricing/{}", *serial % 40),
            }));
        }
        for _ in 0..EVENTS {
            let n = next(serial) % first;
            events.push(json!({
                "external_id": format!("soak-{n}"),
                "name": "page_view",
                "time": chrono::Utc::now().to_rfc3339(),
                "properties": {"path": format!("/docs/{}", *serial % 90)},
            }));
        }
    }
    json!({ "attributes": attributes, "events": events })
}

/// A step of a linear congruential generator: repeatable, and enough to spread updates.
fn next(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *state >> 33
}
