//! The node a bench loads: `serve`'s own `start` on port 0 over a fresh store (a temporary
//! SQLite directory, or a PostgreSQL database made for the run and dropped after it).

use std::path::PathBuf;
use std::str::FromStr;

use anyhow::Context;
use clap::{Args, ValueEnum};
use leadwire_core::config::Config;
use leadwire_core::permission::Permission;
use leadwire_core::trigger::TriggerInterest;
use leadwire_salesforce::fields::CustomFieldConfig;
use leadwire_salesforce_emulator::{
    EmulatorConfig, EmulatorHandle, EmulatorState, FaultSettings, ServeOptions, spawn,
};
use leadwire_server::ApiKeyConfig;
use sqlx::Connection;

use crate::commands::serve::{Listeners, Running, ServeInputs, start};
use crate::config::{Settings, load_settings};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendChoice {
    Sqlite,
    Postgres,
}

/// `--backend` and `--database-url`: the store a bench loads.
#[derive(Debug, Args)]
pub struct StoreChoice {
    /// The store to load: a temporary SQLite file, or a new PostgreSQL database.
    #[arg(long, value_enum, default_value = "sqlite")]
    pub backend: BackendChoice,
    /// PostgreSQL server to create the benchmark database on (postgres backend).
    #[arg(
        long,
        env = "LEADWIRE_BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub database_url: String,
}

/// The bench's REST API key, allowed `/users/track` and the console.
pub const KEY: &str = "lw-bench-key-0123456789abcdef";

/// A node under load and what to clean up after it.
pub struct BenchNode {
    pub running: Running,
    scratch: PathBuf,
    database: Option<(String, String)>,
    /// The PostgreSQL database the node runs on, when it does.
    postgres_url: Option<String>,
}

impl BenchNode {
    /// Starts a node on `backend` whose store writes trigger jobs for `triggers`, without a
    /// rate limit, with one key allowed `/users/track` and the console.
    pub async fn start(store: &StoreChoice, triggers: TriggerInterest) -> anyhow::Result<Self> {
        Self::start_with(store, triggers, Config::default()).await
    }

    /// [`Self::start`] running the campaigns and canvases of `config`.
    pub async fn start_with(
        store: &StoreChoice,
        triggers: TriggerInterest,
        config: Config,
    ) -> anyhow::Result<Self> {
        let server_url = store.database_url.as_str();
        let mut settings = load_settings(None)?;
        let scratch = std::env::temp_dir().join(format!("leadwire-bench-{}", std::process::id()));
        let database = match store.backend {
            BackendChoice::Sqlite => {
                settings.store.data_dir = scratch.clone();
                None
            }
            BackendChoice::Postgres => {
                let (url, name) = create_database(server_url).await?;
                settings.store.database_url = url.clone();
                settings.store.max_connections = 16;
                Some((server_url.to_owned(), name))
            }
        };
        settings.store.triggers = triggers;
        open_for_bench(&mut settings);
        let listeners = Listeners {
            api: tokio::net::TcpListener::bind("127.0.0.1:0").await?,
            emulator: None,
        };
        let inputs = ServeInputs {
            settings,
            config,
            config_file: None,
            config_warnings: Vec::new(),
            env: crate::embedded_emulator::process_environment(),
        };
        let postgres_url = database
            .is_some()
            .then(|| inputs.settings.store.database_url.clone());
        let running = start(inputs, listeners).await?;
        Ok(Self {
            running,
            scratch,
            database,
            postgres_url,
        })
    }

    /// `POST /users/track` on this node.
    pub fn track_url(&self) -> String {
        format!("http://{}/users/track", self.running.address)
    }

    /// On PostgreSQL, refreshes the planner's statistics, as autovacuum does within a minute
    /// or so of a bulk load; a bench that loads and measures at once would otherwise time
    /// plans made for empty tables.
    pub async fn analyze(&self) -> anyhow::Result<()> {
        if let Some(url) = &self.postgres_url {
            let mut connection = sqlx::PgConnection::connect(url).await?;
            sqlx::query("ANALYZE").execute(&mut connection).await?;
            connection.close().await.ok();
        }
        Ok(())
    }

    /// Stops the node and removes its store.
    pub async fn stop(self) -> anyhow::Result<()> {
        let stopped = self.running.wait(async {}).await;
        if let Some((server_url, name)) = &self.database {
            drop_database(server_url, name).await;
        }
        std::fs::remove_dir_all(&self.scratch).ok();
        stopped
    }
}

/// One key allowed `/users/track` and the console, and no rate limit in the way of the load.
fn open_for_bench(settings: &mut Settings) {
    settings.server.api_keys = vec![ApiKeyConfig {
        name: "bench".into(),
        key: KEY.into(),
        permissions: vec![Permission::UsersTrack, Permission::ConsoleRead],
    }];
    settings.server.rate_limit_requests = u32::MAX;
}

/// The benches' connected app.
pub const EMULATOR_CLIENT_ID: &str = "leadwire-bench-client";

/// A Salesforce emulator on a free loopback port, over plain HTTP, with the external id
/// field `Leadwire_Id__c` on Lead, no daily API limit in the way, and `faults`.
pub async fn spawn_bench_emulator(
    client_secret: &str,
    faults: FaultSettings,
) -> anyhow::Result<EmulatorHandle> {
    let mut external = CustomFieldConfig::text("Leadwire_Id__c");
    external.external_id = true;
    let config = EmulatorConfig {
        client_id: EMULATOR_CLIENT_ID.into(),
        client_secret: client_secret.into(),
        custom_fields: vec![external],
        daily_api_limit: u64::MAX / 2,
        faults,
        ..EmulatorConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let options = ServeOptions {
        plain_http: true,
        cert_out: None,
    };
    Ok(spawn(EmulatorState::new(config)?, listener, options).await?)
}

/// The process's peak resident set size, from /proc/self/status.
pub fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .map(|value| value.trim().to_owned())
}

async fn create_database(server_url: &str) -> anyhow::Result<(String, String)> {
    let name = format!("leadwire_bench_{}", std::process::id());
    let mut connection = sqlx::PgConnection::connect(server_url)
        .await
        .with_context(|| format!("cannot connect to {server_url}"))?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut connection)
        .await?;
    connection.close().await.ok();
    let mut options = sqlx::postgres::PgConnectOptions::from_str(server_url)?;
    options = options.database(&name);
    let url = format!(
        "postgres://{}@{}:{}/{name}",
        options.get_username(),
        options.get_host(),
        options.get_port()
    );
    Ok((url, name))
}

async fn drop_database(server_url: &str, name: &str) {
    if let Ok(mut connection) = sqlx::PgConnection::connect(server_url).await {
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut connection)
            .await
            .ok();
        connection.close().await.ok();
    }
}
