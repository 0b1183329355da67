//! A SQLite store in a temp file, a config, the journey workers and a controllable clock;
//! `deliver` stands in for the delivery worker (it takes the send tasks and enqueues their
//! follow-ups, as delivery does when a send is finished).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use leadwire_core::attributes::AttributeLimits;
use leadwire_core::config::Config;
use leadwire_core::profile::Profile;
use leadwire_core::queue::SendTask;
use leadwire_core::track::UserIdentifier;
use leadwire_engine::delivery::{
    DeliverySettings, DeliveryWorker, ManualClock, RecordSummary, WorkerInputs,
};
use leadwire_engine::journeys::Journeys;
use leadwire_engine::metrics::Metrics;
use leadwire_engine::workers::{WorkerOptions, Workers};
use leadwire_store::ingest::{TrackRequest, track};
use leadwire_store::sql::sqlite::SqliteStore;
use leadwire_store::{CanvasEntry, JobPayload, NewTask, Queue, Store, Task};
use serde_json::Value;

pub struct Harness {
    pub store: Arc<dyn Store>,
    pub workers: Workers,
    pub now: DateTime<Utc>,
    location: Location,
    config: Arc<Config>,
}

/// Where the test database lives.
#[derive(Clone)]
enum Location {
    Sqlite(PathBuf),
    Postgres { url: String, schema: String },
}

impl Harness {
    /// A harness over a new SQLite file.
    pub async fn new(config_toml: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("leadwire-journeys-{}.db", uuid::Uuid::new_v4()));
        Self::with_location(config_toml, Location::Sqlite(path)).await
    }

    /// A harness over a new schema of `LEADWIRE_TEST_DATABASE_URL`; `None` when it is unset.
    pub async fn postgres(config_toml: &str) -> Option<Self> {
        use sqlx::Connection;
        let Ok(url) = std::env::var("LEADWIRE_TEST_DATABASE_URL") else {
            // Written to stderr directly, past the test harness's capture, so the skip is seen.
            let _ = writeln!(
                std::io::stderr(),
                "notice: LEADWIRE_TEST_DATABASE_URL is not set; a journeys test on PostgreSQL was skipped"
            );
            return None;
        };
        let schema = format!("lw_journeys_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::postgres::PgConnection::connect(&url)
            .await
            .expect("connect to LEADWIRE_TEST_DATABASE_URL");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut admin)
            .await
            .expect("create a test schema");
        admin.close().await.ok();
        Some(Self::with_location(config_toml, Location::Postgres { url, schema }).await)
    }

    async fn with_location(config_toml: &str, location: Location) -> Self {
        let config: Config = toml::from_str(config_toml).expect("a valid test config");
        // Ahead of the wall clock by more than any setup takes: the store enqueues trigger
        // jobs due at the wall clock's now, and they must be due at the harness's first run.
        let start = Utc::now() + TimeDelta::minutes(5);
        Self::open(location, Arc::new(config), start).await
    }

    async fn open(location: Location, config: Arc<Config>, now: DateTime<Utc>) -> Self {
        let store: Arc<dyn Store> = match &location {
            Location::Sqlite(path) => Arc::new(
                SqliteStore::open(path, 2)
                    .await
                    .expect("open the SQLite store"),
            ),
            Location::Postgres { url, schema } => {
                let options: sqlx::postgres::PgConnectOptions = url
                    .parse()
                    .expect("LEADWIRE_TEST_DATABASE_URL is a PostgreSQL URL");
                let options = options.options([("search_path", schema.as_str())]);
                Arc::new(
                    leadwire_store::sql::postgres::PostgresStore::open(options, 4)
                        .await
                        .expect("open the PostgreSQL store"),
                )
            }
        };
        store.set_trigger_interest(config.trigger_interest());
        let journeys = Journeys::new(store.clone(), config.clone(), AttributeLimits::default());
        let workers = Workers::new(Arc::new(journeys), WorkerOptions::default());
        Self {
            store,
            workers,
            now,
            location,
            config,
        }
    }

    /// Closes the store and opens the same database again, as a restart does.
    pub async fn restart(self) -> Self {
        self.store.close().await;
        Self::open(self.location.clone(), self.config.clone(), self.now).await
    }

    pub fn advance(&mut self, by: TimeDelta) {
        self.now += by;
    }

    /// Runs every job due now.
    pub async fn run(&self) -> usize {
        self.workers
            .run_until_idle(self.now)
            .await
            .expect("the workers run")
    }

    /// `/users/track` at the harness's clock; events and purchases without a `time` get now.
    pub async fn track(&self, body: Value) {
        let now = Value::String(self.now.to_rfc3339());
        let get = |key: &str| {
            body.get(key).and_then(Value::as_array).map(|items| {
                items
                    .iter()
                    .cloned()
                    .map(|mut item| {
                        if let Some(object) = item.as_object_mut().filter(|_| key != "attributes") {
                            object.entry("time").or_insert_with(|| now.clone());
                        }
                        item
                    })
                    .collect::<Vec<_>>()
            })
        };
        let request = TrackRequest {
            attributes: get("attributes"),
            events: get("events"),
            purchases: get("purchases"),
        };
        let outcome = track(
            &*self.store,
            &request,
            &AttributeLimits::default(),
            self.now,
        )
        .await
        .expect("track");
        assert!(
            outcome.errors.is_empty(),
            "track errors: {:?}",
            outcome.errors
        );
    }

    pub async fn profile(&self, external_id: &str) -> Profile {
        self.store
            .find_profile(&UserIdentifier::ExternalId(external_id.into()))
            .await
            .expect("find profile")
            .expect("the profile exists")
    }

    pub async fn entries(&self, external_id: &str, canvas: &str) -> Vec<CanvasEntry> {
        let profile = self.profile(external_id).await;
        self.store
            .canvas_entries(profile.id, Some(canvas))
            .await
            .expect("canvas entries")
    }

    /// Takes every send task due now and enqueues its follow-up, as the delivery worker
    /// does when a send is finished.
    pub async fn deliver(&self) -> Vec<SendTask> {
        let jobs = self
            .store
            .claim(
                Queue::Sends,
                self.now,
                std::time::Duration::from_secs(60),
                1000,
            )
            .await
            .expect("claim sends");
        let mut sends = Vec::new();
        for job in jobs {
            let JobPayload::Task(Task::Send(send)) = job.payload.clone() else {
                panic!("a send job carries a send task: {job:?}");
            };
            let mut tx = self.store.begin().await.expect("begin");
            if let Some(follow_up) = &send.follow_up {
                tx.enqueue(&NewTask::new((*follow_up.task).clone(), self.now))
                    .await
                    .expect("enqueue the follow-up");
            }
            tx.complete_job(&job).await.expect("complete the send");
            tx.commit().await.expect("commit");
            sends.push(send);
        }
        sends
    }

    /// Runs the real delivery worker over every send due now, on a clock at the harness's
    /// time. Meant for sends that end without a request (aborted, or refused by the URL
    /// policy): a public URL would be called for real.
    pub async fn deliver_for_real(&self) -> RecordSummary {
        let worker = DeliveryWorker::new(WorkerInputs {
            store: self.store.clone(),
            config: self.config.clone(),
            settings: DeliverySettings::default(),
            metrics: Arc::new(Metrics::new()),
            clock: Arc::new(ManualClock::new(self.now)),
            env: Box::new(|_| None),
        })
        .expect("the delivery worker builds");
        worker.drain().await.expect("delivery runs")
    }

    /// Runs one SQL statement on the harness's database, beside the store: to plant a row
    /// the store would never write (damaged, or from another version).
    pub async fn execute(&self, sql: &str) {
        use sqlx::Connection;
        match &self.location {
            Location::Sqlite(path) => {
                let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
                run_once(sqlx::SqliteConnection::connect_with(&options).await, sql).await;
            }
            Location::Postgres { url, schema } => {
                let options: sqlx::postgres::PgConnectOptions = url
                    .parse()
                    .expect("LEADWIRE_TEST_DATABASE_URL is a PostgreSQL URL");
                let options = options.options([("search_path", schema.as_str())]);
                run_once(sqlx::PgConnection::connect_with(&options).await, sql).await;
            }
        }
    }

    pub async fn finish(self) {
        use sqlx::Connection;
        self.store.close().await;
        match self.location {
            Location::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    std::fs::remove_file(file).ok();
                }
            }
            Location::Postgres { url, schema } => {
                if let Ok(mut admin) = sqlx::postgres::PgConnection::connect(&url).await {
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

/// Runs `sql` on a new connection to the test database, then closes it.
async fn run_once<C>(connection: Result<C, sqlx::Error>, sql: &str)
where
    C: sqlx::Connection,
    for<'c> &'c mut C: sqlx::Executor<'c, Database = C::Database>,
    for<'q> <C::Database as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, C::Database>,
{
    let mut connection = connection.expect("connect to the test database");
    sqlx::query(sql)
        .execute(&mut connection)
        .await
        .expect("run the statement");
    connection.close().await.ok();
}
