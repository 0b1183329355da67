//! The SQLite backend: a file in the data directory, WAL journal, `synchronous = NORMAL`.
//!
//! Writes go through a pool of exactly one connection, so write transactions queue in the
//! process instead of failing with `SQLITE_BUSY`; each starts with `BEGIN IMMEDIATE` so a
//! second process (e.g. `leadwire migrate`) waits on the busy timeout. The pool does not
//! ping that connection before handing it out (a local file connection does not go stale,
//! and each ping is a round trip to sqlx's worker thread). Reads use their own
//! pool, which WAL lets run beside the writer.
//!
//! Checkpoints (copying the WAL back into the database file, with its fsyncs) run on a
//! connection of their own in the background, so the writer's commits do not pay for them.
//! The writer still checkpoints by itself when the WAL passes [`WRITER_CHECKPOINT_PAGES`],
//! which bounds the WAL if the background checkpoints fall behind. The background
//! checkpoints run often ([`CHECKPOINT_INTERVAL`]) so each has little to copy and sync: at
//! every 100 ms, under sustained ingest the WAL reached the writer's threshold and the
//! writer's own checkpoints stalled commits for 40–150 ms.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection, Sqlite, SqlitePool};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::store::{Pools, SqlStore};
use super::transaction::SqlTransaction;
use crate::error::{StoreError, StoreResult};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The WAL size (in pages) at which the writer checkpoints by itself.
pub const WRITER_CHECKPOINT_PAGES: u32 = 16_384;

/// How often the background connection checkpoints.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(30);

/// Profiles, events and the job queue in one SQLite file.
pub type SqliteStore = SqlStore<SqlitePools>;

/// A write transaction on the single writer connection.
pub type SqliteTransaction = SqlTransaction<Sqlite>;

/// The writer and reader pools of one SQLite file, and its background checkpoints.
pub struct SqlitePools {
    writer: SqlitePool,
    reader: SqlitePool,
    checkpointer: Mutex<Option<Checkpointer>>,
}

/// The background checkpoint task and the sender that stops it.
struct Checkpointer {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and runs the migrations.
    /// `readers` is the size of the read pool.
    pub async fn open(path: &Path, readers: u32) -> StoreResult<Self> {
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|error| {
                StoreError::Config(format!(
                    "cannot create the data directory {}: {error}",
                    parent.display()
                ))
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(false)
            .pragma("cache_size", "-32768")
            .pragma("temp_store", "memory")
            .pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES.to_string());
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&writer).await?;
        let checkpoints = SqliteConnection::connect_with(&options).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(readers.max(1))
            .connect_with(options.read_only(true))
            .await?;
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(checkpoint_in_background(checkpoints, stopped));
        Ok(Self::new(SqlitePools {
            writer,
            reader,
            checkpointer: Mutex::new(Some(Checkpointer { stop, task })),
        }))
    }

    /// Runs the migrations on the file at `path` and closes it.
    pub async fn migrate(path: &Path) -> StoreResult<()> {
        let store = Self::open(path, 1).await?;
        store.pools.close().await;
        Ok(())
    }
}

impl Pools for SqlitePools {
    type Database = Sqlite;

    fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    async fn close(&self) {
        let checkpointer = match self.checkpointer.lock() {
            Ok(mut guard) => guard.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(checkpointer) = checkpointer {
            checkpointer.stop.send(()).ok();
            checkpointer.task.await.ok();
        }
        self.writer.close().await;
        self.reader.close().await;
    }
}

/// Runs a passive checkpoint every [`CHECKPOINT_INTERVAL`] until told to stop. A passive
/// checkpoint never waits for the writer or readers; a failed one is retried next time.
async fn checkpoint_in_background(
    mut connection: SqliteConnection,
    mut stop: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut stop => break,
            () = tokio::time::sleep(CHECKPOINT_INTERVAL) => {}
        }
        if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&mut connection)
            .await
        {
            tracing::warn!(%error, "background WAL checkpoint failed; retrying later");
        }
    }
    connection.close().await.ok();
}
