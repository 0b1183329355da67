//! `leadwire bench attack`: does one client's worst-case traffic slow everyone else?
//!
//! A steady, open-loop stream of ordinary `/users/track` requests runs alone for a while,
//! then beside attacking connections that send the heaviest bodies the API accepts, one
//! after another: the longest arrays, the most attributes, the longest strings, the deepest
//! and largest nested objects, and events with the largest properties. The bench prints the
//! ordinary requests' latency in both phases and the ratio of their p99s. Latency counts
//! from when each request was due, so a stalled node cannot hide behind a slowed client.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use hdrhistogram::Histogram;
use leadwire_core::trigger::TriggerInterest;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::ingest::batch_body;
use super::node::{BenchNode, KEY, StoreChoice, peak_rss};
use super::payloads::{AttackKind, attack_body};

/// The target: ordinary requests' p99 under attack at most this many times its quiet value.
const TARGET_RATIO: f64 = 3.0;

#[derive(Debug, Args)]
pub struct AttackArgs {
    #[command(flatten)]
    pub store: StoreChoice,
    /// Measured seconds of each phase, quiet and under attack.
    #[arg(long, default_value_t = 15)]
    pub seconds: u64,
    /// Ordinary requests per second, in both phases.
    #[arg(long, default_value_t = 100)]
    pub rate: u32,
    /// Attribute objects per ordinary request.
    #[arg(long, default_value_t = 10)]
    pub batch: usize,
    /// Connections sending worst-case bodies back to back during the attack.
    #[arg(long, default_value_t = 4)]
    pub attackers: usize,
    /// The kinds of body the attackers send, in turn (all kinds when not given).
    #[arg(long = "kind", value_enum)]
    pub kinds: Vec<AttackKind>,
}

pub async fn run(args: AttackArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!((1..=75).contains(&args.batch), "--batch must be 1 to 75");
    anyhow::ensure!(args.rate > 0, "--rate must be positive");
    let node = BenchNode::start(&args.store, TriggerInterest::all()).await?;
    let url = node.track_url();
    println!(
        "bench attack: {:?} backend, {} ordinary requests/s of {} objects, {} attackers, {} s per phase",
        args.store.backend, args.rate, args.batch, args.attackers, args.seconds
    );
    let outcome = phases(&url, &args).await;
    node.stop().await?;
    let (quiet, attacked, attack) = outcome?;
    quiet.print("quiet");
    attacked.print("under attack");
    attack.print();
    let ratio = attacked.p99_ms() / quiet.p99_ms().max(0.001);
    let verdict = if ratio <= TARGET_RATIO {
        "met"
    } else {
        "missed"
    };
    println!("p99 ratio:            {ratio:.2}x (target <= {TARGET_RATIO}x: {verdict})");
    println!(
        "peak RSS (VmHWM):     {}",
        peak_rss().unwrap_or_else(|| "unknown".into())
    );
    Ok(if quiet.errors + attacked.errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Warm-up, the quiet phase, then the attack phase.
async fn phases(url: &str, args: &AttackArgs) -> anyhow::Result<(Steady, Steady, AttackReport)> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .context("HTTP client")?;
    let phase = Duration::from_secs(args.seconds);
    steady(&client, url, args, Duration::from_secs(2)).await?;
    let quiet = steady(&client, url, args, phase).await?;
    let kinds = if args.kinds.is_empty() {
        AttackKind::ALL.to_vec()
    } else {
        args.kinds.clone()
    };
    let attack = Attack::start(url, args.attackers, kinds)?;
    // The attackers' first bodies are built and on their way before measuring starts.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let attacked = steady(&client, url, args, phase).await?;
    let report = attack.stop().await;
    Ok((quiet, attacked, report))
}

/// The ordinary requests of one phase.
struct Steady {
    latency: Histogram<u64>,
    errors: u64,
}

impl Steady {
    fn p99_ms(&self) -> f64 {
        self.latency.value_at_quantile(0.99) as f64 / 1000.0
    }

    fn print(&self, phase: &str) {
        let ms = |quantile| self.latency.value_at_quantile(quantile) as f64 / 1000.0;
        println!(
            "{:<22}{} requests, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, {} errors",
            format!("{phase}:"),
            self.latency.len(),
            ms(0.5),
            ms(0.99),
            self.latency.max() as f64 / 1000.0,
            self.errors
        );
    }
}

/// Sends ordinary requests at `args.rate` for `duration`, each when it is due whether or
/// not earlier ones have answered; returns their latencies from when each was due.
async fn steady(
    client: &reqwest::Client,
    url: &str,
    args: &AttackArgs,
    duration: Duration,
) -> anyhow::Result<Steady> {
    let (sender, mut results) = mpsc::unbounded_channel::<Option<Duration>>();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(args.rate)));
    let end = Instant::now() + duration;
    let mut sequence = 1_u64;
    loop {
        let due = ticker.tick().await;
        if due >= end {
            break;
        }
        let body = batch_body(&mut sequence, args.batch, 100_000);
        let (client, url, sender) = (client.clone(), url.to_owned(), sender.clone());
        tokio::spawn(async move {
            let ok = post(&client, &url, body).await == Some(reqwest::StatusCode::CREATED);
            sender.send(ok.then(|| due.elapsed())).ok();
        });
    }
    drop(sender);
    let mut latency = Histogram::<u64>::new(3).context("histogram")?;
    let mut errors = 0;
    while let Some(result) = results.recv().await {
        match result {
            Some(elapsed) => {
                latency.record(elapsed.as_micros() as u64).ok();
            }
            None => errors += 1,
        }
    }
    Ok(Steady { latency, errors })
}

/// One `/users/track` request; the status, or `None` when no answer came.
async fn post(client: &reqwest::Client, url: &str, body: String) -> Option<reqwest::StatusCode> {
    let response = client
        .post(url)
        .bearer_auth(KEY)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .ok()?;
    let status = response.status();
    response.bytes().await.ok()?;
    Some(status)
}

/// The attacking connections, running until stopped.
struct Attack {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<AttackReport>>,
}

/// What the attackers sent and how it was answered.
#[derive(Default)]
struct AttackReport {
    requests: u64,
    bytes: u64,
    accepted: u64,
    refused: u64,
    failed: u64,
}

impl AttackReport {
    fn add(&mut self, other: AttackReport) {
        self.requests += other.requests;
        self.bytes += other.bytes;
        self.accepted += other.accepted;
        self.refused += other.refused;
        self.failed += other.failed;
    }

    fn print(&self) {
        println!(
            "attack:               {} requests, {:.1} MB, {} accepted, {} refused (4xx), {} failed",
            self.requests,
            self.bytes as f64 / 1e6,
            self.accepted,
            self.refused,
            self.failed
        );
    }
}

impl Attack {
    fn start(url: &str, attackers: usize, kinds: Vec<AttackKind>) -> anyhow::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for attacker in 0..attackers {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .context("HTTP client")?;
            let (url, stop, sent) = (url.to_owned(), stop.clone(), sent.clone());
            let kinds = kinds.clone();
            tasks.push(tokio::spawn(async move {
                let mut report = AttackReport::default();
                let mut round = attacker;
                while !stop.load(Ordering::Relaxed) {
                    let kind = kinds[round % kinds.len()];
                    let serial = sent.fetch_add(1, Ordering::Relaxed);
                    let body = attack_body(kind, serial);
                    report.requests += 1;
                    report.bytes += body.len() as u64;
                    match post(&client, &url, body).await {
                        Some(status) if status.is_success() => report.accepted += 1,
                        Some(status) if status.is_client_error() => report.refused += 1,
                        _ => report.failed += 1,
                    }
                    round += 1;
                }
                report
            }));
        }
        Ok(Self { stop, tasks })
    }

    async fn stop(self) -> AttackReport {
        self.stop.store(true, Ordering::Relaxed);
        let mut total = AttackReport::default();
        for task in self.tasks {
            if let Ok(report) = task.await {
                total.add(report);
            }
        }
        total
    }
}
