//! `leadwire bench backfill`: a Bulk API 2.0 backfill of N fresh users (default 100,000)
//! against the built-in emulator, in this process with a SQLite store of its own: wall
//! time, peak RSS, and API calls per created Lead as the emulator counted them; the
//! progress on stderr, as `salesforce backfill` shows it.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use clap::Args;
use leadwire_core::attributes::ProfileChanges;
use leadwire_core::config::Config;
use leadwire_core::config::segment::Segment;
use leadwire_core::profile::Profile;
use leadwire_engine::bulk::{Backfill, BulkSettings};
use leadwire_engine::delivery::DeliverySettings;
use leadwire_engine::delivery::preview::standalone_renderer;
use leadwire_salesforce::fields::CustomFieldConfig;
use leadwire_salesforce_emulator::{EmulatorConfig, EmulatorState, ServeOptions, spawn};
use leadwire_store::sql::sqlite::SqliteStore;
use leadwire_store::{ProfileWrite, Store};
use serde_json::json;
use uuid::Uuid;

use super::node::peak_rss;
use crate::commands::salesforce::progress::Shown;

#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// Users to backfill.
    #[arg(long, default_value_t = 100_000)]
    users: usize,
    /// Rows per ingest job.
    #[arg(long, default_value_t = 150_000)]
    job_rows: usize,
}

const SECRET: &str = "bench-secret-0123456789abcdef";

const TEMPLATE: &str = r#"
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
LastName = "{{${last_name}}}"
Company = "{{custom_attribute.${company}}}"
Email = "{{${email_address}}}"
"#;

pub async fn run(args: BackfillArgs) -> anyhow::Result<ExitCode> {
    let mut external = CustomFieldConfig::text("Leadwire_Id__c");
    external.external_id = true;
    let state = EmulatorState::new(EmulatorConfig {
        client_id: "bench".into(),
        client_secret: SECRET.into(),
        custom_fields: vec![external],
        daily_api_limit: 10_000_000,
        ..EmulatorConfig::default()
    })?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let options = ServeOptions {
        plain_http: true,
        cert_out: None,
    };
    let emulator = spawn(state, listener, options).await?;
    let dir = std::env::temp_dir().join(format!("leadwire-bench-backfill-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.join("bench.db"), 4).await?);
    seed(&*store, args.users).await?;
    let source = format!(
        "[[salesforce_connections]]\nname = \"emulator\"\ninstance_url = \"{}\"\nclient_id = \"bench\"\nclient_secret_env = \"BENCH_SECRET\"\n{TEMPLATE}",
        emulator.base_url
    );
    let config: Config = toml::from_str(&source).context("the bench config")?;
    let env = |name: &str| (name == "BENCH_SECRET").then(|| SECRET.to_owned());
    let delivery = DeliverySettings {
        allowed_hosts: vec!["127.0.0.1".into()],
        ..DeliverySettings::default()
    };
    let renderer = standalone_renderer(&config, &delivery, &env)?;
    let before = emulator.stats();
    let progress = Shown::on_stderr();
    let started = Instant::now();
    let report = Backfill {
        store: &*store,
        renderer: &renderer,
        config: &config,
        template: "Upsert Lead",
        audience: Segment {
            id: "all".into(),
            name: "all".into(),
            description: None,
            tags: Vec::new(),
            filters: Vec::new(),
        },
        audience_given: String::new(),
        abandon_unfinished: false,
        settings: BulkSettings {
            max_job_rows: args.job_rows,
            poll_first: Duration::from_millis(250),
            poll_max: Duration::from_secs(5),
            ..BulkSettings::default()
        },
        http: reqwest::Client::new(),
        progress: &progress,
        source: leadwire_engine::bulk::BulkSource::Backfill,
    }
    .run(false)
    .await;
    progress.done();
    let report = report?;
    let wall = started.elapsed();
    let after = emulator.stats();
    let calls = after.api_usage.saturating_sub(before.api_usage);
    let leads = emulator.state().lead_count();
    println!("users                 {}", args.users);
    println!("jobs                  {}", report.jobs);
    println!("records succeeded     {}", report.succeeded);
    println!("records failed        {}", report.failed);
    println!("Leads in the emulator {leads}");
    println!("wall time             {:.1} s", wall.as_secs_f64());
    println!(
        "users per second      {:.0}",
        args.users as f64 / wall.as_secs_f64().max(1e-9)
    );
    println!(
        "API calls (emulator)  {calls} (Bulk calls made: {})",
        report.api_calls
    );
    println!(
        "API calls per Lead    {:.6}",
        calls as f64 / (leads.max(1) as f64)
    );
    println!(
        "peak RSS              {}",
        peak_rss().unwrap_or_else(|| "unknown".into())
    );
    store.close().await;
    emulator.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ExitCode::SUCCESS)
}

async fn seed(store: &dyn Store, users: usize) -> anyhow::Result<()> {
    let now = Utc::now();
    let changes = ProfileChanges::default();
    let mut n = 0;
    while n < users {
        let page: Vec<Profile> = (n..users.min(n + 1_000))
            .map(|index| {
                let mut profile = Profile::new(Uuid::new_v4(), now);
                profile
                    .standard
                    .insert("last_name".into(), json!(format!("Lovelace {index}")));
                profile
                    .standard
                    .insert("email".into(), json!(format!("ada{index}@example.com")));
                profile
                    .custom
                    .insert("company".into(), json!("Analytical Engines"));
                profile
            })
            .collect();
        n += page.len();
        let writes: Vec<ProfileWrite<'_>> = page
            .iter()
            .map(|profile| ProfileWrite {
                profile,
                changes: &changes,
            })
            .collect();
        let mut tx = store.begin().await?;
        tx.save_profiles(&writes).await?;
        tx.commit().await?;
    }
    Ok(())
}
