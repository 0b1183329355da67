//! The state every handler shares; cheap to clone.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use leadwire_core::attributes::AttributeLimits;
use leadwire_core::config::Config;
use leadwire_engine::delivery::redact::Redactor;
use leadwire_engine::delivery::{Clock, SystemClock};
use leadwire_engine::journeys::Journeys;
use leadwire_engine::metrics::Metrics;
use leadwire_store::Store;
use leadwire_store::ingest::Ingestor;

use crate::auth::ApiKeys;
use crate::config::ServerConfig;
use crate::console::Console;
use crate::rate_limit::RateLimits;
use crate::readiness::Readiness;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// `/users/track` writes, group-committed.
    pub ingest: Arc<Ingestor>,
    pub keys: Arc<ApiKeys>,
    /// The budgets per key and per client address (`rate_limit::guard`).
    pub rate_limits: Arc<RateLimits>,
    pub limits: AttributeLimits,
    pub max_body_bytes: usize,
    /// One large body is parsed at a time (see `routes::body`).
    pub large_bodies: Arc<tokio::sync::Semaphore>,
    /// Longest time one request may take (`server.request_timeout_seconds`).
    pub request_timeout: Duration,
    /// Longest pause while reading a request body (`server.body_read_timeout_seconds`).
    pub body_read_timeout: Duration,
    /// Served at `/metrics` when set.
    pub metrics: Option<Arc<Metrics>>,
    /// The campaign and Canvas runtime behind the trigger-send endpoints; `None` when the
    /// server runs without a config of campaigns and canvases.
    pub journeys: Option<Arc<Journeys>>,
    /// The node's components that `/readyz` checks beside the store.
    pub readiness: Readiness,
    /// The web console under `/console/`, when it is on.
    pub console: Option<Arc<Console>>,
    /// What the export endpoints redact from the templates they show: the delivery
    /// worker's redactor when there is one (secret names from the settings, client secrets
    /// by value), else the built-in secret names.
    pub redactor: Arc<Redactor>,
    /// The domain config (`[[content_blocks]]` and the templates that include them,
    /// `[[segments]]`) and where it was read from.
    pub domain: Arc<DomainConfig>,
    /// Where segment exports are written (`[store] exports_dir`), whose bundles
    /// `GET /users/export/segment/files/…` serves.
    pub exports_dir: PathBuf,
    /// Where `POST /sends/id/create` reads the time its daily budget counts by: the system
    /// time, or a fixed one in tests (so that a run never straddles a UTC midnight).
    pub clock: Arc<dyn Clock>,
}

/// The checked config file the node runs, for endpoints that read it.
#[derive(Debug, Default)]
pub struct DomainConfig {
    pub config: Config,
    /// The file it was read from, when there was one.
    pub file: Option<PathBuf>,
    /// When it was read: the creation and edit time of its Content Blocks.
    pub loaded_at: DateTime<Utc>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: &ServerConfig, limits: AttributeLimits) -> Self {
        Self {
            ingest: Arc::new(Ingestor::new(store.clone(), limits)),
            store,
            keys: Arc::new(ApiKeys::new(&config.api_keys)),
            rate_limits: Arc::new(RateLimits::new(config)),
            limits,
            max_body_bytes: config.max_body_bytes,
            large_bodies: Arc::new(tokio::sync::Semaphore::new(1)),
            request_timeout: Duration::from_secs(config.request_timeout_seconds),
            body_read_timeout: Duration::from_secs(config.body_read_timeout_seconds),
            metrics: None,
            journeys: None,
            readiness: Readiness::default(),
            console: None,
            redactor: Arc::new(Redactor::default()),
            domain: Arc::default(),
            exports_dir: PathBuf::from("exports"),
            clock: Arc::new(SystemClock),
        }
    }

    /// Reads the time of the daily send-id budget from `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Redacts the templates the export endpoints show with `redactor`.
    pub fn with_redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = Arc::new(redactor);
        self
    }

    /// Reads Content Blocks (and the templates including them) from `domain`.
    pub fn with_domain(mut self, domain: DomainConfig) -> Self {
        self.domain = Arc::new(domain);
        self
    }

    /// Serves `metrics` at `/metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Answers `/readyz` from `readiness` as well as the store.
    pub fn with_readiness(mut self, readiness: Readiness) -> Self {
        self.readiness = readiness;
        self
    }

    /// Serves `/campaigns/trigger/send` and `/canvas/trigger/send` with `journeys`.
    pub fn with_journeys(mut self, journeys: Arc<Journeys>) -> Self {
        self.journeys = Some(journeys);
        self
    }

    /// Serves segment export bundles from `dir`.
    pub fn with_exports_dir(mut self, dir: PathBuf) -> Self {
        self.exports_dir = dir;
        self
    }

    /// Serves the web console under `/console/`.
    pub fn with_console(mut self, console: Arc<Console>) -> Self {
        self.console = Some(console);
        self
    }
}
