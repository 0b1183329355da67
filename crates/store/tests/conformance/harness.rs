//! Fresh stores for each test: a temporary SQLite file, or a schema of its own in the
//! PostgreSQL database named by `LEADWIRE_TEST_DATABASE_URL`.

use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Once};

use leadwire_store::Store;
use leadwire_store::sql::postgres::PostgresStore;
use leadwire_store::sql::sqlite::SqliteStore;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

/// Writes `profiles` (with no changes, so no triggers) in one transaction.
pub async fn save_profiles(store: &Arc<dyn Store>, profiles: &[leadwire_core::profile::Profile]) {
    let changes = leadwire_core::attributes::ProfileChanges::default();
    let writes: Vec<leadwire_store::ProfileWrite<'_>> = profiles
        .iter()
        .map(|profile| leadwire_store::ProfileWrite {
            profile,
            changes: &changes,
        })
        .collect();
    let mut tx = store.begin().await.expect("begin");
    tx.save_profiles(&writes).await.expect("save profiles");
    tx.commit().await.expect("commit");
}

/// Claims and completes every trigger job due now, and returns their triggers in job order,
/// a job of several triggers flattened in its own order.
pub async fn drain_triggers(store: &Arc<dyn Store>) -> Vec<leadwire_core::trigger::UserTrigger> {
    drain_trigger_jobs(store)
        .await
        .iter()
        .flat_map(|payload| {
            payload
                .triggers()
                .unwrap_or_else(|| panic!("a task on the trigger queue: {payload:?}"))
                .to_vec()
        })
        .collect()
}

/// Claims and completes every trigger job due now; returns their payloads in job order.
pub async fn drain_trigger_jobs(store: &Arc<dyn Store>) -> Vec<leadwire_store::JobPayload> {
    let jobs = store
        .claim(
            leadwire_store::Queue::Triggers,
            chrono::Utc::now() + chrono::TimeDelta::seconds(1),
            std::time::Duration::from_secs(60),
            1000,
        )
        .await
        .expect("claim");
    let mut payloads = Vec::with_capacity(jobs.len());
    for job in jobs {
        store.complete(&job).await.expect("complete");
        payloads.push(job.payload);
    }
    payloads
}

pub struct Harness {
    pub store: Arc<dyn Store>,
    cleanup: Cleanup,
}

enum Cleanup {
    Files(PathBuf),
    Schema { url: String, schema: String },
}

pub async fn sqlite() -> Harness {
    sqlite_upgraded(i64::MIN, &[]).await
}

/// A store on a SQLite file that was migrated up to (not including) migration `version`
/// and given the `seed` statements before the store opened it (running the later
/// migrations): a database upgraded from an earlier release.
pub async fn sqlite_upgraded(version: i64, seed: &[String]) -> Harness {
    let path = std::env::temp_dir().join(format!("leadwire-test-{}.db", uuid::Uuid::new_v4()));
    if !seed.is_empty() {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let mut connection = sqlx::SqliteConnection::connect_with(&options)
            .await
            .expect("create the test SQLite file");
        migrate_and_seed::<sqlx::Sqlite>(&mut connection, "sqlite", version, seed).await;
        connection.close().await.ok();
    }
    let store = SqliteStore::open(&path, 4)
        .await
        .expect("open a SQLite store in the temp dir");
    Harness {
        store: Arc::new(store),
        cleanup: Cleanup::Files(path),
    }
}

/// Runs the migrations in `migrations/{backend}` before `version`, then `seed`.
async fn migrate_and_seed<DB>(
    connection: &mut DB::Connection,
    backend: &str,
    version: i64,
    seed: &[String],
) where
    DB: sqlx::Database,
    DB::Connection: sqlx::migrate::Migrate,
    for<'c> &'c mut DB::Connection:
        sqlx::Acquire<'c, Database = DB, Connection = &'c mut DB::Connection>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut migrator = sqlx::migrate::Migrator::new(directory)
        .await
        .expect("read the migrations");
    let earlier: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|migration| migration.version < version)
        .cloned()
        .collect();
    migrator.migrations = earlier.into();
    migrator
        .run(&mut *connection)
        .await
        .expect("run the earlier migrations");
    for sql in seed {
        sqlx::query(sql)
            .execute(&mut *connection)
            .await
            .unwrap_or_else(|error| panic!("seed `{sql}`: {error}"));
    }
}

static SKIP_NOTICE: Once = Once::new();

/// A store in a new schema, or `None` (with a notice) when the variable is unset.
pub async fn postgres() -> Option<Harness> {
    postgres_upgraded(i64::MIN, &[]).await
}

/// [`sqlite_upgraded`] on PostgreSQL, in a new schema; `None` (with a notice) when the
/// variable is unset.
pub async fn postgres_upgraded(version: i64, seed: &[String]) -> Option<Harness> {
    let Ok(url) = std::env::var("LEADWIRE_TEST_DATABASE_URL") else {
        SKIP_NOTICE.call_once(|| {
            // Written to stderr directly so the test harness does not capture it.
            let _ = writeln!(
                std::io::stderr(),
                "notice: LEADWIRE_TEST_DATABASE_URL is not set; the tests on PostgreSQL were skipped"
            );
        });
        return None;
    };
    let schema = format!("lw_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&url)
        .await
        .expect("connect to LEADWIRE_TEST_DATABASE_URL");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("create a test schema");
    admin.close().await.ok();
    let options = PgConnectOptions::from_str(&url)
        .expect("LEADWIRE_TEST_DATABASE_URL is a PostgreSQL URL")
        .options([("search_path", schema.as_str())]);
    if !seed.is_empty() {
        let mut connection = PgConnection::connect_with(&options)
            .await
            .expect("connect to the test schema");
        migrate_and_seed::<sqlx::Postgres>(&mut connection, "postgres", version, seed).await;
        connection.close().await.ok();
    }
    let store = PostgresStore::open(options, 8)
        .await
        .expect("open the PostgreSQL store");
    Some(Harness {
        store: Arc::new(store),
        cleanup: Cleanup::Schema { url, schema },
    })
}

impl Harness {
    /// Runs one SQL statement on the test database, beside the store (to plant bad data).
    pub async fn execute(&self, sql: &str) {
        match &self.cleanup {
            Cleanup::Files(path) => {
                let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
                let mut connection = sqlx::SqliteConnection::connect_with(&options)
                    .await
                    .expect("open the test SQLite file");
                sqlx::query(sql)
                    .execute(&mut connection)
                    .await
                    .expect("run the statement");
                connection.close().await.ok();
            }
            Cleanup::Schema { url, schema } => {
                let options = PgConnectOptions::from_str(url)
                    .expect("LEADWIRE_TEST_DATABASE_URL is a PostgreSQL URL")
                    .options([("search_path", schema.as_str())]);
                let mut connection = PgConnection::connect_with(&options)
                    .await
                    .expect("connect to the test schema");
                sqlx::query(sql)
                    .execute(&mut connection)
                    .await
                    .expect("run the statement");
                connection.close().await.ok();
            }
        }
    }

    pub async fn finish(self) {
        self.store.close().await;
        match self.cleanup {
            Cleanup::Files(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    std::fs::remove_file(file).ok();
                }
            }
            Cleanup::Schema { url, schema } => {
                if let Ok(mut admin) = PgConnection::connect(&url).await {
                    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                        .execute(&mut admin)
                        .await
                        .ok();
                    admin.close().await.ok();
                }
            }
        }
    }
}

fn broadcast(n: u32) -> leadwire_core::queue::BroadcastTask {
    leadwire_core::queue::BroadcastTask {
        target: leadwire_core::queue::BroadcastTarget::Campaign,
        id: format!("campaign-{n}"),
        dispatch_id: format!("dispatch-{n}"),
        properties: serde_json::Map::new(),
        after: None,
        message: None,
        tracking_send_id: None,
        audience: None,
        local: None,
        users: None,
    }
}

/// A real task of `queue` (any queue but the trigger queue's), told apart from the others
/// of its queue by `n`.
pub fn task(queue: leadwire_store::Queue, n: u32) -> leadwire_store::Task {
    use leadwire_core::queue::{CampaignTask, CanvasTask};
    use leadwire_store::Queue;
    let user_id = Some(uuid::Uuid::from_u128(u128::from(n)));
    let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("a valid time");
    match queue {
        Queue::Canvas => CanvasTask {
            entry_id: uuid::Uuid::from_u128(u128::from(n)),
            user_id,
            seq: n as usize,
            message_finished: false,
        }
        .into(),
        Queue::Campaigns => CampaignTask {
            campaign: format!("campaign-{n}"),
            user_id: uuid::Uuid::from_u128(u128::from(n)),
            triggered_at: at,
            scheduled_at: at,
            event_properties: None,
            api_trigger_properties: None,
            tracking_send_id: None,
        }
        .into(),
        Queue::Exports => leadwire_core::queue::SegmentExportTask {
            segment_id: format!("segment-{n}"),
            object_prefix: format!("prefix-{n}"),
            started_at: at,
            fields: Vec::new(),
            custom_attributes: None,
            format: leadwire_core::queue::ExportFormat::Zip,
            callback: None,
            url: format!("http://localhost/export-{n}"),
            after: None,
            part: 0,
        }
        .into(),
        Queue::Broadcasts => broadcast(n).into(),
        Queue::Bulk => leadwire_core::queue::BulkSendTask {
            run_id: uuid::Uuid::from_u128(u128::from(n)),
            broadcast: Box::new(broadcast(n)),
        }
        .into(),
        Queue::Schedules => leadwire_core::queue::ScheduleTask {
            schedule_id: format!("schedule-{n}"),
            version: i64::from(n),
            recipients: None,
        }
        .into(),
        Queue::Sends => leadwire_core::queue::SendTask {
            send_id: uuid::Uuid::from_u128(u128::from(n)),
            user_id: uuid::Uuid::from_u128(u128::from(n)),
            template: format!("template-{n}"),
            source: leadwire_core::activity::MessageSource::Manual,
            created_at: at,
            event_properties: None,
            api_trigger_properties: None,
            canvas_entry_properties: None,
            follow_up: None,
            webhook: None,
            tracking_send_id: None,
        }
        .into(),
        Queue::Triggers => panic!("the trigger queue carries trigger jobs, not tasks"),
    }
}

/// [`task`] of `queue`, due at `run_at`.
pub fn new_task(
    queue: leadwire_store::Queue,
    n: u32,
    run_at: chrono::DateTime<chrono::Utc>,
) -> leadwire_store::NewTask {
    leadwire_store::NewTask::new(task(queue, n), run_at)
}
