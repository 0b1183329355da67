//! `leadwire bench console`: fills a fresh store with `--activity` activity-log entries and
//! `--profiles` profiles (each in the example's Lead Scoring canvas), starts a node running
//! the example config, logs in to the console, and requests every page `--requests` times
//! in turn: p50, p99 and the slowest answer per page, and whether every p99 is within
//! 100 ms. On PostgreSQL the statistics are refreshed after the load (`ANALYZE`), as
//! autovacuum would do on its own shortly after.

mod pages;
mod seed;

use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use leadwire_core::config::{Config, EngineChecker, check};
use leadwire_core::trigger::TriggerInterest;

use super::node::{BenchNode, StoreChoice};

/// The example config the README walks through.
const EXAMPLE: &str = include_str!("../../../../../../examples/salesforce-leads.toml");
/// The bound on every page's p99.
const P99_BOUND_MS: f64 = 100.0;

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    store: StoreChoice,
    /// Activity-log entries to write before measuring, spread over the last 30 days.
    #[arg(long, default_value_t = 1_000_000)]
    activity: u32,
    /// Profiles to write, each with an entry in the Lead Scoring canvas.
    #[arg(long, default_value_t = 100_000)]
    profiles: u32,
    /// Requests per page.
    #[arg(long, default_value_t = 200)]
    requests: u32,
}

pub async fn run(args: ConsoleArgs) -> anyhow::Result<ExitCode> {
    let config = example_config()?;
    let node =
        BenchNode::start_with(&args.store, TriggerInterest::default(), config.clone()).await?;
    let store = node.running.store().clone();
    let started = Instant::now();
    let seeded = seed::fill(store.as_ref(), &config, args.profiles, args.activity).await?;
    println!(
        "seeded {} profiles, {} canvas entries and {} activity entries in {:.1} s ({:?})",
        args.profiles,
        args.profiles,
        args.activity,
        started.elapsed().as_secs_f64(),
        args.store.backend,
    );
    node.analyze().await?;
    let base = format!("http://{}", node.running.address);
    let results = pages::measure(&base, &seeded, &config, args.requests).await;
    node.stop().await?;
    let results = results?;
    println!(
        "{:<46} {:>9} {:>9} {:>9}",
        "page", "p50 ms", "p99 ms", "max ms"
    );
    let mut within = true;
    for page in &results {
        println!(
            "{:<46} {:>9.1} {:>9.1} {:>9.1}",
            page.name, page.p50_ms, page.p99_ms, page.max_ms
        );
        within &= page.p99_ms <= P99_BOUND_MS;
    }
    println!(
        "every page's p99 within {P99_BOUND_MS} ms: {}",
        if within { "yes" } else { "NO" }
    );
    Ok(if within {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn example_config() -> anyhow::Result<Config> {
    let report = check(EXAMPLE, &EngineChecker::default());
    anyhow::ensure!(
        report.error_count() == 0,
        "the example config does not pass check"
    );
    report
        .into_valid_config()
        .ok_or_else(|| anyhow::anyhow!("the example config could not be read"))
}
