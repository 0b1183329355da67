//! Braze's send tracking over a real socket: `POST /sends/id/create` (API campaigns only,
//! a daily limit of new send ids with Braze's 429), `send_id` carried from
//! `/messages/send` and `/campaigns/trigger/send` to each send and its activity entries
//! (a campaign broadcast gets one made up), and `GET /sends/data_series` counting them per
//! day from the activity log.

mod common;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode as AxumStatus;
use axum::routing::post;
use chrono::{TimeDelta, TimeZone, Utc};
use common::{Fixture, config, fixture, listen, save_user, with_journeys};
use leadwire_core::activity::{ActivityEntry, ActivityType, MessageSource};
use leadwire_core::permission::Permission;
use leadwire_core::send_id::DAILY_LIMIT;
use leadwire_engine::delivery::{
    Clock, DeliverySettings, DeliveryWorker, ManualClock, SystemClock, WorkerInputs,
};
use leadwire_engine::journeys::Journeys;
use leadwire_engine::metrics::Metrics;
use leadwire_server::ApiKeyConfig;
use leadwire_store::{Queue, Store};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const SENDS_KEY: &str = "lw-sends-key-000000000000000007";
const NO_SENDS_KEY: &str = "lw-no-sends-key-00000000000008";

const JOURNEYS: &str = r#"
[[webhook_templates]]
name = "Hook"
url = "https://example.com/hook"
method = "POST"

[[campaigns]]
name = "Welcome"
api_id = "welcome"
template = "Hook"
delivery = "api_triggered"

[[campaigns]]
name = "Newsletter"
api_id = "newsletter"
template = "Hook"
delivery = "api"
"#;

struct Api {
    fixture: Fixture,
    store: Arc<dyn Store>,
    journeys: Arc<Journeys>,
    base: String,
    client: reqwest::Client,
}

impl Api {
    async fn post(&self, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.json().await.expect("JSON"))
    }

    async fn get(&self, key: &str, path_and_query: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(format!("{}{path_and_query}", self.base))
            .bearer_auth(key)
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.json().await.expect("JSON"))
    }

    /// `/sends/data_series` of `send_id` for the last `length` days.
    async fn series(&self, send_id: &str, length: u32) -> Vec<Value> {
        let (status, body) = self
            .get(
                SENDS_KEY,
                &format!(
                    "/sends/data_series?campaign_id=newsletter&send_id={send_id}&length={length}"
                ),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["message"], "success");
        body["data"].as_array().expect("data").clone()
    }

    /// Delivers every send waiting.
    async fn deliver(&self) {
        self.delivery_worker().drain().await.expect("delivered");
    }

    /// A delivery worker with the default settings (but for the local receiver).
    fn delivery_worker(&self) -> DeliveryWorker {
        DeliveryWorker::new(WorkerInputs {
            store: self.store.clone(),
            config: Arc::new(self.journeys.config().clone()),
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

    /// Runs the broadcast pages waiting.
    async fn run_broadcasts(&self) {
        loop {
            let jobs = self
                .store
                .claim(
                    Queue::Broadcasts,
                    Utc::now(),
                    std::time::Duration::from_secs(60),
                    10,
                )
                .await
                .expect("claim");
            if jobs.is_empty() {
                return;
            }
            for job in &jobs {
                self.journeys.handle(job, Utc::now()).await.expect("page");
            }
        }
    }
}

async fn serve() -> Api {
    serve_at(Arc::new(SystemClock)).await
}

/// [`serve`], with `POST /sends/id/create` reading the time from `clock`.
async fn serve_at(clock: Arc<dyn Clock>) -> Api {
    let mut server_config = config();
    server_config.api_keys.push(ApiKeyConfig {
        name: "sends".into(),
        key: SENDS_KEY.into(),
        permissions: vec![
            Permission::SendsIdCreate,
            Permission::SendsDataSeries,
            Permission::MessagesSend,
            Permission::CampaignsTriggerSend,
            Permission::ActivityRead,
        ],
    });
    server_config.api_keys.push(ApiKeyConfig {
        name: "no-sends".into(),
        key: NO_SENDS_KEY.into(),
        permissions: vec![Permission::MessagesSend],
    });
    let fixture = fixture(server_config).await;
    let state = with_journeys(&fixture.state, JOURNEYS).with_clock(clock);
    let store = state.store.clone();
    let journeys = state.journeys.clone().expect("journeys");
    let base = format!("http://{}", listen(state).await);
    Api {
        fixture,
        store,
        journeys,
        base,
        client: reqwest::Client::new(),
    }
}

/// A receiver on port 0: `/ok` answers 200, `/fail` 400. Its base URL.
async fn receiver() -> String {
    let app = Router::new().route("/ok", post(|| async { "ok" })).route(
        "/fail",
        post(|| async { (AxumStatus::BAD_REQUEST, "Required fields are missing") }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

fn header(response: &reqwest::Response, name: &str) -> Option<u64> {
    response.headers().get(name)?.to_str().ok()?.parse().ok()
}

#[tokio::test]
async fn send_ids_are_created_for_api_campaigns_up_to_a_daily_limit() {
    // A fixed time: every registration below falls on the same UTC day however long the
    // test takes, and the budget's reset is known to the second.
    let noon = Utc
        .with_ymd_and_hms(2026, 12, 3, 12, 0, 0)
        .single()
        .expect("a valid time");
    let api = serve_at(Arc::new(ManualClock::new(noon))).await;
    let create = |body: Value| {
        api.client
            .post(format!("{}/sends/id/create", api.base))
            .bearer_auth(SENDS_KEY)
            .json(&body)
            .send()
    };
    let response = create(json!({"campaign_id": "newsletter", "send_id": "spring"}))
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "x-ratelimit-limit"), Some(100));
    assert_eq!(header(&response, "x-ratelimit-remaining"), Some(99));
    let next_midnight = noon + TimeDelta::hours(12);
    assert_eq!(
        header(&response, "x-ratelimit-reset"),
        u64::try_from(next_midnight.timestamp()).ok()
    );
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body, json!({"message": "success", "send_id": "spring"}));

    let again = create(json!({"campaign_id": "newsletter", "send_id": "spring"}))
        .await
        .expect("request");
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(
        header(&again, "x-ratelimit-remaining"),
        Some(99),
        "a pair registered again is free"
    );
    let made = create(json!({"campaign_id": "newsletter"}))
        .await
        .expect("request");
    assert_eq!(header(&made, "x-ratelimit-remaining"), Some(98));
    let made: Value = made.json().await.expect("JSON");
    let made_id = made["send_id"].as_str().expect("a send id is made up");
    assert!(
        made_id.len() == 32 && made_id.chars().all(|c| c.is_ascii_hexdigit()),
        "{made}"
    );

    let refused = [
        (json!({"send_id": "x"}), "Bad Request"),
        (json!({"campaign_id": 7}), "Bad Request"),
        (json!({"campaign_id": "welcome"}), "Invalid Campaign ID"),
        (json!({"campaign_id": "nope"}), "Invalid Campaign ID"),
        (
            json!({"campaign_id": "newsletter", "send_id": "caf\u{e9}"}),
            "Bad Request",
        ),
        (
            json!({"campaign_id": "newsletter", "send_id": "x".repeat(65)}),
            "Bad Request",
        ),
        (
            json!({"campaign_id": "newsletter", "send_id": 12}),
            "Bad Request",
        ),
    ];
    for (body, message) in refused {
        let response = create(body.clone()).await.expect("request");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let answer: Value = response.json().await.expect("JSON");
        assert_eq!(answer["message"], message, "{body}: {answer}");
    }
    let (status, _) = api
        .post(
            NO_SENDS_KEY,
            "/sends/id/create",
            json!({"campaign_id": "newsletter"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    for n in 2..DAILY_LIMIT {
        let response = create(json!({"campaign_id": "newsletter", "send_id": format!("s{n}")}))
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK, "send id {n}");
    }
    let over = create(json!({"campaign_id": "newsletter", "send_id": "one-too-many"}))
        .await
        .expect("request");
    assert_eq!(over.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&over, "x-ratelimit-remaining"), Some(0));
    assert_eq!(
        header(&over, "x-ratelimit-reset"),
        u64::try_from(next_midnight.timestamp()).ok()
    );
    assert_eq!(
        header(&over, "retry-after"),
        Some(12 * 3600),
        "the budget is back at the next UTC midnight"
    );
    let answer: Value = over.json().await.expect("JSON");
    assert_eq!(answer["message"], "Rate Limited", "{answer}");
    let reused = create(json!({"campaign_id": "newsletter", "send_id": "spring"}))
        .await
        .expect("request");
    assert_eq!(
        reused.status(),
        StatusCode::OK,
        "a registered pair is still answered past the limit"
    );
    assert_eq!(header(&reused, "x-ratelimit-remaining"), Some(0));
    api.fixture.finish().await;
}

/// Today's entry of a data series (its last).
fn today(series: &[Value]) -> &Value {
    series.last().expect("a day")
}

#[tokio::test]
async fn tracked_sends_are_counted_per_day() {
    let api = serve().await;
    for user in ["ada", "grace", "bob"] {
        save_user(&api.store, user, json!({})).await;
    }
    let hooks = receiver().await;
    let message = |users: Value, path: &str, send_id: Option<&str>| {
        let mut body = json!({
            "campaign_id": "newsletter",
            "external_user_ids": users,
            "messages": {"webhook": {"url": format!("{hooks}{path}"), "request_method": "POST",
                                      "message_variation_id": "Hook"}},
        });
        if let Some(send_id) = send_id {
            body["send_id"] = json!(send_id);
        }
        body
    };
    for body in [
        message(json!(["ada", "grace"]), "/ok", Some("spring")),
        message(json!(["bob"]), "/fail", Some("spring")),
        message(json!(["ada"]), "/ok", None),
    ] {
        let (status, answer) = api.post(SENDS_KEY, "/messages/send", body).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        assert!(
            answer.get("send_id").is_none(),
            "only a broadcast's answer names its send id: {answer}"
        );
    }
    api.deliver().await;

    let series = api.series("spring", 3).await;
    assert_eq!(series.len(), 3);
    let day = today(&series);
    assert_eq!(day["time"], Utc::now().date_naive().to_string());
    assert_eq!(
        day["messages"]["webhook"],
        json!([{"variation_api_id": "newsletter-webhook", "sent": 3, "errors": 1}]),
        "{day}"
    );
    assert_eq!(day["unique_recipients"], 3);
    assert_eq!(day["conversions"], 0);
    assert_eq!(day["revenue"], 0.0);
    for earlier in &series[..2] {
        assert_eq!(earlier["messages"]["webhook"][0]["sent"], 0, "{earlier}");
        assert_eq!(earlier["unique_recipients"], 0);
    }

    let (status, activity) = api.get(SENDS_KEY, "/activity?campaign=Newsletter").await;
    assert_eq!(status, StatusCode::OK, "{activity}");
    let tracked: Vec<&Value> = activity["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|entry| entry["tracking_send_id"] == "spring")
        .collect();
    assert_eq!(tracked.len(), 3, "{activity}");

    // A broadcast of the campaign without a send id gets one, named in the answer.
    let mut broadcast = message(json!(null), "/ok", None);
    broadcast["broadcast"] = json!(true);
    broadcast
        .as_object_mut()
        .expect("object")
        .remove("external_user_ids");
    let (status, answer) = api.post(SENDS_KEY, "/messages/send", broadcast).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let made = answer["send_id"].as_str().expect("a send id").to_owned();
    assert!(answer["dispatch_id"].is_string());
    api.run_broadcasts().await;
    api.deliver().await;
    let day = today(&api.series(&made, 1).await).clone();
    assert_eq!(day["messages"]["webhook"][0]["sent"], 3, "{day}");
    assert_eq!(day["unique_recipients"], 3);
    let day = today(&api.series("spring", 1).await).clone();
    assert_eq!(
        day["messages"]["webhook"][0]["sent"], 3,
        "the broadcast is not counted under another send id"
    );

    let refused = [
        (
            "/sends/data_series?campaign_id=newsletter&length=3",
            "Bad Request",
        ),
        (
            "/sends/data_series?campaign_id=welcome&send_id=spring&length=3",
            "Invalid Campaign ID",
        ),
        (
            "/sends/data_series?campaign_id=newsletter&send_id=spring&length=101",
            "Bad Request",
        ),
        (
            "/sends/data_series?campaign_id=newsletter&send_id=spring",
            "Bad Request",
        ),
    ];
    for (path, message) in refused {
        let (status, answer) = api.get(SENDS_KEY, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(answer["message"], message, "{path}: {answer}");
    }
    let (status, _) = api
        .get(
            NO_SENDS_KEY,
            "/sends/data_series?campaign_id=newsletter&send_id=spring&length=3",
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    api.fixture.finish().await;
}

fn old_entry(days_ago: i64, send_id: &str) -> ActivityEntry {
    ActivityEntry {
        tracking_send_id: Some(send_id.into()),
        ..untracked_entry(days_ago)
    }
}

fn untracked_entry(days_ago: i64) -> ActivityEntry {
    ActivityEntry {
        id: Uuid::now_v7(),
        time: Utc::now() - TimeDelta::days(days_ago),
        activity_type: ActivityType::Success,
        source: MessageSource::Campaign {
            campaign: "Newsletter".into(),
        },
        user_id: Uuid::now_v7(),
        external_id: None,
        template: "Hook".into(),
        message: String::new(),
        attempt: 1,
        status: Some(200),
        duration_ms: 1,
        request: None,
        response: None,
        send_id: Uuid::now_v7(),
        tracking_send_id: None,
        trigger_properties: None,
    }
}

#[tokio::test]
async fn send_analytics_are_kept_for_14_days() {
    let api = serve().await;
    let mut tx = api.store.begin().await.expect("begin");
    tx.record_activity(&[old_entry(13, "kept"), old_entry(15, "gone")])
        .await
        .expect("record");
    tx.commit().await.expect("commit");
    assert_eq!(sent(&api.series("kept", 20).await), 1);
    assert_eq!(
        sent(&api.series("gone", 20).await),
        0,
        "a send 15 days old has no analytics left"
    );
    api.fixture.finish().await;
}

/// The `sent` of a data series, over all its days.
fn sent(series: &[Value]) -> u64 {
    series
        .iter()
        .map(|day| {
            day["messages"]["webhook"][0]["sent"]
                .as_u64()
                .expect("sent")
        })
        .sum()
}

#[tokio::test]
async fn pruning_keeps_tracked_sends_for_their_14_days() {
    let api = serve().await;
    let tracked = old_entry(10, "autumn");
    let untracked = untracked_entry(10);
    let mut tx = api.store.begin().await.expect("begin");
    tx.record_activity(&[tracked.clone(), untracked.clone()])
        .await
        .expect("record");
    tx.commit().await.expect("commit");
    let worker = api.delivery_worker();
    assert_eq!(
        DeliverySettings::default().activity_retention.seconds(),
        7 * 86_400
    );
    assert_eq!(worker.prune_activity().await.expect("prune"), 1);
    assert_eq!(
        api.store.activity_entry(untracked.id).await.expect("get"),
        None,
        "an untracked entry goes after the 7 days of activity_retention"
    );
    assert!(
        api.store
            .activity_entry(tracked.id)
            .await
            .expect("get")
            .is_some()
    );
    assert_eq!(sent(&api.series("autumn", 14).await), 1);
    api.fixture.finish().await;
}

#[tokio::test]
async fn a_trigger_send_carries_its_send_id_and_a_broadcast_gets_one() {
    let api = serve().await;
    save_user(&api.store, "ada", json!({})).await;
    let (status, answer) = api
        .post(
            SENDS_KEY,
            "/campaigns/trigger/send",
            json!({"campaign_id": "welcome", "send_id": "welcome-1",
                   "recipients": [{"external_user_id": "ada"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let sends = api
        .store
        .claim(
            Queue::Sends,
            Utc::now(),
            std::time::Duration::from_secs(60),
            10,
        )
        .await
        .expect("claim");
    assert_eq!(sends.len(), 1);
    let task = match &sends[0].payload {
        leadwire_store::JobPayload::Task(leadwire_core::queue::Task::Send(task)) => task.clone(),
        other => panic!("a send task, not {other:?}"),
    };
    assert_eq!(task.tracking_send_id.as_deref(), Some("welcome-1"));

    let (status, answer) = api
        .post(
            SENDS_KEY,
            "/campaigns/trigger/send",
            json!({"campaign_id": "welcome", "broadcast": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert!(
        answer["send_id"].as_str().is_some_and(|id| id.len() == 32),
        "{answer}"
    );
    let (status, answer) = api
        .post(
            SENDS_KEY,
            "/campaigns/trigger/send",
            json!({"campaign_id": "welcome", "broadcast": true, "send_id": "launch"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["send_id"], "launch");
    let (status, answer) = api
        .post(
            SENDS_KEY,
            "/campaigns/trigger/send",
            json!({"campaign_id": "welcome", "broadcast": true, "send_id": "x".repeat(65)}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    api.fixture.finish().await;
}
