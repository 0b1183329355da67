//! `leadwire salesforce backfill`: send a webhook template to every user of an audience
//! through Salesforce Bulk API 2.0 ingest jobs (`engine::bulk`), rendered as a send would
//! be, with one activity entry per record. It reads the store named by the layered
//! `[store]` settings, as `serve` does. Started again after a crash or a stop, it resumes
//! the template's stored jobs, uploads nothing twice and continues after the last user it
//! handed to a job; `--abandon-unfinished` gives that run up instead. Its progress is on
//! stderr ([`progress`]).

pub(crate) mod progress;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use leadwire_core::config::Config;
use leadwire_core::config::segment::{Segment, resolve};
use leadwire_core::filters::Filter;
use leadwire_engine::bulk::{Backfill, BackfillReport, BulkSettings};
use leadwire_engine::delivery::http::{HttpSettings, build_client};
use leadwire_engine::delivery::preview::standalone_renderer;
use leadwire_engine::delivery::url_policy::Allowlist;

use super::check::load_valid_config;
use crate::config::load_settings;

#[derive(Debug, Subcommand)]
pub enum SalesforceCommand {
    /// Send a template to every user of an audience through Bulk API 2.0 ingest jobs.
    Backfill(BackfillArgs),
}

#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// The config file holding the template, its connection and the [store].
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The webhook template: a create (POST …/sobjects/Lead), an update by id or an upsert.
    #[arg(long, value_name = "NAME")]
    pub template: String,
    /// A segment's name or id, or one filter in TOML, e.g. '{ attribute = "company", op = "exists" }'. Everyone when left out.
    #[arg(long, value_name = "SEGMENT|FILTER")]
    pub audience: Option<String>,
    /// Render every user and say how many rows would be loaded, without calling Salesforce.
    #[arg(long)]
    pub dry_run: bool,
    /// Give up the template's unfinished backfill (its stored jobs are finished, the users
    /// after its last job are not sent) and start this one.
    #[arg(long)]
    pub abandon_unfinished: bool,
    /// Rows per ingest job (a job also ends at 100 MB of CSV).
    #[arg(long, value_name = "N", default_value_t = 150_000)]
    pub job_rows: usize,
}

pub async fn run(command: SalesforceCommand) -> anyhow::Result<ExitCode> {
    match command {
        SalesforceCommand::Backfill(args) => backfill(args, BulkSettings::default()).await,
    }
}

/// Runs a backfill with `settings` (their row cap from the arguments); the report and the
/// exit code (1 when some records failed).
pub async fn backfill(args: BackfillArgs, mut settings: BulkSettings) -> anyhow::Result<ExitCode> {
    let report = run_backfill(&args, {
        settings.max_job_rows = args.job_rows.max(1);
        settings
    })
    .await?;
    print_report(&report, args.dry_run);
    Ok(if report.failed > 0 || report.skipped > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The backfill itself, for the CLI and the bench.
pub async fn run_backfill(
    args: &BackfillArgs,
    settings: BulkSettings,
) -> anyhow::Result<BackfillReport> {
    let config = load_valid_config(&args.config)?;
    let audience = audience(&config, args.audience.as_deref())?;
    let loaded = load_settings(Some(&args.config))?;
    let env = |name: &str| std::env::var(name).ok();
    let renderer = standalone_renderer(&config, &loaded.delivery, &env)
        .context("the templates do not compile")?;
    let allowlist = Arc::new(Allowlist::new(
        loaded.delivery.allowed_hosts.iter().map(String::as_str),
    ));
    let http = build_client(&HttpSettings {
        timeout: Duration::from_secs(300),
        extra_ca_file: loaded.delivery.extra_ca_file.clone(),
        allowlist,
    })?;
    let store = leadwire_store::open(&loaded.store)
        .await
        .with_context(|| format!("opening the store ({})", loaded.store.describe()))?;
    renderer.content_blocks().refresh_or_warn(&*store).await;
    let progress = progress::Shown::on_stderr();
    let backfill = Backfill {
        store: &*store,
        renderer: &renderer,
        config: &config,
        template: &args.template,
        audience,
        audience_given: args
            .audience
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_owned(),
        abandon_unfinished: args.abandon_unfinished,
        settings,
        http,
        progress: &progress,
        source: leadwire_engine::bulk::BulkSource::Backfill,
    };
    let result = backfill.run(args.dry_run).await;
    progress.done();
    store.close().await;
    Ok(result?)
}

/// The audience a `--audience` value names: a segment, or one filter in TOML.
fn audience(config: &Config, given: Option<&str>) -> anyhow::Result<Segment> {
    let everyone = Segment {
        id: "backfill".into(),
        name: "backfill".into(),
        description: None,
        tags: Vec::new(),
        filters: Vec::new(),
    };
    let Some(given) = given.map(str::trim) else {
        return Ok(everyone);
    };
    if !given.starts_with('{') {
        let known: Vec<&str> = config.segments.iter().map(|s| s.name.as_str()).collect();
        let known = if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        };
        return match config.segment(given) {
            Some(segment) => Ok(segment.clone()),
            None => bail!(
                "--audience: no segment named `{given}` (the config's segments: {known}). A filter is written in TOML, e.g. '{{ attribute = \"company\", op = \"exists\" }}'"
            ),
        };
    }
    #[derive(serde::Deserialize)]
    struct Holder {
        filter: Filter,
    }
    let holder: Holder = toml::from_str(&format!("filter = {given}"))
        .with_context(|| format!("--audience: `{given}` is not a filter"))?;
    let mut with = config.clone();
    with.segments.push(Segment {
        filters: vec![holder.filter],
        ..everyone
    });
    resolve(&mut with);
    with.segments
        .pop()
        .context("--audience: the filter was not kept")
}

fn print_report(report: &BackfillReport, dry_run: bool) {
    if dry_run {
        println!(
            "dry run: {} users would be loaded, {} could not be rendered into a Bulk row (nothing was sent or recorded)",
            report.rows, report.skipped
        );
        return;
    }
    if report.abandoned > 0 {
        println!("gave up the unfinished backfill of the template");
    }
    if report.continued {
        println!("continued the unfinished backfill of the template after its last job");
    }
    if report.resumed > 0 {
        println!("resumed {} stored job(s)", report.resumed);
    }
    println!(
        "{} jobs, {} records succeeded, {} failed, {} users not sent (see `leadwire activity`), {} Bulk API calls",
        report.jobs, report.succeeded, report.failed, report.skipped, report.api_calls
    );
}
