//! `leadwire bench delivery`: the whole pipeline against the in-process Salesforce emulator
//! over real sockets, on a fresh SQLite store, with the worker settings `serve` uses:
//! `/users/track` ingest (group-committed, 8 requests of 75 users in flight) → trigger →
//! campaign → render → HTTP → activity log. It prints
//! - deliveries per second end to end for a burst (the token cached),
//! - Salesforce API calls per created lead (token requests included),
//! - enqueue-to-delivery latency p50/p99 at a fixed offered rate (hdrhistogram), measured
//!   from the ingest of each user to the attempt that delivered its lead.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::Args;
use futures::StreamExt as _;
use hdrhistogram::Histogram;
use leadwire_core::activity::ActivityType;
use leadwire_core::attributes::AttributeLimits;
use leadwire_core::config::Config;
use leadwire_engine::delivery::{DeliverySettings, DeliveryWorker, SystemClock, WorkerInputs};
use leadwire_engine::journeys::Journeys;
use leadwire_engine::metrics::Metrics;
use leadwire_engine::tasks::TaskEnd;
use leadwire_engine::workers::{WorkerOptions, Workers};
use leadwire_salesforce_emulator::{EmulatorHandle, FaultSettings};
use leadwire_store::ingest::{Ingestor, TrackRequest};
use leadwire_store::sql::sqlite::SqliteStore;
use leadwire_store::{ActivityQuery, Store};
use serde_json::json;

use super::node::{EMULATOR_CLIENT_ID, spawn_bench_emulator};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Args)]
pub struct DeliveryArgs {
    /// Users (and so leads) in the burst.
    #[arg(long, default_value_t = 10_000)]
    burst: usize,
    /// Offered rate of the latency run, in users per second.
    #[arg(long, default_value_t = 500)]
    rate: u32,
    /// Length of the latency run, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u32,
}

const CLIENT_SECRET: &str = "leadwire-bench-secret-0123456789";
const USERS_PER_REQUEST: usize = 75;
/// `/users/track` requests in flight during the burst, like 8 keep-alive clients.
const CONCURRENT_REQUESTS: usize = 8;

/// The bench's template, batched through sObject Collections when `batched`.
fn config(base_url: &str, batched: bool) -> anyhow::Result<Config> {
    let batch = if batched {
        "batch = { max_records = 200, max_wait = \"2s\" }"
    } else {
        ""
    };
    let source = format!(
        r#"
[[salesforce_connections]]
name = "emulator"
instance_url = "{base_url}"
client_id = "{EMULATOR_CLIENT_ID}"
client_secret_env = "BENCH_SECRET"

[[webhook_templates]]
name = "Upsert Lead"
connection = "emulator"
url = "{{{{connections.emulator.instance_url}}}}/services/data/v60.0/sobjects/Lead/Leadwire_Id__c/{{{{${{braze_id}}}}}}"
method = "PATCH"
headers = {{ Authorization = "Bearer {{{{connections.emulator.access_token}}}}" }}
body.json = {{ LastName = "{{{{${{last_name}}}}}}", Company = "{{{{custom_attribute.${{company}}}}}}", Email = "{{{{${{email_address}}}}}}" }}
{batch}

[[campaigns]]
name = "New lead"
template = "Upsert Lead"
triggers = [{{ type = "add_email_address" }}]
"#
    );
    toml::from_str(&source).context("the bench config")
}

pub(super) struct Pipeline {
    store: Arc<dyn Store>,
    ingestor: Ingestor,
    emulator: EmulatorHandle,
    shutdown: CancellationToken,
    path: std::path::PathBuf,
    tasks: Vec<tokio::task::JoinHandle<Result<(), TaskEnd>>>,
    journeys: Option<leadwire_engine::workers::WorkersHandle>,
}

/// What a bench pipeline runs with: the template batched or not, the emulator's faults and
/// the delivery settings.
pub(super) struct PipelineOptions {
    pub batched: bool,
    pub faults: FaultSettings,
    pub settings: DeliverySettings,
}

impl PipelineOptions {
    /// No faults, and the delivery settings `serve` runs with, the emulator's loopback
    /// address allowed.
    pub fn new(batched: bool) -> Self {
        Self {
            batched,
            faults: FaultSettings::default(),
            settings: DeliverySettings {
                allowed_hosts: vec!["127.0.0.1".into()],
                ..DeliverySettings::default()
            },
        }
    }
}

pub(super) async fn start(batched: bool) -> anyhow::Result<Pipeline> {
    start_with(PipelineOptions::new(batched)).await
}

pub(super) async fn start_with(options: PipelineOptions) -> anyhow::Result<Pipeline> {
    let emulator = spawn_bench_emulator(CLIENT_SECRET, options.faults).await?;
    let path = std::env::temp_dir().join(format!("leadwire-bench-{}.db", uuid::Uuid::new_v4()));
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path, 4).await?);
    let config = Arc::new(config(&emulator.base_url, options.batched)?);
    let shutdown = CancellationToken::new();
    let journeys = Journeys::new(store.clone(), config.clone(), AttributeLimits::default());
    // The settings `serve` runs with.
    let journeys =
        Workers::new(Arc::new(journeys), WorkerOptions::default()).start(shutdown.clone());
    let worker = DeliveryWorker::new(WorkerInputs {
        store: store.clone(),
        config,
        settings: options.settings,
        metrics: Arc::new(Metrics::new()),
        clock: Arc::new(SystemClock),
        env: Box::new(|name| (name == "BENCH_SECRET").then(|| CLIENT_SECRET.to_owned())),
    })?;
    let delivery = Arc::new(worker).run(shutdown.clone());
    let tasks = vec![tokio::spawn(delivery)];
    Ok(Pipeline {
        ingestor: Ingestor::new(store.clone(), AttributeLimits::default()),
        store,
        emulator,
        shutdown,
        path,
        tasks,
        journeys: Some(journeys),
    })
}

impl Pipeline {
    pub(super) fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    pub(super) fn emulator(&self) -> &EmulatorHandle {
        &self.emulator
    }

    async fn ingest(&self, first: usize, count: usize, now: DateTime<Utc>) -> anyhow::Result<()> {
        let attributes = (first..first + count)
            .map(|n| {
                json!({
                    "external_id": format!("bench-{n}"),
                    "email": format!("lead{n}@example.com"),
                    "last_name": format!("Lead {n}"),
                    "company": "Bench Inc",
                })
            })
            .collect();
        let request = TrackRequest {
            attributes: Some(attributes),
            events: None,
            purchases: None,
        };
        let outcome = self.ingestor.track(request, now).await?;
        if !outcome.errors.is_empty() {
            bail!("ingest refused objects: {:?}", outcome.errors);
        }
        Ok(())
    }

    /// Waits until `leads` leads are in the emulator; returns when, and how long after the
    /// call the last trigger job was handled.
    async fn wait_for_leads(
        &self,
        leads: usize,
        limit: Duration,
    ) -> anyhow::Result<(Instant, Option<Duration>)> {
        let started = Instant::now();
        let mut triggers_done = None;
        while self.emulator.state().lead_count() < leads {
            if triggers_done.is_none()
                && self
                    .store
                    .pending_jobs(leadwire_store::Queue::Triggers)
                    .await?
                    == 0
            {
                triggers_done = Some(started.elapsed());
            }
            if started.elapsed() > limit {
                bail!(
                    "only {} of {leads} leads arrived within {limit:?}",
                    self.emulator.state().lead_count()
                );
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok((
            Instant::now(),
            triggers_done.or_else(|| Some(started.elapsed())),
        ))
    }

    /// Waits until no send is left on the queue (every one recorded).
    async fn wait_for_records(&self, limit: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        while self
            .store
            .pending_jobs(leadwire_store::Queue::Sends)
            .await?
            > 0
        {
            if started.elapsed() > limit {
                bail!("sends were still unrecorded after {limit:?}");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(())
    }

    pub(super) async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(journeys) = self.journeys.take()
            && let Err(end) = journeys.shutdown().await
        {
            tracing::error!(%end, "the journey workers failed");
        }
        for task in self.tasks.drain(..) {
            if let Ok(Err(end)) = task.await {
                tracing::error!(%end, "the delivery worker failed");
            }
        }
        self.store.close().await;
        self.emulator.shutdown().await;
        for suffix in ["", "-wal", "-shm"] {
            let mut file = self.path.clone().into_os_string();
            file.push(suffix);
            std::fs::remove_file(file).ok();
        }
    }
}

/// What a burst measured.
pub(super) struct Burst {
    pub ingested: Duration,
    pub elapsed: Duration,
    pub triggers_done: Option<Duration>,
    /// Every request the emulator served.
    pub calls: u64,
    pub token_requests: u64,
}

impl Burst {
    pub fn deliveries_per_second(&self, leads: usize) -> f64 {
        leads as f64 / self.elapsed.as_secs_f64()
    }

    pub fn calls_per_lead(&self, leads: usize) -> f64 {
        self.calls as f64 / leads as f64
    }
}

/// Ingests `burst` users at once, as `serve` does (requests of 75 users, several at once,
/// group-committed), and times until every lead is in Salesforce.
pub(super) async fn run_burst(pipeline: &Pipeline, burst: usize) -> anyhow::Result<Burst> {
    let started = Instant::now();
    ingest_burst(pipeline, burst).await?;
    let ingested = started.elapsed();
    let (done, triggers_done) = pipeline
        .wait_for_leads(burst, Duration::from_secs(600))
        .await?;
    // A Lead is stored a moment before its request is counted: read the counters once
    // every send is recorded, so every answer has gone out.
    pipeline.wait_for_records(Duration::from_secs(600)).await?;
    let stats = pipeline.emulator.stats();
    Ok(Burst {
        ingested,
        elapsed: done - started,
        triggers_done,
        calls: stats.total,
        token_requests: stats.endpoint("POST /services/oauth2/token"),
    })
}

/// Ingests users `bench-0` to `bench-{burst - 1}` (email `lead{n}@example.com`) in
/// requests of 75 users, several at once, each group-committed, and returns once every
/// request is answered.
pub(super) async fn ingest_burst(pipeline: &Pipeline, burst: usize) -> anyhow::Result<()> {
    let requests = (0..burst).step_by(USERS_PER_REQUEST).map(|first| {
        let count = USERS_PER_REQUEST.min(burst - first);
        pipeline.ingest(first, count, Utc::now())
    });
    let mut requests = futures::stream::iter(requests).buffer_unordered(CONCURRENT_REQUESTS);
    while let Some(outcome) = requests.next().await {
        outcome?;
    }
    Ok(())
}

pub async fn run(args: DeliveryArgs) -> anyhow::Result<ExitCode> {
    if args.burst == 0 || args.rate == 0 || args.seconds == 0 {
        bail!("--burst, --rate and --seconds must be at least 1");
    }
    // Burst: every user ingested at once, then time until every lead is in Salesforce.
    let pipeline = start(false).await?;
    let burst = run_burst(&pipeline, args.burst).await?;
    println!(
        "burst: {} users ingested in {:.2} s; {} leads delivered in {:.2} s end to end",
        args.burst,
        burst.ingested.as_secs_f64(),
        args.burst,
        burst.elapsed.as_secs_f64()
    );
    println!(
        "  deliveries per second, end to end: {:.0}",
        burst.deliveries_per_second(args.burst)
    );
    if let Some(after) = burst.triggers_done {
        println!(
            "  every trigger handled {:.2} s after the ingest ended (the rest is delivery's tail)",
            after.as_secs_f64()
        );
    }
    println!(
        "  Salesforce API calls per created lead: {:.4} ({} calls, {} token requests; Braze's guide's design: 2.0)",
        burst.calls_per_lead(args.burst),
        burst.calls,
        burst.token_requests
    );
    pipeline.stop().await;

    // Latency at a fixed offered rate.
    let pipeline = start(false).await?;
    let total = (args.rate * args.seconds) as usize;
    let tick = Duration::from_millis(10);
    let per_tick = (f64::from(args.rate) * tick.as_secs_f64()).max(1.0);
    let mut ingested_at: HashMap<String, DateTime<Utc>> = HashMap::with_capacity(total);
    let start_time = Instant::now();
    let mut sent = 0usize;
    let mut next = start_time;
    while sent < total {
        let due = ((start_time.elapsed().as_secs_f64() / tick.as_secs_f64()).floor() as usize + 1)
            * per_tick as usize;
        let count = due.min(total).saturating_sub(sent);
        if count > 0 {
            let now = Utc::now();
            for first in (sent..sent + count).step_by(USERS_PER_REQUEST) {
                let batch = USERS_PER_REQUEST.min(sent + count - first);
                pipeline.ingest(first, batch, now).await?;
            }
            for n in sent..sent + count {
                ingested_at.insert(format!("bench-{n}"), now);
            }
            sent += count;
        }
        next += tick;
        tokio::time::sleep_until(tokio::time::Instant::from_std(next)).await;
    }
    let offered = start_time.elapsed();
    pipeline
        .wait_for_leads(total, Duration::from_secs(600))
        .await?;
    // The lead is in Salesforce a moment before its record commits; wait for the records.
    let mut histogram = latencies(pipeline.store.as_ref(), &ingested_at).await?;
    for _ in 0..100 {
        if histogram.len() >= total as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        histogram = latencies(pipeline.store.as_ref(), &ingested_at).await?;
    }
    println!(
        "latency at {} users/s offered for {:.1} s ({} leads): enqueue to delivery p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        args.rate,
        offered.as_secs_f64(),
        histogram.len(),
        histogram.value_at_quantile(0.50) as f64 / 1000.0,
        histogram.value_at_quantile(0.99) as f64 / 1000.0,
        histogram.max() as f64 / 1000.0,
    );
    pipeline.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// Ingest-to-delivery latency of every delivered lead, in microseconds.
async fn latencies(
    store: &dyn Store,
    ingested_at: &HashMap<String, DateTime<Utc>>,
) -> anyhow::Result<Histogram<u64>> {
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3)?;
    let mut query = ActivityQuery {
        activity_type: Some(ActivityType::Success),
        ..ActivityQuery::default()
    };
    loop {
        let page = store.activity(&query).await?;
        for entry in &page.entries {
            let Some(ingested) = entry
                .external_id
                .as_ref()
                .and_then(|id| ingested_at.get(id))
            else {
                continue;
            };
            let micros = (entry.time - *ingested)
                .num_microseconds()
                .unwrap_or(0)
                .max(1);
            histogram.record(u64::try_from(micros).unwrap_or(1))?;
        }
        match page.next {
            Some(cursor) => query.before = Some(cursor),
            None => return Ok(histogram),
        }
    }
}
