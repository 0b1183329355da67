//! `leadwire bench soak`: hours-of-traffic behaviour in minutes. `leadwire serve` runs as a
//! child process on SQLite with the upsert example's lead campaign, against an emulator in
//! this process that fails a share of calls and drops connections. A steady mixed load
//! runs throughout; every `--kill-every` the node is killed with SIGKILL and started again
//! on the same data. At the end the load stops, the queues drain, and the bench checks that
//! every acknowledged user's lead is in Salesforce exactly once and that the node's memory
//! stayed flat from one life to the next.

mod check;
mod child;
mod load;
mod memory;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use leadwire_core::time::Interval;
use leadwire_salesforce_emulator::{EmulatorHandle, FaultSettings};
use tokio_util::sync::CancellationToken;

use super::node::spawn_bench_emulator;
use child::{Node, NodeCommand};
use load::LoadCounters;
use memory::Lives;

#[derive(Debug, Args)]
pub struct SoakArgs {
    /// How long the load runs, e.g. "30m".
    #[arg(long, default_value = "30m", value_parser = Interval::parse)]
    pub duration: Interval,
    /// How often the node is killed with SIGKILL and started again.
    #[arg(long, default_value = "5m", value_parser = Interval::parse)]
    pub kill_every: Interval,
    /// `/users/track` requests per second, each with 10 new leads, 40 updates and 10 events.
    #[arg(long, default_value_t = 10)]
    pub rate: u32,
    /// Share of Salesforce calls the emulator answers with 503.
    #[arg(long, default_value_t = 0.05)]
    pub error_rate: f64,
    /// Share of Salesforce calls whose connection the emulator drops.
    #[arg(long, default_value_t = 0.01)]
    pub drop_rate: f64,
}

/// The emulator's connected app, as the node's config names it.
const CLIENT_SECRET: &str = "leadwire-soak-secret-0123456789";

pub async fn run(args: SoakArgs) -> anyhow::Result<ExitCode> {
    let scratch = std::env::temp_dir().join(format!("leadwire-soak-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let faults = FaultSettings {
        error_rate: args.error_rate,
        drop_rate: args.drop_rate,
        seed: 7,
        ..FaultSettings::default()
    };
    let emulator = spawn_bench_emulator(CLIENT_SECRET, faults).await?;
    let command = NodeCommand::prepare(&scratch, &emulator.base_url, CLIENT_SECRET)?;
    println!(
        "bench soak: {} of {} requests/s, SIGKILL every {}, Salesforce faults {:.0} % 503 and {:.0} % dropped; log in {}",
        args.duration,
        args.rate,
        args.kill_every,
        args.error_rate * 100.0,
        args.drop_rate * 100.0,
        command.log.display()
    );
    let outcome = soak(&args, &command, &emulator).await;
    emulator.shutdown().await;
    let passed = outcome?;
    if passed {
        std::fs::remove_dir_all(&scratch).ok();
    }
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The timeline: load and kills, then the drain and the verdict; whether it passed.
async fn soak(
    args: &SoakArgs,
    command: &NodeCommand,
    emulator: &EmulatorHandle,
) -> anyhow::Result<bool> {
    let counters = Arc::new(LoadCounters::default());
    let stop = CancellationToken::new();
    let load = tokio::spawn(load::run(
        command.base_url.clone(),
        args.rate,
        counters.clone(),
        stop.clone(),
    ));
    let started = Instant::now();
    let duration = Duration::from_secs(args.duration.seconds());
    let kill_every = Duration::from_secs(args.kill_every.seconds().max(1));
    let mut lives = Lives::default();
    let mut node = command.start().await?;
    let mut next_kill = started + kill_every;
    while started.elapsed() < duration {
        tokio::time::sleep(Duration::from_secs(1)).await;
        lives.sample(&node);
        if Instant::now() >= next_kill && started.elapsed() + kill_every / 2 < duration {
            node = restart(node, command, &mut lives, &counters, started).await?;
            next_kill = Instant::now() + kill_every;
        }
    }
    stop.cancel();
    load.await.context("the load task")?;
    // Faults off for the drain's last retries and for reading the leads back.
    emulator.state().set_faults(FaultSettings::default()).ok();
    let users = counters.users.load(Ordering::SeqCst);
    let verdict = check::verify(&command.database(), emulator, users).await;
    lives.sample(&node);
    node.terminate().await?;
    let verdict = verdict?;
    report(&counters, &lives, &verdict, emulator, started.elapsed());
    Ok(verdict.passed() && lives.flat())
}

/// Kills `node` with SIGKILL and starts it again on the same data.
async fn restart(
    node: Node,
    command: &NodeCommand,
    lives: &mut Lives,
    counters: &LoadCounters,
    started: Instant,
) -> anyhow::Result<Node> {
    lives.end_life();
    node.kill()?;
    let down = Instant::now();
    let node = command.start().await?;
    println!(
        "{:>6.0} s  SIGKILL with {} leads acknowledged; ready again after {:.1} s",
        started.elapsed().as_secs_f64(),
        counters.users.load(Ordering::SeqCst),
        down.elapsed().as_secs_f64()
    );
    Ok(node)
}

fn report(
    counters: &LoadCounters,
    lives: &Lives,
    verdict: &check::Verdict,
    emulator: &EmulatorHandle,
    elapsed: Duration,
) {
    let stats = emulator.stats();
    println!(
        "requests:             {} acknowledged, {} sent again after no 201",
        counters.accepted.load(Ordering::Relaxed),
        counters.retried.load(Ordering::Relaxed)
    );
    println!(
        "leads:                {} expected, {} exactly once, {} missing, {} duplicated",
        verdict.expected, verdict.exactly_once, verdict.missing, verdict.duplicated
    );
    println!("failed sends:         {}", verdict.failed_sends);
    println!(
        "Salesforce calls:     {} ({} lead upserts)",
        stats.total,
        stats
            .by_endpoint
            .iter()
            .filter(|(name, _)| name.starts_with("PATCH"))
            .map(|(_, count)| count)
            .sum::<u64>()
    );
    lives.print();
    println!("wall time:            {:.0} s", elapsed.as_secs_f64());
    let passed = verdict.passed() && lives.flat();
    println!(
        "verdict:              {}",
        if passed { "passed" } else { "FAILED" }
    );
}
