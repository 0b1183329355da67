//! The delivery worker: the shared state every send uses, built once from the config.
//!
//! [`DeliveryWorker::process`] (in `send.rs`) turns one claimed send job into attempts and
//! activity entries without touching the database; [`DeliveryWorker::record`] (in
//! `record.rs`) writes a group of those results in one transaction; [`DeliveryWorker::run`]
//! (in `runner.rs`) loops claim → process → record, recording each batch's sends as they
//! finish (`batch.rs`).

use std::sync::Arc;
use std::time::Duration;

use leadwire_core::attributes::AttributeLimits;
use leadwire_core::config::Config;
use leadwire_store::Store;

use super::backoff::ConnectionBackoffs;
use super::breaker::CircuitBreakers;
use super::budget::ApiBudget;
use super::clock::Clock;
use super::collection::Collector;
use super::concurrency::InFlightLimits;
use super::http::{ClientBuildError, HttpSettings, build_client};
use super::redact::Redactor;
use super::render::Renderer;
use super::retry::RetrySchedule;
use super::settings::DeliverySettings;
use super::templates::TemplateCompileError;
use super::tokens::TokenRegistry;
use super::url_policy::Allowlist;
use crate::metrics::Metrics;

/// Why the worker could not start.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryBuildError {
    #[error(transparent)]
    Client(#[from] ClientBuildError),
    #[error(transparent)]
    Template(#[from] TemplateCompileError),
    #[error("{0}")]
    Settings(String),
}

/// Reads an environment variable; tests pass a closure over a map.
pub type EnvReader = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Everything a worker needs from outside.
pub struct WorkerInputs {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    pub settings: DeliverySettings,
    pub metrics: Arc<Metrics>,
    pub clock: Arc<dyn Clock>,
    /// Reads environment variables (client secrets); tests pass a map.
    pub env: EnvReader,
}

/// The delivery worker. Share it behind an `Arc`; every method takes `&self`.
pub struct DeliveryWorker {
    pub(super) store: Arc<dyn Store>,
    pub(super) config: Arc<Config>,
    pub(super) settings: DeliverySettings,
    pub(super) metrics: Arc<Metrics>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) renderer: Renderer,
    pub(super) client: reqwest::Client,
    pub(super) allowlist: Arc<Allowlist>,
    pub(super) tokens: Arc<TokenRegistry>,
    pub(super) breakers: CircuitBreakers,
    pub(super) backoffs: ConnectionBackoffs,
    /// The newest API usage reading per connection (`Sforce-Limit-Info` or `/limits`) and
    /// the budget floors.
    pub(super) budget: ApiBudget,
    pub(super) in_flight: Arc<InFlightLimits>,
    pub(super) schedule: RetrySchedule,
    pub(super) redactor: Redactor,
    pub(super) limits: AttributeLimits,
    /// How often a running batch renews its leases: a third of `delivery.lease`.
    pub(super) lease_renewal_every: Duration,
    /// The open sObject Collections groups of batched templates.
    pub(super) collector: Arc<Collector>,
}

impl DeliveryWorker {
    pub fn new(inputs: WorkerInputs) -> Result<Self, DeliveryBuildError> {
        let WorkerInputs {
            store,
            config,
            settings,
            metrics,
            clock,
            env,
        } = inputs;
        settings.validate().map_err(DeliveryBuildError::Settings)?;
        let allowlist = Arc::new(Allowlist::new(
            settings.allowed_hosts.iter().map(String::as_str),
        ));
        let client = build_client(&HttpSettings {
            timeout: std::time::Duration::from_secs(settings.timeout.seconds()),
            extra_ca_file: settings.extra_ca_file.clone(),
            allowlist: allowlist.clone(),
        })?;
        let tokens = Arc::new(TokenRegistry::new(
            client.clone(),
            std::time::Duration::from_secs(settings.token_ttl.seconds()),
            metrics.clone(),
            &config.salesforce_connections,
        ));
        let in_flight = Arc::new(InFlightLimits::from_settings(&settings));
        let renderer = Renderer::new(
            &config,
            client.clone(),
            allowlist.clone(),
            tokens.clone(),
            in_flight.clone(),
            &*env,
        )?;
        let mut redactor = Redactor::new(settings.secret_names.iter().cloned());
        for secret in renderer.client_secrets().values() {
            redactor.add_secret_value(secret);
        }
        Ok(Self {
            renderer,
            breakers: CircuitBreakers::new(settings.breaker()),
            backoffs: ConnectionBackoffs::new(
                settings.connection_backoff.as_delta(),
                settings.connection_backoff_max.as_delta(),
            ),
            budget: ApiBudget::new(&config.salesforce_connections, metrics.clone()),
            schedule: settings.retry_schedule(),
            in_flight,
            store,
            config,
            metrics,
            clock,
            client,
            allowlist,
            tokens,
            redactor,
            limits: AttributeLimits::default(),
            lease_renewal_every: settings.lease_duration() / 3,
            collector: Arc::new(Collector::default()),
            settings,
        })
    }

    /// Renews a running batch's leases every `every` instead of every third of
    /// `delivery.lease` (tests shorten it).
    #[must_use]
    pub fn renew_leases_every(mut self, every: Duration) -> Self {
        self.lease_renewal_every = every;
        self
    }

    /// The token caches, e.g. to read how many token requests were made.
    pub fn tokens(&self) -> &Arc<TokenRegistry> {
        &self.tokens
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    pub fn settings(&self) -> &DeliverySettings {
        &self.settings
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// What every send renders with (a Bulk API 2.0 run renders its rows with it too).
    pub fn renderer(&self) -> &Renderer {
        &self.renderer
    }

    /// The one HTTP client, behind the URL policy.
    pub fn http_client(&self) -> &reqwest::Client {
        &self.client
    }

    /// How often running work renews its leases.
    pub fn lease_renewal_every(&self) -> Duration {
        self.lease_renewal_every
    }
}
