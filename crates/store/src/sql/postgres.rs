//! The PostgreSQL backend, for several nodes sharing one database.
//!
//! Profile reads inside a write transaction lock their rows (`FOR UPDATE`), so concurrent
//! updates of one user serialise; claims use `FOR UPDATE SKIP LOCKED`, so nodes never claim
//! the same job. Concurrent creation of one new user surfaces as
//! [`StoreError::Conflict`](crate::StoreError::Conflict); the ingest path retries it.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};

use crate::error::StoreResult;
use crate::repository::Backend;
use crate::signals::JobSignals;
use leadwire_core::trigger::TriggerInterest;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Profiles, events and the job queue in PostgreSQL.
pub struct PostgresStore {
    pool: PgPool,
    interest: Arc<RwLock<TriggerInterest>>,
    signals: Arc<JobSignals>,
}

/// A write transaction on one pooled connection.
pub struct PostgresTransaction {
    tx: sqlx::Transaction<'static, Postgres>,
    interest: TriggerInterest,
    signals: Arc<JobSignals>,
    /// Queues this transaction enqueued into, notified after it commits.
    enqueued: Vec<String>,
}

impl PostgresStore {
    pub(crate) const LOCK_ROWS: &'static str = " FOR UPDATE";
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";

    /// Connects with at most `max_connections` connections and runs the migrations.
    pub async fn open(options: PgConnectOptions, max_connections: u32) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(2))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self {
            pool,
            interest: Arc::new(RwLock::new(TriggerInterest::default())),
            signals: Arc::default(),
        })
    }

    /// Runs the migrations and closes the connection.
    pub async fn migrate(options: PgConnectOptions) -> StoreResult<()> {
        let store = Self::open(options, 2).await?;
        store.close_pools().await;
        Ok(())
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }

    async fn close_pools(&self) {
        self.pool.close().await;
    }
}

super::activity::implement_activity!(Postgres);
super::implement_store!(
    PostgresStore,
    PostgresTransaction,
    Postgres,
    Backend::Postgres,
    postgres_ingest
);
super::journeys::implement_journeys!(PostgresStore, PostgresTransaction);
super::batch::implement_batch!(PostgresStore, PostgresTransaction, Postgres);
