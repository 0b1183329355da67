//! A SQLite store (or a PostgreSQL schema of `LEADWIRE_TEST_DATABASE_URL`), an emulator on
//! port 0 and a delivery worker on a manual clock.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use leadwire_core::activity::{ActivityEntry, ActivityType, MessageSource};
use leadwire_core::attributes::ProfileChanges;
use leadwire_core::config::Config;
use leadwire_core::profile::Profile;
use leadwire_core::queue::{CanvasTask, FollowUp, SendTask};
use leadwire_core::time::Interval;
use leadwire_engine::delivery::{DeliverySettings, DeliveryWorker, ManualClock, WorkerInputs};
use leadwire_engine::metrics::Metrics;
use leadwire_salesforce::fields::CustomFieldConfig;
use leadwire_salesforce_emulator::{
    EmulatorConfig, EmulatorHandle, EmulatorState, ServeOptions, spawn,
};
use leadwire_store::sql::sqlite::SqliteStore;
use leadwire_store::{ActivityQuery, NewTask, ProfileWrite, Queue, Store};
use serde_json::json;
use uuid::Uuid;

pub const CLIENT_ID: &str = "leadwire-test-client";
pub const CLIENT_SECRET: &str = "test-secret-0123456789abcdef";

/// The seed's Create Lead, verbatim but for the host: a `connected_content` token call in
/// the Authorization header.
pub const SEED_CREATE: &str = r#"
[[webhook_templates]]
name = "Create Lead"
connection = "emulator"
url = "{{connection.instance_url}}/services/data/v60.0/sobjects/Lead/"
method = "POST"
capture = [{ field = "id", save_to = "custom_attribute.salesforce_lead_id" }]
[webhook_templates.headers]
Authorization = "{% connected_content {{connection.login_url}}/services/oauth2/token :method post :body client_id={{connection.client_id}}&client_secret={{connection.client_secret}}&grant_type=client_credentials :save result %}Bearer {{result.access_token}}"
Content-Type = "application/json"
[webhook_templates.body.json]
firstName = "{{${first_name}}}"
lastName = "{{${last_name}}}"
email = "{{${email_address}}}"
company = "{{custom_attribute.${company}}}"
"#;

/// The upsert variant: PATCH by an external-id field, safe to retry.
pub const UPSERT: &str = r#"
[[webhook_templates]]
name = "Upsert Lead"
connection = "emulator"
url = "{{connections.emulator.instance_url}}/services/data/v60.0/sobjects/Lead/Leadwire_Id__c/{{${user_id}}}"
method = "PATCH"
[webhook_templates.headers]
Authorization = "Bearer {{connections.emulator.access_token}}"
[webhook_templates.body.json]
LastName = "{{${last_name}}}"
Company = "{{custom_attribute.${company}}}"
Email = "{{${email_address}}}"
"#;

/// Templates whose sends end without delivery: a 400, a refused URL, an abort.
pub const FAILING: &str = r#"
[[webhook_templates]]
name = "No Company"
connection = "emulator"
url = "{{connections.emulator.instance_url}}/services/data/v60.0/sobjects/Lead/"
method = "POST"
headers = { Authorization = "Bearer {{connections.emulator.access_token}}" }
body.json = { LastName = "{{${last_name}}}" }

[[webhook_templates]]
name = "Placeholder"
url = "https://[insert_instance_name].my.salesforce.com/services/data/v60.0/sobjects/Lead/"
method = "POST"
body.json = { LastName = "{{${last_name}}}" }

[[webhook_templates]]
name = "Not Yet"
url = "https://example.com/never"
method = "POST"
body.json = { stage = "{% abort_message('score below threshold') %}" }
"#;

/// A `connected_content` call that cannot be made fails the render.
pub const BAD_LOOKUP: &str = r#"
[[webhook_templates]]
name = "Bad Lookup"
url = "https://example.com/lead"
method = "POST"
body.json = { score = "{% connected_content https://[insert_host]/score :save s %}{{s.value}}" }
"#;

/// The failing templates of [`FAILING`] and [`BAD_LOOKUP`].
pub const TEMPLATES: [&str; 4] = ["No Company", "Placeholder", "Bad Lookup", "Not Yet"];

/// Three retries a minute apart, without jitter.
pub fn one_minute_retries() -> DeliverySettings {
    DeliverySettings {
        retry_delays: vec![Interval::from_seconds(60); 3],
        retry_jitter: 0.0,
        ..DeliverySettings::default()
    }
}

pub struct Harness {
    pub store: Arc<dyn Store>,
    pub emulator: EmulatorHandle,
    pub clock: Arc<ManualClock>,
    pub worker: Arc<DeliveryWorker>,
    location: Location,
}

pub fn emulator_config() -> EmulatorConfig {
    let mut external = CustomFieldConfig::text("Leadwire_Id__c");
    external.external_id = true;
    EmulatorConfig {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        custom_fields: vec![external],
        daily_api_limit: 10_000_000,
        ..EmulatorConfig::default()
    }
}

pub async fn start(templates: &str, settings: DeliverySettings) -> Harness {
    start_with(templates, settings, |worker| worker).await
}

/// As [`start`], with `adjust` applied to the worker before it is shared.
pub async fn start_with(
    templates: &str,
    settings: DeliverySettings,
    adjust: impl FnOnce(DeliveryWorker) -> DeliveryWorker,
) -> Harness {
    let db_path = std::env::temp_dir().join(format!("leadwire-delivery-{}.db", Uuid::new_v4()));
    open(templates, settings, adjust, Location::Sqlite(db_path)).await
}

/// Where a harness keeps its store.
pub enum Backend {
    Sqlite,
    Postgres,
}

/// As [`start`], on `backend`; `None` (said on stderr) for PostgreSQL when
/// `LEADWIRE_TEST_DATABASE_URL` is unset.
pub async fn start_on(
    backend: Backend,
    templates: &str,
    settings: DeliverySettings,
) -> Option<Harness> {
    use sqlx::Connection as _;
    use std::io::Write as _;
    let Backend::Postgres = backend else {
        return Some(start(templates, settings).await);
    };
    let Ok(url) = std::env::var("LEADWIRE_TEST_DATABASE_URL") else {
        // Written to stderr directly, past the test harness's capture, so the skip is seen.
        let _ = writeln!(
            std::io::stderr(),
            "notice: LEADWIRE_TEST_DATABASE_URL is not set; a delivery test on PostgreSQL was skipped"
        );
        return None;
    };
    let schema = format!("lw_delivery_{}", Uuid::new_v4().simple());
    let mut admin = sqlx::postgres::PgConnection::connect(&url)
        .await
        .expect("connect to LEADWIRE_TEST_DATABASE_URL");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("create a test schema");
    admin.close().await.ok();
    let location = Location::Postgres { url, schema };
    Some(open(templates, settings, |worker| worker, location).await)
}

enum Location {
    Sqlite(std::path::PathBuf),
    Postgres { url: String, schema: String },
}

async fn open_store(location: &Location) -> Arc<dyn Store> {
    match location {
        Location::Sqlite(path) => Arc::new(SqliteStore::open(path, 4).await.expect("open store")),
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
    }
}

async fn open(
    templates: &str,
    settings: DeliverySettings,
    adjust: impl FnOnce(DeliveryWorker) -> DeliveryWorker,
    location: Location,
) -> Harness {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let state = EmulatorState::new(emulator_config()).expect("valid emulator config");
    let options = ServeOptions {
        plain_http: true,
        cert_out: None,
    };
    let emulator = spawn(state, listener, options)
        .await
        .expect("emulator starts");
    let store = open_store(&location).await;
    let source = format!(
        "[[salesforce_connections]]\nname = \"emulator\"\ninstance_url = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret_env = \"EMULATOR_SECRET\"\n{templates}",
        emulator.base_url
    );
    let config: Config = toml::from_str(&source).expect("valid test config");
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let env: HashMap<String, String> =
        [("EMULATOR_SECRET".to_owned(), CLIENT_SECRET.to_owned())].into();
    let worker = DeliveryWorker::new(WorkerInputs {
        store: store.clone(),
        config: Arc::new(config),
        settings: DeliverySettings {
            allowed_hosts: vec!["127.0.0.1".into()],
            ..settings
        },
        metrics: Arc::new(Metrics::new()),
        clock: clock.clone(),
        env: Box::new(move |name| env.get(name).cloned()),
    })
    .expect("worker builds");
    Harness {
        store,
        emulator,
        clock,
        worker: Arc::new(adjust(worker)),
        location,
    }
}

impl Harness {
    /// Creates `count` profiles (external ids `lead-<id>`) and one send of `template` each.
    pub async fn enqueue_sends(&self, count: usize, template: &str, follow_up: bool) -> Vec<Uuid> {
        self.enqueue_sends_with(count, template, follow_up, |_| {})
            .await
    }

    /// As [`Self::enqueue_sends`], with `adjust` applied to each send task.
    pub async fn enqueue_sends_with(
        &self,
        count: usize,
        template: &str,
        follow_up: bool,
        adjust: impl Fn(&mut SendTask),
    ) -> Vec<Uuid> {
        let now = self.clock.now_for_tests();
        let mut profiles = Vec::with_capacity(count);
        for n in 0..count {
            let mut profile = Profile::new(Uuid::new_v4(), now);
            profile.external_id = Some(format!("lead-{}", profile.id.simple()));
            profile.standard.insert("first_name".into(), json!("Ada"));
            profile
                .standard
                .insert("last_name".into(), json!(format!("Lovelace {n}")));
            profile
                .standard
                .insert("email".into(), json!(format!("ada{n}@example.com")));
            profile
                .custom
                .insert("company".into(), json!("Analytical Engines"));
            profiles.push(profile);
        }
        let changes = ProfileChanges::default();
        let mut tx = self.store.begin().await.expect("begin");
        let writes: Vec<ProfileWrite<'_>> = profiles
            .iter()
            .map(|profile| ProfileWrite {
                profile,
                changes: &changes,
            })
            .collect();
        tx.save_profiles(&writes).await.expect("save profiles");
        for profile in &profiles {
            let mut task = SendTask {
                send_id: Uuid::new_v4(),
                user_id: profile.id,
                template: template.into(),
                source: MessageSource::Campaign {
                    campaign: "New lead".into(),
                },
                created_at: now,
                event_properties: None,
                api_trigger_properties: None,
                canvas_entry_properties: None,
                follow_up: follow_up.then(|| {
                    FollowUp::new(CanvasTask {
                        entry_id: Uuid::new_v4(),
                        user_id: Some(profile.id),
                        seq: 1,
                        message_finished: true,
                    })
                }),
                webhook: None,
                tracking_send_id: None,
            };
            adjust(&mut task);
            tx.enqueue(&NewTask::new(task, now)).await.expect("enqueue");
        }
        tx.commit().await.expect("commit");
        profiles.iter().map(|profile| profile.id).collect()
    }

    /// Drains due sends, then moves the clock an hour, until nothing is pending (bounded).
    pub async fn deliver_everything(&self) {
        for _ in 0..40 {
            self.worker.drain().await.expect("drain");
            if self
                .store
                .pending_jobs(Queue::Sends)
                .await
                .expect("pending")
                == 0
            {
                return;
            }
            self.clock.advance(TimeDelta::hours(1));
        }
        panic!("sends still pending after 40 simulated hours");
    }

    pub async fn activity(&self) -> Vec<ActivityEntry> {
        let mut all = Vec::new();
        let mut query = ActivityQuery::default();
        loop {
            let page = self.store.activity(&query).await.expect("activity");
            all.extend(page.entries);
            match page.next {
                Some(cursor) => query.before = Some(cursor),
                None => return all,
            }
        }
    }

    /// How many success entries the activity log holds.
    pub async fn successes(&self) -> usize {
        self.activity()
            .await
            .iter()
            .filter(|entry| entry.activity_type == ActivityType::Success)
            .count()
    }

    pub async fn finish(self) {
        self.store.close().await;
        self.emulator.shutdown().await;
        match &self.location {
            Location::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    std::fs::remove_file(file).ok();
                }
            }
            Location::Postgres { url, schema } => {
                use sqlx::Connection as _;
                if let Ok(mut admin) = sqlx::postgres::PgConnection::connect(url).await {
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

/// `now` of the manual clock.
pub trait ClockNow {
    fn now_for_tests(&self) -> DateTime<Utc>;
}

impl ClockNow for ManualClock {
    fn now_for_tests(&self) -> DateTime<Utc> {
        use leadwire_engine::delivery::Clock;
        self.now()
    }
}
