//! Test fixtures: an API over a fresh SQLite store, with one full-access key and one
//! `users.track`-only key.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use leadwire_core::attributes::AttributeLimits;
use leadwire_core::permission::Permission;
use leadwire_server::{ApiKeyConfig, AppState, ServerConfig, app};
use leadwire_store::sql::sqlite::SqliteStore;

pub const FULL_KEY: &str = "lw-full-access-key-000000000001";
pub const TRACK_KEY: &str = "lw-track-only-key-000000000002";

pub struct Fixture {
    pub state: AppState,
    path: PathBuf,
}

pub fn config() -> ServerConfig {
    ServerConfig {
        api_keys: api_keys(),
        ..ServerConfig::default()
    }
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
    let path = std::env::temp_dir().join(format!("leadwire-api-{}.db", uuid::Uuid::new_v4()));
    let store = SqliteStore::open(&path, 2)
        .await
        .expect("open a SQLite store");
    let state = AppState::new(Arc::new(store), &config, AttributeLimits::default());
    Fixture { state, path }
}

impl Fixture {
    pub async fn finish(self) {
        self.state.store.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let mut file = self.path.clone().into_os_string();
            file.push(suffix);
            std::fs::remove_file(file).ok();
        }
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
