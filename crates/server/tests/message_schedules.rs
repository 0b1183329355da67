//! `POST /messages/schedule/*`, and `segment_id` / `audience` on `/messages/send` and the
//! trigger sends, over a real socket. Jobs are run by claiming them at an explicit time, as
//! the journey workers do; a scheduled message survives a restart and is sent exactly once.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use common::{config, fixture, listen, save_user};
use leadwire_core::attributes::AttributeLimits;
use leadwire_core::config::Config;
use leadwire_core::permission::Permission;
use leadwire_core::queue::SendTask;
use leadwire_core::track::UserIdentifier;
use leadwire_engine::journeys::Journeys;
use leadwire_server::{ApiKeyConfig, AppState, ServerConfig};
use leadwire_store::sql::sqlite::SqliteStore;
use leadwire_store::{JobPayload, Queue, Store, Task};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const KEY: &str = "lw-message-schedule-key-0000006";

/// An API-triggered campaign (so the journey workers run) and two segments.
const JOURNEYS: &str = r#"
[[webhook_templates]]
name = "Hook"
url = "https://example.com/hook"
method = "POST"

[[campaigns]]
name = "Welcome"
template = "Hook"
delivery = "api_triggered"

[[segments]]
id = "seg-pro"
name = "Pro"
filters = [{ attribute = "plan", op = "equals", value = "pro" }]
"#;

fn server_config() -> ServerConfig {
    let mut config = config();
    config.api_keys.push(ApiKeyConfig {
        name: "messages".into(),
        key: KEY.into(),
        permissions: vec![
            Permission::MessagesSend,
            Permission::MessagesScheduleCreate,
            Permission::MessagesScheduleUpdate,
            Permission::MessagesScheduleDelete,
            Permission::CampaignsTriggerSend,
            Permission::CampaignsTriggerScheduleCreate,
        ],
    });
    config
}

/// `state` with the journeys of [`JOURNEYS`], its segments resolved as `check` does.
fn with_journeys(state: &AppState) -> AppState {
    let mut config: Config = toml::from_str(JOURNEYS).expect("valid journeys");
    leadwire_core::config::segment::resolve(&mut config);
    let journeys = Journeys::new(
        state.store.clone(),
        Arc::new(config),
        AttributeLimits::default(),
    );
    state.clone().with_journeys(Arc::new(journeys))
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("a time")
}

fn webhook(body: &str) -> Value {
    json!({"webhook": {"url": "https://example.com/hook", "request_method": "POST", "body": body}})
}

struct Api {
    base: String,
    client: reqwest::Client,
    store: Arc<dyn Store>,
    journeys: Arc<Journeys>,
}

impl Api {
    async fn new(state: AppState) -> Self {
        let store = state.store.clone();
        let journeys = state.journeys.clone().expect("journeys");
        Self {
            base: format!("http://{}", listen(state).await),
            client: reqwest::Client::new(),
            store,
            journeys,
        }
    }

    async fn post_as(&self, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
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

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.post_as(KEY, path, body).await
    }

    /// Runs every journey job due at `now` (schedules, then broadcast pages and parts)
    /// until none is left; how many ran.
    async fn run_due(&self, now: DateTime<Utc>) -> usize {
        let mut ran = 0;
        loop {
            let mut jobs = Vec::new();
            for queue in [Queue::Schedules, Queue::Broadcasts, Queue::Campaigns] {
                jobs.extend(
                    self.store
                        .claim(queue, now, Duration::from_secs(60), 100)
                        .await
                        .expect("claim"),
                );
            }
            if jobs.is_empty() {
                return ran;
            }
            for job in &jobs {
                self.journeys.handle(job, now).await.expect("handle");
            }
            ran += jobs.len();
        }
    }

    /// The sends due at `now`, taken off the queue; their users' external ids, sorted.
    async fn take_sends(&self, now: DateTime<Utc>) -> Vec<String> {
        let jobs = self
            .store
            .claim(Queue::Sends, now, Duration::from_secs(60), 1000)
            .await
            .expect("claim sends");
        let mut users = Vec::new();
        for job in jobs {
            let JobPayload::Task(Task::Send(send)) = job.payload.clone() else {
                panic!("a send job carries a send task");
            };
            users.push(self.external_id(&send).await);
            let mut tx = self.store.begin().await.expect("begin");
            tx.complete_job(&job).await.expect("complete");
            tx.commit().await.expect("commit");
        }
        users.sort();
        users
    }

    async fn external_id(&self, send: &SendTask) -> String {
        self.store
            .find_profile(&UserIdentifier::BrazeId(send.user_id))
            .await
            .expect("find")
            .and_then(|profile| profile.external_id)
            .expect("an external id")
    }
}

async fn seed(store: &Arc<dyn Store>) {
    save_user(store, "ada", json!({"time_zone": "Asia/Tokyo"})).await;
    save_user(store, "grace", json!({})).await;
    save_user(store, "linus", json!({"email_subscribe": "unsubscribed"})).await;
    let plans = [
        ("ada", "pro", 90),
        ("grace", "pro", 40),
        ("linus", "free", 95),
    ];
    for (user, plan, score) in plans {
        let mut profile = store
            .find_profile(&UserIdentifier::ExternalId(user.into()))
            .await
            .expect("find")
            .expect("profile");
        profile.custom.insert("plan".into(), json!(plan));
        profile.custom.insert("score".into(), json!(score));
        let mut tx = store.begin().await.expect("begin");
        tx.save_profiles(&[leadwire_store::ProfileWrite {
            profile: &profile,
            changes: &Default::default(),
        }])
        .await
        .expect("save");
        tx.commit().await.expect("commit");
    }
}

#[tokio::test]
async fn segment_id_and_audience_choose_who_a_message_reaches() {
    let fixture = fixture(server_config()).await;
    let api = Api::new(with_journeys(&fixture.state)).await;
    seed(&api.store).await;
    let now = Utc::now() + TimeDelta::seconds(1);

    // A segment alone: every member, through the broadcast worker.
    let (status, body) = api
        .post(
            "/messages/send",
            json!({"segment_id": "seg-pro", "messages": webhook("hi")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(api.take_sends(now).await.is_empty(), "paged by the workers");
    assert_eq!(api.run_due(now).await, 1);
    assert_eq!(api.take_sends(now).await, ["ada", "grace"]);

    // Users and a segment: those users, if they are in the segment.
    let (status, body) = api
        .post(
            "/messages/send",
            json!({"segment_id": "seg-pro", "external_user_ids": ["ada", "linus"],
                   "messages": webhook("hi")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(api.take_sends(now).await, ["ada"]);

    // A connected audience, with a segment.
    let audience = json!({"AND": [
        {"custom_attribute": {"custom_attribute_name": "score", "comparison": "greater_than", "value": 50}},
        {"email_subscription_status": {"comparison": "is", "value": "subscribed"}}
    ]});
    let (status, body) = api
        .post(
            "/messages/send",
            json!({"audience": audience, "messages": webhook("hi")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    api.run_due(now).await;
    assert_eq!(api.take_sends(now).await, ["ada"], "linus is unsubscribed");

    // On a trigger send: the campaign sends only to the recipients the audience admits.
    let (status, body) = api
        .post(
            "/campaigns/trigger/send",
            json!({"campaign_id": "Welcome", "audience": audience,
                   "recipients": [{"external_user_id": "grace"}, {"external_user_id": "ada"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(api.take_sends(now).await, ["ada"]);

    let refused = [
        (
            json!({"segment_id": "nope", "messages": webhook("hi")}),
            "segment_id `nope` names no segment",
        ),
        (
            json!({"audience": {"last_used_app": {"comparison": "after", "value": "2030-01-01T00:00:00Z"}},
                   "messages": webhook("hi")}),
            "audience.last_used_app is not supported",
        ),
        (
            json!({"audience": {"OR": [{"custom_attribute": {"custom_attribute_name": "a", "comparison": "soundex", "value": 1}}]},
                   "messages": webhook("hi")}),
            "audience.OR[0].custom_attribute.comparison `soundex`",
        ),
    ];
    for (body, expected) in refused {
        let (status, answer) = api.post("/messages/send", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            answer.to_string().contains(expected),
            "{answer} lacks {expected}"
        );
    }
    let (status, answer) = api
        .post(
            "/campaigns/trigger/send",
            json!({"campaign_id": "Welcome", "audience": {"device": {}}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer.to_string().contains("audience.device"), "{answer}");
    fixture.finish().await;
}

#[tokio::test]
async fn a_scheduled_message_is_sent_at_its_time_once_and_can_be_updated_or_deleted() {
    let fixture = fixture(server_config()).await;
    let api = Api::new(with_journeys(&fixture.state)).await;
    seed(&api.store).await;
    let (status, created) = api
        .post(
            "/messages/schedule/create",
            json!({"external_user_ids": ["ada", "grace", "nobody"], "messages": webhook("v1"),
                   "override_messaging_limits": false,
                   "schedule": {"time": "2031-03-01T10:00:00Z"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["message"], "success");
    assert!(
        created["dispatch_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    let schedule_id = created["schedule_id"].clone();

    // The whole messages object is replaced, and the time.
    let (status, body) = api
        .post(
            "/messages/schedule/update",
            json!({"schedule_id": schedule_id, "messages": webhook("v2"),
                   "schedule": {"time": "2031-03-02T10:00:00Z"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"message": "success"}));
    assert_eq!(
        api.run_due(at("2031-03-01T10:00:00Z")).await,
        1,
        "the old version's job"
    );
    assert!(api.take_sends(at("2031-03-01T10:00:00Z")).await.is_empty());
    api.run_due(at("2031-03-02T10:00:00Z")).await;
    let jobs = api
        .store
        .claim(
            Queue::Sends,
            at("2031-03-02T10:00:00Z"),
            Duration::from_secs(60),
            10,
        )
        .await
        .expect("claim");
    assert_eq!(jobs.len(), 2, "ada and grace; nobody is unknown");
    for job in &jobs {
        let JobPayload::Task(Task::Send(send)) = &job.payload else {
            panic!("a send task");
        };
        let webhook = send.webhook.as_ref().expect("the request's webhook");
        assert_eq!(webhook.body.as_deref(), Some("v2"));
        let mut tx = api.store.begin().await.expect("begin");
        tx.complete_job(job).await.expect("complete");
        tx.commit().await.expect("commit");
    }
    assert_eq!(
        api.run_due(at("2031-03-05T00:00:00Z")).await,
        0,
        "sent once"
    );
    let (status, _) = api
        .post(
            "/messages/schedule/delete",
            json!({"schedule_id": schedule_id}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a sent schedule is gone");

    // A deleted schedule sends nothing.
    let (_, created) = api
        .post(
            "/messages/schedule/create",
            json!({"segment_id": "seg-pro", "messages": webhook("hi"),
                   "schedule": {"time": "2031-04-01T00:00:00Z"}}),
        )
        .await;
    let (status, body) = api
        .post(
            "/messages/schedule/delete",
            json!({"schedule_id": created["schedule_id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(api.run_due(at("2031-04-01T00:00:00Z")).await, 1);
    assert!(
        api.take_sends(at("2031-04-01T00:00:00Z")).await.is_empty(),
        "cancelled"
    );

    let refused = [
        (
            "/messages/schedule/create",
            json!({"external_user_ids": ["ada"], "messages": webhook("hi")}),
            "schedule is required",
        ),
        (
            "/messages/schedule/create",
            json!({"messages": webhook("hi"), "schedule": {"time": "2031-01-01T00:00:00Z"}}),
            "No Recipients",
        ),
        (
            "/messages/schedule/create",
            json!({"segment_id": "nope", "messages": webhook("hi"), "schedule": {"time": "2031-01-01T00:00:00Z"}}),
            "names no segment",
        ),
        (
            "/messages/schedule/update",
            json!({"schedule_id": created["schedule_id"], "schedule": {"time": "2031-01-01T00:00:00Z"}}),
            "names no pending schedule",
        ),
        (
            "/messages/schedule/update",
            json!({"schedule_id": "x"}),
            "give schedule, messages or both",
        ),
        (
            "/messages/schedule/update",
            json!({"schedule": {"time": "2031-01-01T00:00:00Z"}}),
            "schedule_id is required",
        ),
        (
            "/messages/schedule/delete",
            json!({}),
            "schedule_id is required",
        ),
    ];
    for (path, body, expected) in refused {
        let (status, answer) = api.post(path, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}");
        assert!(
            answer.to_string().contains(expected),
            "{path}: {answer} lacks {expected}"
        );
    }
    let (status, _) = api
        .post_as(
            common::TRACK_KEY,
            "/messages/schedule/create",
            json!({"external_user_ids": ["ada"], "messages": webhook("hi"),
                   "schedule": {"time": "2031-01-01T00:00:00Z"}}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    fixture.finish().await;
}

#[tokio::test]
async fn a_local_time_message_reaches_named_users_and_segments_at_their_own_time() {
    let fixture = fixture(server_config()).await;
    let api = Api::new(with_journeys(&fixture.state)).await;
    seed(&api.store).await;
    let schedule = json!({"time": "2031-06-01T12:00:00", "in_local_time": true});
    for body in [
        json!({"external_user_ids": ["ada", "grace"], "messages": webhook("named"), "schedule": schedule}),
        json!({"segment_id": "seg-pro", "messages": webhook("segment"), "schedule": schedule}),
    ] {
        let (status, created) = api.post("/messages/schedule/create", body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
    }
    // Noon is first reached at UTC+14: nobody is due yet.
    let first = at("2031-05-31T22:00:00Z");
    assert!(api.run_due(first).await >= 2);
    assert!(api.take_sends(first).await.is_empty());
    let tokyo = at("2031-06-01T03:00:00Z");
    api.run_due(tokyo).await;
    assert_eq!(
        api.take_sends(tokyo).await,
        ["ada", "ada"],
        "Tokyo's noon, both messages"
    );
    let utc = at("2031-06-01T12:00:00Z");
    api.run_due(utc).await;
    assert_eq!(
        api.take_sends(utc).await,
        ["grace", "grace"],
        "no time zone: UTC"
    );
    assert_eq!(api.run_due(at("2031-06-03T00:00:00Z")).await, 0);
    assert!(api.take_sends(at("2031-06-03T00:00:00Z")).await.is_empty());
    fixture.finish().await;
}

#[tokio::test]
async fn a_campaign_broadcast_in_local_time_reaches_each_profile_at_its_own_time() {
    let fixture = fixture(server_config()).await;
    let api = Api::new(with_journeys(&fixture.state)).await;
    seed(&api.store).await;
    let (status, created) = api
        .post(
            "/campaigns/trigger/schedule/create",
            json!({"campaign_id": "Welcome", "broadcast": true,
                   "schedule": {"time": "2031-06-01T12:00:00", "in_local_time": true}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let first = at("2031-05-31T22:00:00Z");
    assert!(api.run_due(first).await >= 2, "the schedule and its page");
    assert!(api.take_sends(first).await.is_empty());
    let tokyo = at("2031-06-01T03:00:00Z");
    api.run_due(tokyo).await;
    assert_eq!(api.take_sends(tokyo).await, ["ada"]);
    let utc = at("2031-06-01T12:00:00Z");
    api.run_due(utc).await;
    assert_eq!(api.take_sends(utc).await, ["grace", "linus"]);
    fixture.finish().await;
}

#[tokio::test]
async fn a_scheduled_message_survives_a_restart_and_is_sent_exactly_once() {
    let path =
        std::env::temp_dir().join(format!("leadwire-message-schedule-{}.db", Uuid::new_v4()));
    let open = || async {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, 2).await.expect("open"));
        with_journeys(&AppState::new(store, &server_config(), Default::default()))
    };
    let state = open().await;
    save_user(&state.store, "ada", json!({})).await;
    let api = Api::new(state.clone()).await;
    let (status, created) = api
        .post(
            "/messages/schedule/create",
            json!({"external_user_ids": ["ada"], "messages": webhook("hi"),
                   "schedule": {"time": "2031-03-01T10:00:00Z"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    // A worker claims the job at its time and dies before finishing it.
    let due = at("2031-03-01T10:00:00Z");
    let claimed = state
        .store
        .claim(Queue::Schedules, due, Duration::from_secs(30), 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    state.store.close().await;
    drop((api, state));

    let api = Api::new(open().await).await;
    assert_eq!(api.run_due(due).await, 0, "still leased by the dead worker");
    let later = due + TimeDelta::minutes(1);
    assert_eq!(
        api.run_due(later).await,
        1,
        "claimed again once the lease ran out"
    );
    assert_eq!(api.take_sends(later).await, ["ada"]);
    api.store.close().await;
    drop(api);

    let api = Api::new(open().await).await;
    assert_eq!(api.run_due(later + TimeDelta::days(1)).await, 0);
    assert!(
        api.take_sends(later + TimeDelta::days(1)).await.is_empty(),
        "sent exactly once across restarts"
    );
    api.store.close().await;
    for suffix in ["", "-wal", "-shm"] {
        std::fs::remove_file(format!("{}{suffix}", path.display())).ok();
    }
}
