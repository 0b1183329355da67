//! API-triggered campaign broadcasts past their template's `bulk_threshold`, against the
//! emulator on a real socket, on SQLite and on PostgreSQL (`LEADWIRE_TEST_DATABASE_URL`):
//! the broadcast goes through one Bulk API 2.0 job (no sObject call), each user its audience
//! admits gets one activity entry with the campaign as its source, a run stopped after its
//! upload and picked up by a restarted worker neither uploads twice nor loses a user, a
//! repeated broadcast skips the users who received it (but not those whose record failed,
//! whose receipt was released), and below the threshold the
//! broadcast sends a request per user as before.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use leadwire_core::activity::{ActivityEntry, ActivityType, MessageSource};
use leadwire_core::attributes::{AttributeLimits, ProfileChanges};
use leadwire_core::config::Config;
use leadwire_core::profile::Profile;
use leadwire_engine::bulk::{BulkLane, BulkSettings};
use leadwire_engine::delivery::{DeliverySettings, DeliveryWorker, ManualClock, WorkerInputs};
use leadwire_engine::journeys::Journeys;
use leadwire_engine::journeys::api::{ApiTrigger, trigger_campaign};
use leadwire_engine::metrics::Metrics;
use leadwire_engine::workers::{WorkerOptions, Workers};
use leadwire_salesforce::fields::CustomFieldConfig;
use leadwire_salesforce_emulator::{
    ApiFamily, EmulatorConfig, EmulatorHandle, EmulatorState, FaultSettings, ServeOptions, spawn,
};
use leadwire_store::sql::sqlite::SqliteStore;
use leadwire_store::{ActivityQuery, ProfileWrite, Queue, Store};
use serde_json::json;
use uuid::Uuid;

const CLIENT_ID: &str = "leadwire-test-client";
const CLIENT_SECRET: &str = "test-secret-0123456789abcdef";

/// Users seeded; every fourth is on the free plan, outside the campaign's audience.
const USERS: usize = 80;
const PRO: usize = 60;

/// The test config; `audience` gives the campaign its pro-plan audience.
fn config_text(instance_url: &str, threshold: u64, audience: bool) -> String {
    let audience = if audience {
        r#"audience = [{ attribute = "plan", op = "equals", value = "pro" }]"#
    } else {
        ""
    };
    format!(
        r#"
[[salesforce_connections]]
name = "emulator"
instance_url = "{instance_url}"
client_id = "{CLIENT_ID}"
client_secret_env = "EMULATOR_SECRET"

[[webhook_templates]]
name = "Upsert Lead"
connection = "emulator"
url = "{{{{connections.emulator.instance_url}}}}/services/data/v60.0/sobjects/Lead/Leadwire_Id__c/{{{{${{braze_id}}}}}}"
method = "PATCH"
bulk_threshold = {threshold}
[webhook_templates.headers]
Authorization = "Bearer {{{{connections.emulator.access_token}}}}"
Content-Type = "application/json"
[webhook_templates.body.json]
LastName = "{{{{${{last_name}}}}}}"
Company = "{{{{api_trigger_properties.${{company}}}}}}"

[[campaigns]]
name = "Announce"
api_id = "announce"
template = "Upsert Lead"
delivery = "api_triggered"
{audience}
"#
    )
}

/// Where the test database lives.
#[derive(Clone)]
enum Location {
    Sqlite(std::path::PathBuf),
    Postgres { url: String, schema: String },
}

impl Location {
    fn sqlite() -> Self {
        Self::Sqlite(std::env::temp_dir().join(format!("leadwire-bulkcast-{}.db", Uuid::new_v4())))
    }

    /// A new schema of `LEADWIRE_TEST_DATABASE_URL`; `None` (said on stderr) when unset.
    async fn postgres() -> Option<Self> {
        use sqlx::Connection;
        let Ok(url) = std::env::var("LEADWIRE_TEST_DATABASE_URL") else {
            let _ = writeln!(
                std::io::stderr(),
                "notice: LEADWIRE_TEST_DATABASE_URL is not set; a bulk broadcast test on PostgreSQL was skipped"
            );
            return None;
        };
        let schema = format!("lw_bulkcast_{}", Uuid::new_v4().simple());
        let mut admin = sqlx::postgres::PgConnection::connect(&url)
            .await
            .expect("connect to LEADWIRE_TEST_DATABASE_URL");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut admin)
            .await
            .expect("create a test schema");
        admin.close().await.ok();
        Some(Self::Postgres { url, schema })
    }

    /// Another database of the same kind, empty.
    async fn fresh(&self) -> Self {
        match self {
            Self::Sqlite(_) => Self::sqlite(),
            Self::Postgres { .. } => Self::postgres()
                .await
                .expect("LEADWIRE_TEST_DATABASE_URL was set a moment ago"),
        }
    }

    async fn open(&self) -> Arc<dyn Store> {
        match self {
            Self::Sqlite(path) => Arc::new(SqliteStore::open(path, 4).await.expect("open SQLite")),
            Self::Postgres { url, schema } => {
                let options: sqlx::postgres::PgConnectOptions =
                    url.parse().expect("a PostgreSQL URL");
                let options = options.options([("search_path", schema.as_str())]);
                Arc::new(
                    leadwire_store::sql::postgres::PostgresStore::open(options, 4)
                        .await
                        .expect("open PostgreSQL"),
                )
            }
        }
    }
}

/// A node's workers: the journeys, the delivery worker and its bulk lane, over one store.
struct Node {
    store: Arc<dyn Store>,
    workers: Workers,
    delivery: Arc<DeliveryWorker>,
    bulk: BulkLane,
}

struct Setup {
    location: Location,
    emulator: EmulatorHandle,
    config: Arc<Config>,
    now: DateTime<Utc>,
}

impl Setup {
    async fn new(location: Location, threshold: u64) -> Self {
        Self::with_audience(location, threshold, true).await
    }

    async fn with_audience(location: Location, threshold: u64, audience: bool) -> Self {
        let mut external = CustomFieldConfig::text("Leadwire_Id__c");
        external.external_id = true;
        let state = EmulatorState::new(EmulatorConfig {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            custom_fields: vec![external],
            daily_api_limit: 10_000_000,
            ..EmulatorConfig::default()
        })
        .expect("valid emulator config");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let options = ServeOptions {
            plain_http: true,
            cert_out: None,
        };
        let emulator = spawn(state, listener, options)
            .await
            .expect("emulator starts");
        let config: Config = toml::from_str(&config_text(&emulator.base_url, threshold, audience))
            .expect("a valid config");
        Self {
            location,
            emulator,
            config: Arc::new(config),
            now: Utc::now() + TimeDelta::minutes(5),
        }
    }

    async fn node(&self, bulk: BulkSettings) -> Node {
        let store = self.location.open().await;
        store.set_trigger_interest(self.config.trigger_interest());
        let journeys = Journeys::new(
            store.clone(),
            self.config.clone(),
            AttributeLimits::default(),
        );
        let workers = Workers::new(Arc::new(journeys), WorkerOptions::default());
        let delivery = DeliveryWorker::new(WorkerInputs {
            store: store.clone(),
            config: self.config.clone(),
            settings: DeliverySettings {
                allowed_hosts: vec!["127.0.0.1".into()],
                ..DeliverySettings::default()
            },
            metrics: Arc::new(Metrics::new()),
            clock: Arc::new(ManualClock::new(self.now)),
            env: Box::new(|name| (name == "EMULATOR_SECRET").then(|| CLIENT_SECRET.to_owned())),
        })
        .expect("the delivery worker builds");
        let delivery = Arc::new(delivery);
        let bulk = BulkLane::new(delivery.clone()).with_settings(bulk);
        Node {
            store,
            workers,
            delivery,
            bulk,
        }
    }
}

fn bulk_settings() -> BulkSettings {
    BulkSettings {
        poll_first: Duration::from_millis(20),
        poll_max: Duration::from_millis(200),
        ..BulkSettings::default()
    }
}

/// `USERS` profiles, `PRO` of them on the pro plan; their ids, pro ones first.
async fn seed(store: &dyn Store) -> (Vec<Uuid>, Vec<Uuid>) {
    let now = Utc::now();
    let mut profiles = Vec::with_capacity(USERS);
    for n in 0..USERS {
        let mut profile = Profile::new(Uuid::new_v4(), now);
        profile
            .standard
            .insert("last_name".into(), json!(format!("Lovelace {n}")));
        let plan = if n % 4 == 3 { "free" } else { "pro" };
        profile.custom.insert("plan".into(), json!(plan));
        profiles.push(profile);
    }
    let changes = ProfileChanges::default();
    let mut tx = store.begin().await.expect("begin");
    let writes: Vec<ProfileWrite<'_>> = profiles
        .iter()
        .map(|profile| ProfileWrite {
            profile,
            changes: &changes,
        })
        .collect();
    tx.save_profiles(&writes).await.expect("save profiles");
    tx.commit().await.expect("commit");
    let (pro, free): (Vec<&Profile>, Vec<&Profile>) = profiles
        .iter()
        .partition(|profile| profile.custom.get("plan") == Some(&json!("pro")));
    (
        pro.iter().map(|profile| profile.id).collect(),
        free.iter().map(|profile| profile.id).collect(),
    )
}

async fn broadcast(node: &Node, now: DateTime<Utc>) {
    let body = json!({
        "campaign_id": "announce",
        "broadcast": true,
        "trigger_properties": {"company": "Analytical Engines"}
    });
    let body = body.as_object().expect("an object");
    let request =
        ApiTrigger::parse(body, "campaign_id", "trigger_properties").expect("a valid broadcast");
    trigger_campaign(node.workers.journeys(), &request, now)
        .await
        .expect("broadcast accepted");
    node.workers
        .run_until_idle(now)
        .await
        .expect("the workers run");
}

async fn entries_by_user(store: &dyn Store) -> HashMap<Uuid, Vec<ActivityEntry>> {
    let mut by_user: HashMap<Uuid, Vec<ActivityEntry>> = HashMap::new();
    let mut query = ActivityQuery::default();
    loop {
        let page = store.activity(&query).await.expect("activity");
        for entry in page.entries {
            by_user.entry(entry.user_id).or_default().push(entry);
        }
        match page.next {
            Some(next) => query.before = Some(next),
            None => return by_user,
        }
    }
}

/// One `success` entry per pro user with the campaign as its source, none for the others.
async fn assert_one_campaign_entry_each(store: &dyn Store, pro: &[Uuid], free: &[Uuid]) {
    let entries = entries_by_user(store).await;
    for user in pro {
        let mine = entries.get(user).map(Vec::as_slice).unwrap_or_default();
        assert_eq!(mine.len(), 1, "one entry for {user}: {mine:#?}");
        let entry = &mine[0];
        assert_eq!(entry.activity_type, ActivityType::Success, "{entry:#?}");
        assert_eq!(
            entry.source,
            MessageSource::Campaign {
                campaign: "Announce".into()
            }
        );
        assert!(
            entry.tracking_send_id.is_some(),
            "tracked under the broadcast's send id"
        );
    }
    for user in free {
        assert!(
            !entries.contains_key(user),
            "{user} is outside the audience"
        );
    }
}

async fn above_the_threshold_one_bulk_job_sends_each_user_once(location: Location) {
    let setup = Setup::new(location, 50).await;
    let node = setup.node(bulk_settings()).await;
    let (pro, free) = seed(&*node.store).await;
    broadcast(&node, setup.now).await;
    assert_eq!(
        node.store
            .pending_jobs(Queue::Sends)
            .await
            .expect("pending"),
        0
    );
    assert_eq!(
        node.store.pending_jobs(Queue::Bulk).await.expect("pending"),
        1
    );
    assert!(node.bulk.run_once().await.expect("bulk runs"));
    assert_eq!(
        node.store.pending_jobs(Queue::Bulk).await.expect("pending"),
        0
    );
    let stats = setup.emulator.stats();
    assert_eq!(stats.bulk.uploads, 1, "one job for {PRO} users");
    assert_eq!(
        stats.api(ApiFamily::Sobjects).requests,
        0,
        "no call per user"
    );
    assert!(stats.api(ApiFamily::BulkIngest).requests > 0);
    assert_eq!(setup.emulator.state().lead_count(), PRO);
    assert_one_campaign_entry_each(&*node.store, &pro, &free).await;

    // The campaign is not re-eligible: a second broadcast sends nobody again.
    broadcast(&node, setup.now).await;
    assert_eq!(
        node.store
            .pending_jobs(Queue::Sends)
            .await
            .expect("pending"),
        0
    );
    assert!(node.bulk.run_once().await.expect("bulk runs"));
    assert_eq!(
        node.store.pending_jobs(Queue::Bulk).await.expect("pending"),
        0
    );
    assert_eq!(setup.emulator.stats().bulk.uploads, 1, "no second job");
    assert_one_campaign_entry_each(&*node.store, &pro, &free).await;
    node.store.close().await;
}

async fn a_run_stopped_after_its_upload_resumes_on_a_restarted_node(location: Location) {
    let setup = Setup::new(location, 50).await;
    let node = setup
        .node(BulkSettings {
            stop_after_upload: true,
            ..bulk_settings()
        })
        .await;
    let (pro, free) = seed(&*node.store).await;
    broadcast(&node, setup.now).await;
    assert!(
        node.bulk
            .run_once()
            .await
            .expect("bulk runs until the stop")
    );
    assert_eq!(setup.emulator.stats().bulk.uploads, 1);
    assert_eq!(
        node.store.pending_jobs(Queue::Bulk).await.expect("pending"),
        1,
        "the job waits to run again"
    );
    node.store.close().await;
    drop(node);

    let later = Setup {
        now: setup.now + TimeDelta::minutes(2),
        ..setup
    };
    let node = later.node(bulk_settings()).await;
    assert!(node.bulk.run_once().await.expect("the run resumes"));
    assert_eq!(
        later.emulator.stats().bulk.uploads,
        1,
        "never uploaded twice"
    );
    assert_eq!(
        node.store.pending_jobs(Queue::Bulk).await.expect("pending"),
        0
    );
    assert_one_campaign_entry_each(&*node.store, &pro, &free).await;
    node.store.close().await;
}

async fn a_failed_record_releases_its_receipt(location: Location) {
    let setup = Setup::new(location, 50).await;
    let node = setup.node(bulk_settings()).await;
    let (pro, free) = seed(&*node.store).await;
    setup
        .emulator
        .state()
        .set_faults(FaultSettings {
            bulk_row_failure_rate: 0.3,
            seed: 7,
            ..FaultSettings::default()
        })
        .expect("valid faults");
    broadcast(&node, setup.now).await;
    assert!(node.bulk.run_once().await.expect("bulk runs"));
    let entries = entries_by_user(&*node.store).await;
    let failed: Vec<Uuid> = pro
        .iter()
        .copied()
        .filter(|user| entries[user][0].activity_type == ActivityType::WebhookError)
        .collect();
    assert!(
        !failed.is_empty() && failed.len() < PRO,
        "{} failed",
        failed.len()
    );
    assert_eq!(setup.emulator.state().lead_count(), PRO - failed.len());
    let kept = entries[&failed[0]][0].trigger_properties.clone();
    let kept = kept.and_then(|properties| properties.api_trigger_properties);
    assert_eq!(
        kept.and_then(|properties| properties.get("company").cloned()),
        Some(json!("Analytical Engines")),
        "a failed entry keeps what a replay renders with"
    );

    // Only the users whose record failed qualify again.
    setup
        .emulator
        .state()
        .set_faults(FaultSettings::default())
        .expect("no faults");
    broadcast(&node, setup.now).await;
    assert!(node.bulk.run_once().await.expect("bulk runs"));
    assert_eq!(setup.emulator.stats().bulk.uploads, 2);
    assert_eq!(setup.emulator.state().lead_count(), PRO);
    let entries = entries_by_user(&*node.store).await;
    for user in &pro {
        let kinds: Vec<ActivityType> = entries[user].iter().map(|e| e.activity_type).collect();
        let expected = if failed.contains(user) { 2 } else { 1 };
        assert_eq!(kinds.len(), expected, "{user}: {kinds:?}");
        assert!(kinds.contains(&ActivityType::Success), "{user}: {kinds:?}");
    }
    assert!(free.iter().all(|user| !entries.contains_key(user)));
    node.store.close().await;
}

/// With no audience every profile counts: one past the threshold is a Bulk run, exactly at
/// it each user is a send.
async fn without_an_audience_every_profile_counts(location: Location) {
    for (threshold, bulk_runs, sends) in [(USERS - 1, 1, 0), (USERS, 0, USERS)] {
        let setup = Setup::with_audience(location.fresh().await, threshold as u64, false).await;
        let node = setup.node(bulk_settings()).await;
        seed(&*node.store).await;
        broadcast(&node, setup.now).await;
        let pending = |queue| node.store.pending_jobs(queue);
        assert_eq!(
            pending(Queue::Bulk).await.expect("pending"),
            bulk_runs,
            "threshold {threshold}"
        );
        assert_eq!(
            pending(Queue::Sends).await.expect("pending"),
            sends as u64,
            "threshold {threshold}"
        );
        node.store.close().await;
    }
}

async fn below_the_threshold_each_user_is_a_send(location: Location) {
    let setup = Setup::new(location, 500).await;
    let node = setup.node(bulk_settings()).await;
    let (pro, free) = seed(&*node.store).await;
    broadcast(&node, setup.now).await;
    assert_eq!(
        node.store.pending_jobs(Queue::Bulk).await.expect("pending"),
        0
    );
    assert_eq!(
        node.store
            .pending_jobs(Queue::Sends)
            .await
            .expect("pending"),
        u64::try_from(PRO).expect("small")
    );
    node.delivery.drain().await.expect("delivery runs");
    let stats = setup.emulator.stats();
    assert_eq!(stats.bulk.uploads, 0);
    assert_eq!(
        stats.api(ApiFamily::Sobjects).requests,
        u64::try_from(PRO).expect("small")
    );
    assert_one_campaign_entry_each(&*node.store, &pro, &free).await;
    node.store.close().await;
}

#[tokio::test]
async fn sqlite_above_the_threshold_one_bulk_job_sends_each_user_once() {
    above_the_threshold_one_bulk_job_sends_each_user_once(Location::sqlite()).await;
}

#[tokio::test]
async fn postgres_above_the_threshold_one_bulk_job_sends_each_user_once() {
    if let Some(location) = Location::postgres().await {
        above_the_threshold_one_bulk_job_sends_each_user_once(location).await;
    }
}

#[tokio::test]
async fn sqlite_a_run_stopped_after_its_upload_resumes_on_a_restarted_node() {
    a_run_stopped_after_its_upload_resumes_on_a_restarted_node(Location::sqlite()).await;
}

#[tokio::test]
async fn postgres_a_run_stopped_after_its_upload_resumes_on_a_restarted_node() {
    if let Some(location) = Location::postgres().await {
        a_run_stopped_after_its_upload_resumes_on_a_restarted_node(location).await;
    }
}

#[tokio::test]
async fn sqlite_a_failed_record_releases_its_receipt() {
    a_failed_record_releases_its_receipt(Location::sqlite()).await;
}

#[tokio::test]
async fn postgres_a_failed_record_releases_its_receipt() {
    if let Some(location) = Location::postgres().await {
        a_failed_record_releases_its_receipt(location).await;
    }
}

#[tokio::test]
async fn sqlite_below_the_threshold_each_user_is_a_send() {
    below_the_threshold_each_user_is_a_send(Location::sqlite()).await;
}

#[tokio::test]
async fn postgres_below_the_threshold_each_user_is_a_send() {
    if let Some(location) = Location::postgres().await {
        below_the_threshold_each_user_is_a_send(location).await;
    }
}

#[tokio::test]
async fn sqlite_without_an_audience_every_profile_counts() {
    without_an_audience_every_profile_counts(Location::sqlite()).await;
}

#[tokio::test]
async fn postgres_without_an_audience_every_profile_counts() {
    if let Some(location) = Location::postgres().await {
        without_an_audience_every_profile_counts(location).await;
    }
}
