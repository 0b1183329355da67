//! The `[store]` configuration section and opening a store from it.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use leadwire_core::attributes::AttributeLimits;
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgConnectOptions;

use crate::error::{StoreError, StoreResult};
use crate::repository::Store;
use crate::sql::postgres::PostgresStore;
use crate::sql::sqlite::SqliteStore;
use leadwire_core::trigger::TriggerInterest;

/// `[store]`: where profiles, events and jobs live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// Empty: SQLite in `data_dir/leadwire.db`. `sqlite://PATH`: SQLite at PATH.
    /// `postgres://…`: PostgreSQL.
    pub database_url: String,
    /// The directory for the SQLite file; created if missing.
    pub data_dir: PathBuf,
    /// PostgreSQL pool size, or SQLite read-pool size (SQLite always has one writer).
    pub max_connections: u32,
    /// Cap on array custom attributes (1 to 100; Braze's default is 25).
    pub max_array_length: usize,
    /// Which trigger jobs are written (see [`crate::interest`]).
    pub triggers: TriggerInterest,
    /// Where segment exports are written; empty: `data_dir/exports`.
    pub exports_dir: PathBuf,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            database_url: String::new(),
            data_dir: PathBuf::from("data"),
            max_connections: 8,
            max_array_length: leadwire_core::attributes::DEFAULT_MAX_ARRAY_LENGTH,
            triggers: TriggerInterest::default(),
            exports_dir: PathBuf::new(),
        }
    }
}

/// The database a configuration points at.
#[derive(Debug, Clone)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(Box<PgConnectOptions>),
}

impl StoreConfig {
    /// The directory segment exports are written under: `exports_dir`, or beside the
    /// database in `data_dir/exports`.
    pub fn exports_dir(&self) -> PathBuf {
        if self.exports_dir.as_os_str().is_empty() {
            self.data_dir.join("exports")
        } else {
            self.exports_dir.clone()
        }
    }

    pub fn location(&self) -> StoreResult<Location> {
        let url = self.database_url.trim();
        if url.is_empty() {
            return Ok(Location::Sqlite(self.data_dir.join("leadwire.db")));
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            return Ok(Location::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return PgConnectOptions::from_str(url)
                .map(|options| Location::Postgres(Box::new(options)))
                .map_err(|error| {
                    StoreError::Config(format!(
                        "store.database_url is not a valid PostgreSQL URL: {error}"
                    ))
                });
        }
        Err(StoreError::Config(format!(
            "store.database_url must be empty (SQLite in data_dir), sqlite://PATH or postgres://…; got `{url}`"
        )))
    }

    pub fn attribute_limits(&self) -> StoreResult<AttributeLimits> {
        AttributeLimits::new(self.max_array_length)
            .map_err(|error| StoreError::Config(format!("store.{error}")))
    }

    /// A description safe to log (no password).
    pub fn describe(&self) -> String {
        match self.location() {
            Ok(Location::Sqlite(path)) => format!("SQLite at {}", path.display()),
            Ok(Location::Postgres(options)) => format!(
                "PostgreSQL at {}:{}/{}",
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or("")
            ),
            Err(error) => error.to_string(),
        }
    }
}

/// Opens the configured store (running migrations) with the configured trigger interest.
pub async fn open(config: &StoreConfig) -> StoreResult<Arc<dyn Store>> {
    config.attribute_limits()?;
    let store: Arc<dyn Store> = match config.location()? {
        Location::Sqlite(path) => Arc::new(SqliteStore::open(&path, config.max_connections).await?),
        Location::Postgres(options) => {
            Arc::new(PostgresStore::open(*options, config.max_connections).await?)
        }
    };
    store.set_trigger_interest(config.triggers.clone());
    Ok(store)
}

/// Runs the configured database's migrations.
pub async fn migrate(config: &StoreConfig) -> StoreResult<()> {
    match config.location()? {
        Location::Sqlite(path) => SqliteStore::migrate(&path).await,
        Location::Postgres(options) => PostgresStore::migrate(*options).await,
    }
}
