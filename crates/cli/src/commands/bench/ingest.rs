//! `leadwire bench ingest`: load `/users/track` over keep-alive HTTP and print attribute
//! updates per second and the process's peak memory.
//!
//! The server runs in this process on port 0 against a fresh store (a temporary SQLite
//! file, or a new PostgreSQL database created from `--database-url` and dropped after).
//! Several connections each send batches of attribute objects (75 by default) for users
//! drawn from a fixed pool, so the run mixes profile creation and updates. Every object sets
//! four attributes, one of them an increment, so each object changes the profile and (with
//! `--triggers all`) writes a trigger job.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, ValueEnum};
use leadwire_core::trigger::TriggerInterest;

use super::node::{BenchNode, KEY, StoreChoice, peak_rss};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TriggerChoice {
    All,
    None,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub store: StoreChoice,
    /// Measured seconds (after one second of warm-up).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 8)]
    pub connections: usize,
    /// Attribute objects per request (at most 75).
    #[arg(long, default_value_t = 75)]
    pub batch: usize,
    /// Distinct users the objects are spread over.
    #[arg(long, default_value_t = 200_000)]
    pub users: u64,
    /// Whether trigger jobs are written for the changes.
    #[arg(long, value_enum, default_value = "all")]
    pub triggers: TriggerChoice,
}

pub async fn run(args: IngestArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!((1..=75).contains(&args.batch), "--batch must be 1 to 75");
    let triggers = match args.triggers {
        TriggerChoice::All => TriggerInterest::all(),
        TriggerChoice::None => TriggerInterest::none(),
    };
    let node = BenchNode::start(&args.store, triggers).await?;
    let url = node.track_url();
    println!(
        "bench ingest: {:?} backend, {} connections, {} objects per request, {} users, triggers {:?}, {} s",
        args.store.backend, args.connections, args.batch, args.users, args.triggers, args.seconds
    );

    let outcome = load(&url, &args).await;
    node.stop().await?;
    let report = outcome?;
    println!("requests:             {}", report.requests);
    println!("attribute updates:    {}", report.objects);
    println!(
        "attribute updates/s:  {:.0}",
        report.objects as f64 / report.elapsed.as_secs_f64()
    );
    println!(
        "requests/s:           {:.0}",
        report.requests as f64 / report.elapsed.as_secs_f64()
    );
    println!(
        "latency p50 / p99:    {:.1} ms / {:.1} ms",
        report.p50_ms, report.p99_ms
    );
    println!("errors:               {}", report.errors);
    println!(
        "peak RSS (VmHWM):     {}",
        peak_rss().unwrap_or_else(|| "unknown".into())
    );
    Ok(if report.errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

struct Report {
    requests: u64,
    objects: u64,
    errors: u64,
    elapsed: Duration,
    p50_ms: f64,
    p99_ms: f64,
}

async fn load(url: &str, args: &IngestArgs) -> anyhow::Result<Report> {
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(AtomicU64::new(0));
    let objects = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for worker in 0..args.connections {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .context("HTTP client")?;
        let (url, batch, users) = (url.to_owned(), args.batch, args.users);
        let (measuring, stop) = (measuring.clone(), stop.clone());
        let (requests, objects, errors) = (requests.clone(), objects.clone(), errors.clone());
        workers.push(tokio::spawn(async move {
            let mut histogram = hdrhistogram::Histogram::<u64>::new(3).ok();
            let mut sequence = worker as u64 * 7_919;
            while !stop.load(Ordering::Relaxed) {
                let body = batch_body(&mut sequence, batch, users);
                let started = Instant::now();
                let response = client
                    .post(&url)
                    .bearer_auth(KEY)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                let ok = match response {
                    Ok(response) => {
                        response.status() == reqwest::StatusCode::CREATED
                            && response.bytes().await.is_ok()
                    }
                    Err(_) => false,
                };
                if measuring.load(Ordering::Relaxed) {
                    requests.fetch_add(1, Ordering::Relaxed);
                    if ok {
                        objects.fetch_add(batch as u64, Ordering::Relaxed);
                    } else {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    if let Some(histogram) = histogram.as_mut() {
                        histogram.record(started.elapsed().as_micros() as u64).ok();
                    }
                }
            }
            histogram
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut merged = hdrhistogram::Histogram::<u64>::new(3).context("histogram")?;
    for worker in workers {
        if let Some(histogram) = worker.await.context("bench worker")? {
            merged.add(&histogram).ok();
        }
    }
    Ok(Report {
        requests: requests.load(Ordering::Relaxed),
        objects: objects.load(Ordering::Relaxed),
        errors: errors.load(Ordering::Relaxed),
        elapsed,
        p50_ms: merged.value_at_quantile(0.5) as f64 / 1000.0,
        p99_ms: merged.value_at_quantile(0.99) as f64 / 1000.0,
    })
}

/// One request body: `batch` objects for pseudo-random users of the pool.
pub(super) fn batch_body(sequence: &mut u64, batch: usize, users: u64) -> String {
    let mut body = String::with_capacity(batch * 140);
    body.push_str("{\"attributes\":[");
    for index in 0..batch {
        *sequence = sequence
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let user = (*sequence >> 33) % users.max(1);
        if index > 0 {
            body.push(',');
        }
        body.push_str(&format!(
            "{{\"external_id\":\"user-{user}\",\"lead_score\":{{\"inc\":1}},\"plan\":\"plan-{}\",\"last_page\":\"/pricing/{}\",\"email\":\"user-{user}@example.com\"}}",
            *sequence % 3,
            *sequence % 50
        ));
    }
    body.push_str("]}");
    body
}
