//! The schedule endpoints over a real socket: `/campaigns/trigger/schedule/*`,
//! `/canvas/trigger/schedule/*` and `/messages/scheduled_broadcasts`. Schedules are run by
//! claiming their jobs at an explicit time, as the journey workers do, and one survives a
//! restart of the store and is sent exactly once.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use common::{API_TRIGGERED_JOURNEYS, config, fixture, listen, save_user, with_journeys};
use leadwire_core::permission::Permission;
use leadwire_core::track::UserIdentifier;
use leadwire_engine::journeys::Journeys;
use leadwire_server::{ApiKeyConfig, AppState, ServerConfig};
use leadwire_store::sql::sqlite::SqliteStore;
use leadwire_store::{Queue, Store};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const SCHEDULE_KEY: &str = "lw-schedule-key-000000000000004";

fn schedule_config() -> ServerConfig {
    let mut config = config();
    config.api_keys.push(ApiKeyConfig {
        name: "schedules".into(),
        key: SCHEDULE_KEY.into(),
        permissions: vec![
            Permission::CampaignsTriggerScheduleCreate,
            Permission::CampaignsTriggerScheduleUpdate,
            Permission::CampaignsTriggerScheduleDelete,
            Permission::CanvasTriggerScheduleCreate,
            Permission::CanvasTriggerScheduleUpdate,
            Permission::CanvasTriggerScheduleDelete,
            Permission::MessagesScheduleBroadcasts,
        ],
    });
    config
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("a time")
}

struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    async fn new(state: AppState) -> Self {
        Self {
            base: format!("http://{}", listen(state).await),
            client: reqwest::Client::new(),
        }
    }

    async fn post(&self, path: &str, key: &str, body: Value) -> (StatusCode, Value) {
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

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(SCHEDULE_KEY)
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.json().await.expect("JSON"))
    }
}

/// Claims and handles every schedule job due at `now`; how many ran.
async fn run_due(journeys: &Journeys, now: DateTime<Utc>) -> usize {
    let jobs = journeys
        .store()
        .claim(Queue::Schedules, now, Duration::from_secs(60), 100)
        .await
        .expect("claim");
    for job in &jobs {
        journeys.handle(job, now).await.expect("handle");
    }
    jobs.len()
}

async fn sends(store: &Arc<dyn Store>) -> u64 {
    store.pending_jobs(Queue::Sends).await.expect("pending")
}

fn journeys_of(state: &AppState) -> Arc<Journeys> {
    state.journeys.clone().expect("journeys")
}

#[tokio::test]
async fn a_campaign_schedule_sends_at_its_time_once_and_checks_its_input() {
    let fixture = fixture(schedule_config()).await;
    let state = with_journeys(&fixture.state, API_TRIGGERED_JOURNEYS);
    let journeys = journeys_of(&state);
    let store = state.store.clone();
    let api = Api::new(state).await;
    save_user(&store, "ada", json!({})).await;
    let body = json!({
        "campaign_id": "Welcome",
        "trigger_properties": {"coupon": "LATER"},
        "recipients": [{"external_user_id": "ada"}],
        "schedule": {"time": "2031-03-01T10:00:00Z"}
    });
    let path = "/campaigns/trigger/schedule/create";
    let (status, created) = api.post(path, SCHEDULE_KEY, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["message"], "success");
    assert!(
        created["dispatch_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    let schedule_id = created["schedule_id"]
        .as_str()
        .expect("schedule_id")
        .to_owned();

    assert_eq!(run_due(&journeys, at("2031-03-01T09:59:59Z")).await, 0);
    assert_eq!(sends(&store).await, 0, "nothing before its time");
    assert_eq!(run_due(&journeys, at("2031-03-01T10:00:00Z")).await, 1);
    assert_eq!(
        sends(&store).await,
        1,
        "sent through the campaign at its time"
    );
    assert_eq!(run_due(&journeys, at("2031-03-02T10:00:00Z")).await, 0);
    assert_eq!(sends(&store).await, 1, "and only once");
    let (status, body) = api
        .post(
            "/campaigns/trigger/schedule/delete",
            SCHEDULE_KEY,
            json!({"campaign_id": "Welcome", "schedule_id": schedule_id}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a sent schedule is gone: {body}"
    );

    let refused = [
        (
            json!({"campaign_id": "Welcome", "broadcast": true}),
            "schedule is required",
        ),
        (
            json!({"campaign_id": "Welcome", "broadcast": true, "schedule": {"time": "2000-01-01T10:00:00", "in_local_time": true}}),
            "already passed",
        ),
        (
            json!({"campaign_id": "Welcome", "schedule": {"time": "2031-01-01T10:00:00Z"}}),
            "broadcast must be set to true",
        ),
    ];
    for (body, expected) in refused {
        let (status, answer) = api.post(path, SCHEDULE_KEY, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            answer.to_string().contains(expected),
            "{answer} lacks {expected}"
        );
    }
    let unknown = json!({"campaign_id": "nope", "broadcast": true, "schedule": {"time": "2031-01-01T10:00:00Z"}});
    let (status, answer) = api.post(path, SCHEDULE_KEY, unknown).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["message"], "Invalid Campaign ID");
    let (status, _) = api.post(path, common::TRACK_KEY, body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    fixture.finish().await;
}

#[tokio::test]
async fn an_update_replaces_the_schedule_and_a_delete_cancels_it() {
    let fixture = fixture(schedule_config()).await;
    let state = with_journeys(&fixture.state, API_TRIGGERED_JOURNEYS);
    let journeys = journeys_of(&state);
    let store = state.store.clone();
    let api = Api::new(state).await;
    save_user(&store, "ada", json!({"time_zone": "Asia/Tokyo"})).await;
    let create = json!({
        "canvas_id": "onboarding",
        "canvas_entry_properties": {"source": "schedule"},
        "recipients": [{"external_user_id": "ada"}],
        "schedule": {"time": "2031-05-01T12:00:00", "in_local_time": true}
    });
    let (status, created) = api
        .post("/canvas/trigger/schedule/create", SCHEDULE_KEY, create)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let schedule_id = created["schedule_id"].clone();
    // Replaced whole: now in UTC, no longer local time.
    let update = json!({"canvas_id": "onboarding", "schedule_id": schedule_id,
                        "schedule": {"time": "2031-05-02T08:00:00Z"}});
    let (status, body) = api
        .post("/canvas/trigger/schedule/update", SCHEDULE_KEY, update)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"message": "success"}));
    let (status, listed) = api
        .get("/messages/scheduled_broadcasts?end_time=2031-06-01T00:00:00Z")
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["scheduled_broadcasts"][0]["id"], "onboarding");
    assert_eq!(listed["scheduled_broadcasts"][0]["type"], "Canvas");
    assert_eq!(listed["scheduled_broadcasts"][0]["name"], "Onboarding");
    assert_eq!(
        listed["scheduled_broadcasts"][0]["next_send_time"],
        "2031-05-02T08:00:00Z"
    );
    assert_eq!(listed["scheduled_broadcasts"][0]["schedule_type"], "UTC");

    // The first version's job (Tokyo noon) does nothing now.
    assert_eq!(run_due(&journeys, at("2031-05-01T12:00:00Z")).await, 1);
    let ada = store
        .find_profile(&UserIdentifier::ExternalId("ada".into()))
        .await
        .expect("find")
        .expect("ada");
    let entries = || store.canvas_entries(ada.id, Some("onboarding"));
    assert!(entries().await.expect("entries").is_empty());
    assert_eq!(run_due(&journeys, at("2031-05-02T08:00:00Z")).await, 1);
    let entered = entries().await.expect("entries");
    assert_eq!(entered.len(), 1, "entered at the updated time");
    assert_eq!(
        entered[0].state.entry_properties["source"],
        json!("schedule")
    );

    let create = json!({"canvas_id": "onboarding", "broadcast": true,
                        "schedule": {"time": "2031-07-01T00:00:00Z"}});
    let (_, created) = api
        .post("/canvas/trigger/schedule/create", SCHEDULE_KEY, create)
        .await;
    let delete = json!({"canvas_id": "onboarding", "schedule_id": created["schedule_id"]});
    let (status, body) = api
        .post(
            "/canvas/trigger/schedule/delete",
            SCHEDULE_KEY,
            delete.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(run_due(&journeys, at("2031-07-01T00:00:00Z")).await, 1);
    assert_eq!(
        store
            .pending_jobs(Queue::Broadcasts)
            .await
            .expect("pending"),
        0,
        "cancelled"
    );
    let (status, _) = api
        .post("/canvas/trigger/schedule/delete", SCHEDULE_KEY, delete)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "deleted already");
    fixture.finish().await;
}

#[tokio::test]
async fn local_time_reaches_each_user_at_the_time_in_their_zone() {
    let fixture = fixture(schedule_config()).await;
    let state = with_journeys(&fixture.state, API_TRIGGERED_JOURNEYS);
    let journeys = journeys_of(&state);
    let store = state.store.clone();
    let api = Api::new(state).await;
    save_user(&store, "tokyo", json!({"time_zone": "Asia/Tokyo"})).await;
    save_user(&store, "nowhere", json!({})).await;
    let body = json!({
        "campaign_id": "Welcome",
        "recipients": [{"external_user_id": "tokyo"}, {"external_user_id": "nowhere"},
                       {"external_user_id": "paris", "send_to_existing_only": false,
                        "attributes": {"time_zone": "Europe/Paris"}}],
        "schedule": {"time": "2031-06-01T12:00:00", "in_local_time": true}
    });
    let (status, created) = api
        .post("/campaigns/trigger/schedule/create", SCHEDULE_KEY, body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    // First run where the time comes first (UTC+14): nobody is due yet.
    assert_eq!(run_due(&journeys, at("2031-05-31T22:00:00Z")).await, 1);
    assert_eq!(sends(&store).await, 0);
    assert_eq!(run_due(&journeys, at("2031-06-01T03:00:00Z")).await, 1);
    assert_eq!(sends(&store).await, 1, "Tokyo's noon");
    assert_eq!(run_due(&journeys, at("2031-06-01T10:00:00Z")).await, 1);
    assert_eq!(
        sends(&store).await,
        2,
        "Paris's noon, from the recipient's own attributes"
    );
    assert_eq!(run_due(&journeys, at("2031-06-01T11:59:00Z")).await, 0);
    assert_eq!(run_due(&journeys, at("2031-06-01T12:00:00Z")).await, 1);
    assert_eq!(sends(&store).await, 3, "no time zone: UTC");
    assert_eq!(run_due(&journeys, at("2031-06-03T00:00:00Z")).await, 0);
    assert!(
        store
            .schedules_due_by(at("2031-12-31T00:00:00Z"), 10)
            .await
            .expect("list")
            .is_empty(),
        "the schedule is gone once every part was sent"
    );
    fixture.finish().await;
}

#[tokio::test]
async fn a_schedule_survives_a_restart_and_is_sent_exactly_once() {
    let path = std::env::temp_dir().join(format!("leadwire-schedule-{}.db", Uuid::new_v4()));
    let open = || async {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, 2).await.expect("open"));
        let state = AppState::new(store, &schedule_config(), Default::default());
        with_journeys(&state, API_TRIGGERED_JOURNEYS)
    };
    let state = open().await;
    save_user(&state.store, "ada", json!({})).await;
    let api = Api::new(state.clone()).await;
    let body = json!({"campaign_id": "Welcome", "recipients": [{"external_user_id": "ada"}],
                      "schedule": {"time": "2031-03-01T10:00:00Z"}});
    let (status, created) = api
        .post("/campaigns/trigger/schedule/create", SCHEDULE_KEY, body)
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

    let state = open().await;
    let journeys = journeys_of(&state);
    assert_eq!(
        run_due(&journeys, due).await,
        0,
        "still leased by the dead worker"
    );
    let later = due + TimeDelta::minutes(1);
    assert_eq!(
        run_due(&journeys, later).await,
        1,
        "claimed again once the lease ran out"
    );
    assert_eq!(sends(&state.store).await, 1);
    state.store.close().await;
    drop((journeys, state));

    let state = open().await;
    let journeys = journeys_of(&state);
    assert_eq!(run_due(&journeys, later + TimeDelta::days(1)).await, 0);
    assert_eq!(
        sends(&state.store).await,
        1,
        "sent exactly once across restarts"
    );
    state.store.close().await;
    for suffix in ["", "-wal", "-shm"] {
        std::fs::remove_file(format!("{}{suffix}", path.display())).ok();
    }
}
