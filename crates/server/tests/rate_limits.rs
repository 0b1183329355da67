//! The rate limits over real sockets: one budget per API key, one budget of failed
//! authentications per client address (clients bound to different loopback addresses), and
//! Braze's `X-RateLimit-*` headers, consistent on 2xx, 401, 403 and 429; and the budget of
//! sends to a segment or an audience, per key and endpoint.

mod common;

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use common::{
    API_TRIGGERED_JOURNEYS, FULL_KEY, Running, TRACK_KEY, TRIGGER_KEY, config, fixture, listen,
    serve, trigger_config, with_journeys,
};
use leadwire_server::rate_limit::{LimiterClock, RateLimits};
use leadwire_server::{ServerConfig, app};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tower::ServiceExt;

const WRONG_KEY: &str = "lw-not-a-configured-key-00000000";

/// The test config with a budget of `failures` missing or unknown keys per address and hour.
fn failures_allowed(failures: u32) -> ServerConfig {
    ServerConfig {
        failed_auth_per_ip: failures,
        failed_auth_window_seconds: 3600,
        ..config()
    }
}

/// `X-RateLimit-Limit`, `-Remaining` and `-Reset` of an answer.
#[derive(Debug)]
struct RateHeaders {
    limit: u64,
    remaining: u64,
    reset: u64,
}

impl RateHeaders {
    fn of(headers: &HeaderMap) -> Self {
        let number = |name: &str| -> u64 {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.parse().ok())
                .unwrap_or_else(|| panic!("no numeric {name} in {headers:?}"))
        };
        Self {
            limit: number("x-ratelimit-limit"),
            remaining: number("x-ratelimit-remaining"),
            reset: number("x-ratelimit-reset"),
        }
    }

    /// The reset lies between now and one window (plus rounding) from now.
    fn assert_resets_within(&self, window_seconds: u64) {
        let now = u64::try_from(chrono::Utc::now().timestamp()).expect("after 1970");
        assert!(
            (now..=now + window_seconds + 1).contains(&self.reset),
            "reset {} not within {window_seconds} s of {now}",
            self.reset
        );
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

/// A client whose connections come from `source`, a loopback address.
fn client_from(source: &str) -> reqwest::Client {
    let source: IpAddr = source.parse().expect("an address");
    reqwest::Client::builder()
        .local_address(source)
        .build()
        .expect("a client")
}

async fn track(api: &Running, client: &reqwest::Client, key: &str) -> Answer {
    let response = client
        .post(format!("{}/users/track", api.base))
        .bearer_auth(key)
        .json(&json!({"attributes": [{"external_id": "u", "x": 1}]}))
        .send()
        .await
        .expect("request");
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.json().await.expect("a JSON body"),
    }
}

fn assert_rate_limited(answer: &Answer, setting: &str) {
    assert_eq!(
        answer.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        answer.body
    );
    assert_eq!(answer.body["message"], "Rate Limited");
    let kind = answer.body["errors"][0]["type"]
        .as_str()
        .unwrap_or_default();
    assert!(kind.contains(setting), "{kind}");
    let retry_after: u64 = answer.headers["retry-after"]
        .to_str()
        .ok()
        .and_then(|value| value.parse().ok())
        .expect("a Retry-After in seconds");
    assert!(retry_after >= 1);
    assert_eq!(RateHeaders::of(&answer.headers).remaining, 0);
}

#[tokio::test]
async fn each_key_has_its_own_budget() {
    let api = serve(ServerConfig {
        rate_limit_requests: 2,
        rate_limit_window_seconds: 3600,
        ..config()
    })
    .await;
    let mut seen = Vec::new();
    for expected in [StatusCode::CREATED, StatusCode::CREATED] {
        let answer = track(&api, &api.client, TRACK_KEY).await;
        assert_eq!(answer.status, expected, "{}", answer.body);
        seen.push(RateHeaders::of(&answer.headers));
    }
    let refused = track(&api, &api.client, TRACK_KEY).await;
    assert_rate_limited(&refused, "server.rate_limit_requests");
    seen.push(RateHeaders::of(&refused.headers));
    let remaining: Vec<u64> = seen.iter().map(|headers| headers.remaining).collect();
    assert_eq!(remaining, [1, 0, 0]);
    for headers in &seen {
        assert_eq!(headers.limit, 2);
        headers.assert_resets_within(3600);
    }

    let other = track(&api, &api.client, FULL_KEY).await;
    assert_eq!(
        other.status,
        StatusCode::CREATED,
        "another key is unaffected"
    );
    assert_eq!(RateHeaders::of(&other.headers).remaining, 1);
    api.fixture.finish().await;
}

#[tokio::test]
async fn unknown_keys_never_use_a_keys_budget() {
    let api = serve(ServerConfig {
        rate_limit_requests: 2,
        rate_limit_window_seconds: 3600,
        ..config()
    })
    .await;
    for _ in 0..5 {
        let answer = track(&api, &api.client, WRONG_KEY).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        let headers = RateHeaders::of(&answer.headers);
        assert_eq!(headers.limit, 20, "the address's failure budget");
        headers.assert_resets_within(60);
    }
    let answer = track(&api, &api.client, TRACK_KEY).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let headers = RateHeaders::of(&answer.headers);
    assert_eq!((headers.limit, headers.remaining), (2, 1));
    api.fixture.finish().await;
}

#[tokio::test]
async fn a_flood_of_bad_keys_blocks_that_address_and_no_other() {
    let api = serve(failures_allowed(3)).await;
    let attacker = client_from("127.0.0.2");
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let answer = track(&api, &attacker, WRONG_KEY).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        let headers = RateHeaders::of(&answer.headers);
        assert_eq!(headers.limit, 3);
        headers.assert_resets_within(3600);
        remaining.push(headers.remaining);
    }
    assert_eq!(remaining, [2, 1, 0]);
    let refused = track(&api, &attacker, WRONG_KEY).await;
    assert_rate_limited(&refused, "server.failed_auth_per_ip");
    RateHeaders::of(&refused.headers).assert_resets_within(3600);

    // Blocked before the key is looked at: a right guess is refused like a wrong one.
    let valid = track(&api, &attacker, TRACK_KEY).await;
    assert_rate_limited(&valid, "server.failed_auth_per_ip");
    let probe = attacker
        .get(format!("{}/healthz", api.base))
        .send()
        .await
        .expect("probe");
    assert_eq!(probe.status(), StatusCode::OK, "probes stay open");

    let neighbour = client_from("127.0.0.1");
    let answer = track(&api, &neighbour, TRACK_KEY).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(RateHeaders::of(&answer.headers).limit, 3000);
    let answer = track(&api, &neighbour, WRONG_KEY).await;
    assert_eq!(
        answer.status,
        StatusCode::UNAUTHORIZED,
        "its own failure budget"
    );
    api.fixture.finish().await;
}

#[tokio::test]
async fn a_missing_permission_counts_against_the_key_not_the_address() {
    let api = serve(failures_allowed(1)).await;
    for _ in 0..3 {
        let response = api
            .client
            .post(format!("{}/users/delete", api.base))
            .bearer_auth(TRACK_KEY)
            .json(&json!({"external_ids": ["x"]}))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(RateHeaders::of(response.headers()).limit, 3000);
    }
    let answer = track(&api, &api.client, WRONG_KEY).await;
    assert_eq!(
        answer.status,
        StatusCode::UNAUTHORIZED,
        "no failure counted yet"
    );
    api.fixture.finish().await;
}

#[tokio::test]
async fn without_connect_info_every_request_is_one_unknown_client() {
    let fixture = fixture(failures_allowed(1)).await;
    let router = app(fixture.state.clone());
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let request = Request::post("/users/track")
            .header("authorization", format!("Bearer {WRONG_KEY}"))
            .body(Body::empty())
            .expect("request");
        let response = router.clone().oneshot(request).await.expect("infallible");
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [401, 429]);
    fixture.finish().await;
}

/// Posts `body` to `path` of `base` with the trigger key.
async fn trigger(base: &str, path: &str, body: Value) -> Answer {
    let response = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(TRIGGER_KEY)
        .json(&body)
        .send()
        .await
        .expect("request");
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.json().await.expect("a JSON body"),
    }
}

#[tokio::test]
async fn the_251st_audience_send_in_a_minute_is_refused_and_named_recipients_still_pass() {
    let config = trigger_config();
    let fixture = fixture(config.clone()).await;
    let mut state = with_journeys(&fixture.state, API_TRIGGERED_JOURNEYS);
    // Time stands still for this budget: every request below falls in one minute.
    state.rate_limits = Arc::new(RateLimits::with_audience_clock(
        &config,
        LimiterClock::frozen(),
    ));
    let base = format!("http://{}", listen(state).await);
    let audience = json!({"canvas_id": "onboarding", "audience": {"custom_attribute":
        {"custom_attribute_name": "score", "comparison": "greater_than", "value": 50}}});
    for sent in 1..=250 {
        let answer = trigger(&base, "/canvas/trigger/send", audience.clone()).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        let headers = RateHeaders::of(&answer.headers);
        assert_eq!((headers.limit, headers.remaining), (250, 250 - sent));
        headers.assert_resets_within(60);
    }

    let refused = trigger(&base, "/canvas/trigger/send", audience.clone()).await;
    assert_rate_limited(&refused, "server.audience_send_requests_per_minute");
    let headers = RateHeaders::of(&refused.headers);
    assert_eq!(headers.limit, 250);
    headers.assert_resets_within(60);

    let named = json!({"canvas_id": "onboarding",
        "recipients": [{"external_user_id": "ada"}]});
    let answer = trigger(&base, "/canvas/trigger/send", named).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(
        RateHeaders::of(&answer.headers).limit,
        u64::from(config.rate_limit_requests),
        "a send to named recipients counts against the key's budget over all endpoints"
    );
    let campaign = json!({"campaign_id": "Welcome", "audience": audience["audience"]});
    let answer = trigger(&base, "/campaigns/trigger/send", campaign).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(
        RateHeaders::of(&answer.headers).remaining,
        249,
        "each endpoint has its own budget"
    );
    fixture.finish().await;
}
