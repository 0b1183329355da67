//! Salesforce Bulk API 2.0 backfills against the emulator on a real socket and a SQLite
//! store: every user gets exactly one activity entry (a failure says Salesforce's
//! `sf__Error`), every other user's Lead exists once with its id captured, a backfill
//! stopped after its upload resumes without uploading again, one stopped between two jobs
//! continues after its last job, and an unfinished run is continued only with its own
//! audience, or given up.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use leadwire_core::activity::ActivityType;
use leadwire_core::attributes::ProfileChanges;
use leadwire_core::config::Config;
use leadwire_core::config::segment::Segment;
use leadwire_core::profile::Profile;
use leadwire_core::track::UserIdentifier;
use leadwire_engine::bulk::backfill::Quiet;
use leadwire_engine::bulk::{Backfill, BackfillError, BulkSettings, BulkSource};
use leadwire_engine::delivery::DeliverySettings;
use leadwire_engine::delivery::preview::standalone_renderer;
use leadwire_salesforce::fields::CustomFieldConfig;
use leadwire_salesforce_emulator::{
    EmulatorConfig, EmulatorHandle, EmulatorState, FaultSettings, ServeOptions, spawn,
};
use leadwire_store::sql::sqlite::SqliteStore;
use leadwire_store::{ActivityQuery, ProfileWrite, Store};
use serde_json::json;
use uuid::Uuid;

const CLIENT_ID: &str = "leadwire-test-client";
const CLIENT_SECRET: &str = "test-secret-0123456789abcdef";

const UPSERT: &str = r#"
[[webhook_templates]]
name = "Upsert Lead"
connection = "emulator"
url = "{{connections.emulator.instance_url}}/services/data/v60.0/sobjects/Lead/Leadwire_Id__c/{{${braze_id}}}"
method = "PATCH"
capture = [{ field = "id", save_to = "custom_attribute.salesforce_lead_id" }]
[webhook_templates.headers]
Authorization = "Bearer {{connections.emulator.access_token}}"
Content-Type = "application/json"
[webhook_templates.body.json]
LastName = "{% if custom_attribute.${blocked} %}{% abort_message('blocked') %}{% endif %}{{${last_name}}}"
Company = "{{custom_attribute.${company}}}"
Email = "{{${email_address}}}"
"#;

struct Setup {
    store: Arc<dyn Store>,
    emulator: EmulatorHandle,
    config: Config,
    users: Vec<Uuid>,
}

/// `users` profiles: every `without_company_every`th without a company (Salesforce refuses
/// its row), every `blocked_every`th blocked (its render aborts); 0 for none.
async fn setup(users: usize, without_company_every: usize, blocked_every: usize) -> Setup {
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
    let path = std::env::temp_dir().join(format!("leadwire-bulk-{}.db", Uuid::new_v4()));
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, 4).await.expect("open store"));
    let source = format!(
        "[[salesforce_connections]]\nname = \"emulator\"\ninstance_url = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret_env = \"EMULATOR_SECRET\"\n{UPSERT}",
        emulator.base_url
    );
    let config: Config = toml::from_str(&source).expect("valid test config");
    let now = Utc::now();
    let mut profiles = Vec::with_capacity(users);
    for n in 0..users {
        let mut profile = Profile::new(Uuid::new_v4(), now);
        profile
            .standard
            .insert("last_name".into(), json!(format!("Lovelace, \"{n}\"")));
        profile
            .standard
            .insert("email".into(), json!(format!("ada{n}@example.com")));
        if without_company_every == 0 || n % without_company_every != 0 {
            profile
                .custom
                .insert("company".into(), json!("Analytical Engines"));
        }
        if blocked_every > 0 && n % blocked_every == 0 {
            profile.custom.insert("blocked".into(), json!(true));
        }
        profiles.push(profile);
    }
    let changes = ProfileChanges::default();
    for page in profiles.chunks(1000) {
        let mut tx = store.begin().await.expect("begin");
        let writes: Vec<ProfileWrite<'_>> = page
            .iter()
            .map(|profile| ProfileWrite {
                profile,
                changes: &changes,
            })
            .collect();
        tx.save_profiles(&writes).await.expect("save profiles");
        tx.commit().await.expect("commit");
    }
    Setup {
        store,
        emulator,
        config,
        users: profiles.iter().map(|profile| profile.id).collect(),
    }
}

fn settings(rows: usize) -> BulkSettings {
    BulkSettings {
        max_job_rows: rows,
        poll_first: Duration::from_millis(20),
        poll_max: Duration::from_millis(200),
        ..BulkSettings::default()
    }
}

async fn run(
    setup: &Setup,
    settings: BulkSettings,
) -> Result<leadwire_engine::bulk::BackfillReport, BackfillError> {
    run_as(setup, settings, "", false, false).await
}

/// A backfill given `audience` (as `--audience` would be; everyone either way), asked to
/// `abandon` an unfinished run or not, for real or as a dry run.
async fn run_as(
    setup: &Setup,
    settings: BulkSettings,
    audience: &str,
    abandon: bool,
    dry_run: bool,
) -> Result<leadwire_engine::bulk::BackfillReport, BackfillError> {
    let env = |name: &str| (name == "EMULATOR_SECRET").then(|| CLIENT_SECRET.to_owned());
    let delivery = DeliverySettings {
        allowed_hosts: vec!["127.0.0.1".into()],
        ..DeliverySettings::default()
    };
    let renderer = standalone_renderer(&setup.config, &delivery, &env).expect("renderer");
    let backfill = Backfill {
        store: &*setup.store,
        renderer: &renderer,
        config: &setup.config,
        template: "Upsert Lead",
        audience: Segment {
            id: "all".into(),
            name: "all".into(),
            description: None,
            tags: Vec::new(),
            filters: Vec::new(),
        },
        audience_given: audience.to_owned(),
        abandon_unfinished: abandon,
        settings,
        http: reqwest::Client::new(),
        progress: &Quiet,
        source: BulkSource::Backfill,
    };
    backfill.run(dry_run).await
}

/// Every activity entry of the log, by user.
async fn entries_by_user(
    store: &dyn Store,
) -> HashMap<Uuid, Vec<leadwire_core::activity::ActivityEntry>> {
    let mut by_user: HashMap<Uuid, Vec<_>> = HashMap::new();
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

/// Checks one entry per user, failures explained, and one Lead per success, captured.
async fn assert_each_user_once(setup: &Setup, without_company_every: usize) -> (usize, usize) {
    assert_each_user_once_but_blocked(setup, without_company_every, 0).await
}

/// [`assert_each_user_once`], with every `blocked_every`th user's one entry an
/// `aborted_message`.
async fn assert_each_user_once_but_blocked(
    setup: &Setup,
    without_company_every: usize,
    blocked_every: usize,
) -> (usize, usize) {
    let entries = entries_by_user(&*setup.store).await;
    let mut succeeded = 0;
    let mut failed = 0;
    let mut lead_ids = HashSet::new();
    for (n, user) in setup.users.iter().enumerate() {
        let mine = entries.get(user).map(Vec::as_slice).unwrap_or_default();
        assert_eq!(
            mine.len(),
            1,
            "user {n} has {} entries: {mine:#?}",
            mine.len()
        );
        let entry = &mine[0];
        let profile = setup
            .store
            .find_profile(&UserIdentifier::BrazeId(*user))
            .await
            .expect("read")
            .expect("the profile exists");
        let captured = profile
            .custom
            .get("salesforce_lead_id")
            .and_then(|v| v.as_str());
        if without_company_every > 0 && n % without_company_every == 0 {
            assert_eq!(
                entry.activity_type,
                ActivityType::WebhookError,
                "{entry:#?}"
            );
            // The injected lock error is decided before the row is validated.
            let missing = entry.message.contains(
                "REQUIRED_FIELD_MISSING:Required fields are missing: [Company]:Company --",
            );
            assert!(
                missing || entry.message.contains("UNABLE_TO_LOCK_ROW"),
                "{entry:#?}"
            );
        }
        if blocked_every > 0 && n % blocked_every == 0 {
            assert_eq!(
                entry.activity_type,
                ActivityType::AbortedMessage,
                "{entry:#?}"
            );
            assert!(entry.message.contains("blocked"), "{entry:#?}");
            continue;
        }
        match entry.activity_type {
            ActivityType::Success => {
                succeeded += 1;
                let id = captured.expect("the Lead id is captured");
                assert!(lead_ids.insert(id.to_owned()), "Lead {id} captured twice");
            }
            ActivityType::WebhookError => {
                failed += 1;
                assert!(entry.message.contains(":"), "{}", entry.message);
                assert_eq!(captured, None);
            }
            other => panic!("unexpected entry type {other:?}: {entry:#?}"),
        }
    }
    assert_eq!(
        setup.emulator.state().lead_count(),
        succeeded,
        "one Lead per success"
    );
    (succeeded, failed)
}

#[tokio::test]
async fn a_backfill_loads_each_user_once_and_explains_each_failure() {
    let setup = setup(5_000, 50, 0).await;
    setup
        .emulator
        .state()
        .set_faults(FaultSettings {
            bulk_row_failure_rate: 0.02,
            seed: 7,
            ..FaultSettings::default()
        })
        .expect("valid faults");
    let report = run(&setup, settings(2_000))
        .await
        .expect("the backfill runs");
    assert_eq!(report.rows, 5_000);
    assert_eq!(report.jobs, 3, "2,000 rows a job");
    let (succeeded, failed) = assert_each_user_once(&setup, 50).await;
    assert_eq!(report.succeeded as usize, succeeded);
    assert_eq!(report.failed as usize, failed);
    assert!(
        failed > 100,
        "the missing companies and the injected lock errors fail: {failed}"
    );
    let stats = setup.emulator.stats();
    assert_eq!(stats.bulk.uploads, 3);
    let locked = entries_by_user(&*setup.store)
        .await
        .values()
        .flatten()
        .filter(|entry| entry.message.contains("UNABLE_TO_LOCK_ROW"))
        .count();
    assert!(locked > 0, "the row-failure fault shows in the entries");
    let missing = entries_by_user(&*setup.store)
        .await
        .values()
        .flatten()
        .filter(|entry| entry.message.contains("REQUIRED_FIELD_MISSING"))
        .count();
    assert!(
        missing > 50,
        "most of the 100 users without a company: {missing}"
    );
    assert_eq!(missing + locked, failed, "every failure is one of the two");
}

#[tokio::test]
async fn a_backfill_stopped_after_its_upload_resumes_without_uploading_again() {
    let setup = setup(1_500, 0, 0).await;
    let stopped = run(
        &setup,
        BulkSettings {
            stop_after_upload: true,
            ..settings(1_000)
        },
    )
    .await;
    assert!(
        matches!(stopped, Err(BackfillError::Stopped(_))),
        "{stopped:?}"
    );
    assert_eq!(setup.emulator.stats().bulk.uploads, 1);
    assert!(
        entries_by_user(&*setup.store).await.is_empty(),
        "nothing recorded yet"
    );

    let resumed = run(&setup, settings(1_000))
        .await
        .expect("the backfill resumes");
    assert_eq!(resumed.resumed, 1);
    assert_eq!(
        resumed.jobs, 1,
        "the stored job is closed and polled; the rest is a new job"
    );
    assert_eq!(
        resumed.rows, 500,
        "only the users after the stored job are rendered"
    );
    assert_eq!(
        setup.emulator.stats().bulk.uploads,
        2,
        "the stored job was not uploaded twice"
    );
    let (succeeded, failed) = assert_each_user_once(&setup, 0).await;
    assert_eq!((succeeded, failed), (1_500, 0));
    assert_eq!((resumed.succeeded, resumed.failed), (1_500, 0));
}

#[tokio::test]
async fn a_backfill_stopped_between_jobs_continues_after_its_last_job() {
    let setup = setup(1_500, 0, 7).await;
    let blocked = 1_500usize.div_ceil(7);
    let dry = run_as(&setup, settings(500), "", false, true)
        .await
        .expect("the dry run runs");
    assert_eq!(
        (dry.rows, dry.skipped),
        ((1_500 - blocked) as u64, blocked as u64)
    );
    assert!(
        entries_by_user(&*setup.store).await.is_empty(),
        "a dry run writes nothing"
    );

    let stopped = run(
        &setup,
        BulkSettings {
            stop_after_recorded: true,
            ..settings(500)
        },
    )
    .await;
    assert!(
        matches!(stopped, Err(BackfillError::StoppedBetweenJobs(_))),
        "{stopped:?}"
    );
    assert_eq!(setup.emulator.stats().bulk.uploads, 1);
    let before = entries_by_user(&*setup.store).await;
    assert!(
        before.len() > 500,
        "the first job's users and the blocked among them: {}",
        before.len()
    );
    assert!(
        store_unfinished_jobs(&setup).await == 0,
        "nothing is left unfinished between jobs"
    );

    let continued = run(&setup, settings(500))
        .await
        .expect("the backfill continues");
    assert!(continued.continued, "{continued:?}");
    assert_eq!(continued.resumed, 0, "no job was unfinished");
    assert_eq!(
        continued.rows + 500,
        (1_500 - blocked) as u64,
        "only the users after the first job are rendered"
    );
    assert_eq!(
        before.len() + continued.rows as usize + continued.skipped as usize,
        1_500
    );
    assert_eq!(setup.emulator.stats().bulk.uploads, 3);
    let (succeeded, failed) = assert_each_user_once_but_blocked(&setup, 0, 7).await;
    assert_eq!((succeeded, failed), (1_500 - blocked, 0));
    assert!(
        setup
            .store
            .running_bulk_runs("Upsert Lead", "backfill")
            .await
            .expect("runs")
            .is_empty(),
        "the run is finished"
    );

    let again = run(&setup, settings(500))
        .await
        .expect("a new backfill runs");
    assert!(!again.continued, "a finished run lets a new one start");
    assert_eq!(again.rows, (1_500 - blocked) as u64);
}

#[tokio::test]
async fn an_unfinished_run_is_continued_only_with_its_audience_or_given_up() {
    let setup = setup(1_500, 0, 0).await;
    let stopped = run(
        &setup,
        BulkSettings {
            stop_after_upload: true,
            ..settings(1_000)
        },
    )
    .await;
    assert!(
        matches!(stopped, Err(BackfillError::Stopped(_))),
        "{stopped:?}"
    );

    let company = r#"{ attribute = "company", op = "exists" }"#;
    let refused = run_as(&setup, settings(1_000), company, false, false).await;
    let Err(error @ BackfillError::UnfinishedRun { .. }) = refused else {
        panic!("another audience is refused: {refused:?}");
    };
    let message = error.to_string();
    for expected in ["no --audience (everyone)", company, "--abandon-unfinished"] {
        assert!(message.contains(expected), "{message}");
    }
    assert_eq!(setup.emulator.stats().bulk.uploads, 1, "nothing was sent");

    let report = run_as(&setup, settings(1_000), company, true, false)
        .await
        .expect("the run is given up and a new one runs");
    assert_eq!((report.abandoned, report.resumed), (1, 1), "{report:?}");
    assert!(!report.continued);
    assert_eq!(report.rows, 1_500, "the new run starts from the first user");
    assert_eq!(
        setup.emulator.stats().bulk.uploads,
        3,
        "the given-up run's job was finished, not uploaded again"
    );
    let entries = entries_by_user(&*setup.store).await;
    let twice = entries.values().filter(|mine| mine.len() == 2).count();
    assert_eq!(
        (entries.len(), twice),
        (1_500, 1_000),
        "the given-up run's job was recorded, and the new run reached everyone"
    );
    let runs = setup
        .store
        .running_bulk_runs("Upsert Lead", "backfill")
        .await
        .expect("runs");
    assert!(runs.is_empty(), "{runs:?}");
}

async fn store_unfinished_jobs(setup: &Setup) -> usize {
    setup
        .store
        .unfinished_bulk_jobs(None)
        .await
        .expect("jobs")
        .len()
}
