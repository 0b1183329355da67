//! Test fixtures: an API over a fresh SQLite store (or a fresh schema of the PostgreSQL
//! server `LEADWIRE_TEST_DATABASE_URL` names), with one full-access key and one
//! `users.track`-only key.

#![allow(dead_code)]

pub mod fuzz;
// The store's own fresh-store harness: a temporary SQLite file or a PostgreSQL schema.
#[path = "../../../store/tests/conformance/harness.rs"]
mod store_harness;

use std::net::SocketAddr;
use std::sync::Arc;

use leadwire_core::attributes::AttributeLimits;
use leadwire_core::permission::Permission;
use leadwire_engine::journeys::Journeys;
use leadwire_server::{ApiKeyConfig, AppState, ServerConfig, app};

pub const FULL_KEY: &str = "lw-full-access-key-000000000001";
pub const TRACK_KEY: &str = "lw-track-only-key-000000000002";
pub const TRIGGER_KEY: &str = "lw-trigger-key-0000000000000003";

/// An API-triggered campaign (`Welcome`) and canvas (`onboarding`), each sending one webhook.
pub const API_TRIGGERED_JOURNEYS: &str = r#"
[[webhook_templates]]
name = "Hook"
url = "https://example.com/hook"
method = "POST"

[[campaigns]]
name = "Welcome"
template = "Hook"
delivery = "api_triggered"

[[canvases]]
name = "Onboarding"
api_id = "onboarding"
entry_schedule = "api_triggered"

[[canvases.steps]]
name = "Hook"
type = "message"
template = "Hook"
"#;

pub struct Fixture {
    pub state: AppState,
    store: store_harness::Harness,
}

pub fn config() -> ServerConfig {
    ServerConfig {
        api_keys: api_keys(),
        ..ServerConfig::default()
    }
}

/// [`config`] and a key allowed the two trigger sends ([`TRIGGER_KEY`]).
pub fn trigger_config() -> ServerConfig {
    let mut config = config();
    config.api_keys.push(ApiKeyConfig {
        name: "triggers".into(),
        key: TRIGGER_KEY.into(),
        permissions: vec![
            Permission::CampaignsTriggerSend,
            Permission::CanvasTriggerSend,
        ],
    });
    config
}

/// `state` with the engine's journeys for the domain config `journeys_toml` behind it.
pub fn with_journeys(state: &AppState, journeys_toml: &str) -> AppState {
    let config = toml::from_str(journeys_toml).expect("valid journeys");
    let journeys = Journeys::new(
        state.store.clone(),
        Arc::new(config),
        AttributeLimits::default(),
    );
    state.clone().with_journeys(Arc::new(journeys))
}

pub fn api_keys() -> Vec<ApiKeyConfig> {
    vec![
        ApiKeyConfig {
            name: "admin".into(),
            key: FULL_KEY.into(),
            permissions: vec![
                Permission::UsersTrack,
                Permission::UsersExportIds,
                Permission::UsersDelete,
                Permission::UsersAliasNew,
            ],
        },
        ApiKeyConfig {
            name: "ingest".into(),
            key: TRACK_KEY.into(),
            permissions: vec![Permission::UsersTrack],
        },
    ]
}

pub async fn fixture(config: ServerConfig) -> Fixture {
    Fixture::over(store_harness::sqlite().await, &config)
}

/// A fixture over a new schema of `LEADWIRE_TEST_DATABASE_URL`; `None`, with a notice,
/// when it is unset.
pub async fn postgres_fixture(config: ServerConfig) -> Option<Fixture> {
    let store = store_harness::postgres().await?;
    Some(Fixture::over(store, &config))
}

impl Fixture {
    fn over(store: store_harness::Harness, config: &ServerConfig) -> Self {
        let state = AppState::new(store.store.clone(), config, AttributeLimits::default());
        Self { state, store }
    }

    pub async fn finish(self) {
        self.store.finish().await;
    }
}

/// The API of a fresh fixture on a real socket (port 0).
pub struct Running {
    pub address: SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    pub fixture: Fixture,
}

/// Serves a fresh fixture with `config` on port 0.
pub async fn serve(config: ServerConfig) -> Running {
    let fixture = fixture(config).await;
    let address = listen(fixture.state.clone()).await;
    Running {
        address,
        base: format!("http://{address}"),
        client: reqwest::Client::new(),
        fixture,
    }
}

/// Serves the API over `state` on port 0 as `leadwire serve` does (with each connection's
/// address, for the limit per client address); returns the address.
pub async fn listen(state: AppState) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let address = listener.local_addr().expect("local address");
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    address
}

/// Saves a new profile with `external_id` and the standard attributes of `standard` (an
/// object such as `{"time_zone": "Asia/Tokyo"}`).
pub async fn save_user(
    store: &Arc<dyn leadwire_store::Store>,
    external_id: &str,
    standard: serde_json::Value,
) {
    let mut profile =
        leadwire_core::profile::Profile::new(uuid::Uuid::now_v7(), chrono::Utc::now());
    profile.external_id = Some(external_id.into());
    if let serde_json::Value::Object(standard) = standard {
        profile.standard = standard;
    }
    let mut tx = store.begin().await.expect("begin");
    tx.save_profiles(&[leadwire_store::ProfileWrite {
        profile: &profile,
        changes: &Default::default(),
    }])
    .await
    .expect("save");
    tx.commit().await.expect("commit");
}
