//! The PostgreSQL backend, for several nodes sharing one database.
//!
//! Profile reads inside a write transaction lock their rows (`FOR UPDATE`), so concurrent
//! updates of one user serialise; claims use `FOR UPDATE SKIP LOCKED`, so nodes never claim
//! the same job. Concurrent creation of one new user surfaces as
//! [`StoreError::Conflict`](crate::StoreError::Conflict); the ingest path retries it.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};

use super::store::{Pools, SqlStore};
use super::transaction::SqlTransaction;
use crate::error::StoreResult;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Profiles, events and the job queue in PostgreSQL, through one pool.
pub type PostgresStore = SqlStore<PgPool>;

/// A write transaction on one pooled connection.
pub type PostgresTransaction = SqlTransaction<Postgres>;

impl PostgresStore {
    /// Connects with at most `max_connections` connections and runs the migrations.
    pub async fn open(options: PgConnectOptions, max_connections: u32) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(2))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self::new(pool))
    }

    /// Runs the migrations and closes the connection.
    pub async fn migrate(options: PgConnectOptions) -> StoreResult<()> {
        let store = Self::open(options, 2).await?;
        store.pools.close().await;
        Ok(())
    }
}

impl Pools for PgPool {
    type Database = Postgres;

    fn reader(&self) -> &PgPool {
        self
    }

    async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, Postgres>> {
        Ok(self.begin().await?)
    }

    async fn close(&self) {
        PgPool::close(self).await;
    }
}
