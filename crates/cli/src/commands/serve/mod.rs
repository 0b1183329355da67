//! `leadwire serve [--config FILE]`: the REST API on the configured store, the campaign
//! and canvas workers when the config has campaigns or canvases, the delivery worker when it
//! has webhook templates (and its bulk lane when one has a `bulk_threshold`), and the built-in Salesforce emulator when a connection points at
//! the `[emulator]` address, until Ctrl-C or SIGTERM, or until one of them stops (module
//! `supervisor`).

mod keys;
mod shutdown;
pub mod supervisor;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use leadwire_core::config::Config;
use leadwire_engine::bulk::BulkLane;
use leadwire_engine::delivery::{DeliveryWorker, SystemClock, WorkerInputs};
use leadwire_engine::journeys::Journeys;
use leadwire_engine::metrics::Metrics;
use leadwire_engine::tasks::Ended;
use leadwire_engine::workers::Workers;
use leadwire_server::console::{Console, ConsoleContext};
use leadwire_server::{AppState, DomainConfig, Readiness, app};
use tokio::net::TcpListener;
use tokio::time::Instant;

pub use keys::api_keys;
pub use shutdown::shutdown_signal;
use supervisor::Supervisor;

use crate::config::{Settings, load_settings};
use crate::embedded_emulator::{EmbeddedEmulator, Environment, process_environment};
use crate::logging::init_tracing;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The TOML config file; without it, the compiled-in defaults.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let inputs = ServeInputs::load(args.config.as_deref())?;
    init_tracing(&inputs.settings.log);
    let signal = shutdown_signal();
    let listeners = inputs.bind().await?;
    let server = start(inputs, listeners).await?;
    server.wait(signal).await?;
    Ok(ExitCode::SUCCESS)
}

/// Everything `serve` reads before it starts: the layered settings, the checked config, and
/// where secrets come from.
#[derive(Clone)]
pub struct ServeInputs {
    pub settings: Settings,
    pub config: Config,
    /// The config file, when one was given, and `check`'s warnings about it.
    pub config_file: Option<PathBuf>,
    pub config_warnings: Vec<String>,
    /// Reads API keys and connection secrets: the process environment unless replaced.
    pub env: Environment,
}

/// Where the API and the built-in emulator listen.
pub struct Listeners {
    pub api: TcpListener,
    /// Bound only when a connection points at the `[emulator]` address.
    pub emulator: Option<TcpListener>,
}

impl ServeInputs {
    /// Reads `file` (the compiled-in defaults without it); a config that `leadwire check`
    /// rejects is an error listing every problem, and nothing starts.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let settings = load_settings(file)?;
        let (config, config_warnings) = match file {
            Some(path) => super::check::load_checked_config(path)?,
            None => (Config::default(), Vec::new()),
        };
        Ok(Self {
            settings,
            config,
            config_file: file.map(Path::to_path_buf),
            config_warnings,
            env: process_environment(),
        })
    }

    /// The built-in emulator's address, when a connection points at it.
    pub fn emulator_address(&self) -> Option<SocketAddr> {
        let section = &self.settings.emulator;
        let listen = section.listen?;
        if section.pointing_connections(&self.config).is_empty() {
            tracing::warn!(
                %listen,
                "[emulator] listen is set but no Salesforce connection points at it, so it is not started"
            );
            return None;
        }
        Some(listen)
    }

    /// Binds the configured addresses.
    pub async fn bind(&self) -> anyhow::Result<Listeners> {
        let address = &self.settings.server.listen;
        let api = TcpListener::bind(address).await.with_context(|| {
            format!("cannot listen on {address} for the REST API ([server] listen)")
        })?;
        let emulator = match self.emulator_address() {
            None => None,
            Some(address) => Some(TcpListener::bind(address).await.with_context(|| {
                format!(
                    "cannot start the built-in Salesforce emulator on {address}: stop what listens there, or remove [emulator] from the config to use that server instead"
                )
            })?),
        };
        Ok(Listeners { api, emulator })
    }
}

/// A running node: the API, its workers and, when configured, the emulator, each owned
/// by the supervisor.
pub struct Running {
    pub address: SocketAddr,
    /// The built-in emulator's base URL, when it runs.
    pub emulator_url: Option<String>,
    supervisor: Supervisor,
    /// How long a shutdown may drain (`server.shutdown_grace_seconds`).
    grace: Duration,
    store: Arc<dyn leadwire_store::Store>,
    emulator: Option<EmbeddedEmulator>,
}

/// Opens the store and starts everything the inputs ask for on `listeners`, each in a task.
pub async fn start(inputs: ServeInputs, listeners: Listeners) -> anyhow::Result<Running> {
    let ServeInputs {
        mut settings,
        config,
        config_file,
        config_warnings,
        env,
    } = inputs;
    let readiness = Readiness::new();
    let mut supervisor = Supervisor::new(readiness.clone());
    let emulator = match listeners.emulator {
        Some(listener) => start_emulator(&config, listener, &mut settings, &*env).await?,
        None => None,
    };
    if let Some(emulator) = &emulator {
        let stopped = emulator.handle.stopped();
        supervisor.watch(supervisor::EMULATOR, async move {
            stopped.await;
            Ended::Returned
        });
    }
    let env = match &emulator {
        Some(emulator) => emulator.environment(env),
        None => env,
    };
    settings.server.api_keys = api_keys(&config, &settings.server.api_keys, &*env)?;
    readiness.set(supervisor::MIGRATIONS, false);
    let store = leadwire_store::open(&settings.store)
        .await
        .with_context(|| format!("cannot open the store ({})", settings.store.describe()))?;
    readiness.set(supervisor::MIGRATIONS, true);
    let has_flows = !config.campaigns.is_empty() || !config.canvases.is_empty();
    // The campaigns' and canvases' triggers when there are any, otherwise `[store.triggers]`.
    store.set_trigger_interest(if has_flows {
        config.trigger_interest()
    } else {
        settings.store.triggers.clone()
    });
    // The config has no dates: the store's registry keeps when each campaign and canvas was
    // first seen and last changed, for the REST API's lists and details.
    leadwire_server::register_config(store.as_ref(), &config, chrono::Utc::now())
        .await
        .context("cannot record the config's campaigns and canvases in the store")?;
    let limits = settings.store.attribute_limits()?;
    let mut state = AppState::new(store.clone(), &settings.server, limits)
        .with_readiness(readiness.clone())
        .with_domain(DomainConfig {
            config: config.clone(),
            file: config_file.clone(),
            loaded_at: chrono::Utc::now(),
        })
        .with_exports_dir(settings.store.exports_dir());
    let ingest = state.ingest.clone();
    supervisor.watch(supervisor::INGEST_WRITER, async move {
        Ended::of(ingest.writer_ended().await)
    });
    // The campaign and canvas workers run when the config has campaigns or canvases (the
    // trigger interest set above makes the store write the trigger jobs they listen to), or
    // segments, whose sizes their housekeeping measures.
    if has_flows || !config.segments.is_empty() {
        let journeys = Arc::new(
            Journeys::new(store.clone(), Arc::new(config.clone()), limits)
                .with_exports_dir(settings.store.exports_dir()),
        );
        state = state.with_journeys(journeys.clone());
        tracing::info!(
            campaigns = config.campaigns.len(),
            canvases = config.canvases.len(),
            "starting the campaign and canvas workers"
        );
        let workers = Workers::new(journeys, settings.workers.clone());
        supervisor.spawn(
            supervisor::JOURNEY_WORKERS,
            workers.run(supervisor.drain_token()),
        );
    }
    let mut console = ConsoleContext::new(Arc::new(config.clone()));
    console.config_file = config_file;
    console.diagnostics = config_warnings;
    // The delivery worker runs when the config has webhook templates to send.
    if !config.webhook_templates.is_empty() {
        let worker = delivery_worker(&store, &config, &settings, env.clone())?;
        state = state
            .with_metrics(worker.metrics().clone())
            .with_redactor(worker.redactor().clone());
        console.delivery = Some(worker.clone());
        tracing::info!(
            templates = config.webhook_templates.len(),
            "starting the delivery worker"
        );
        if BulkLane::wanted(&config) {
            let lane = BulkLane::new(worker.clone());
            supervisor.spawn(supervisor::BULK_LANE, lane.run(supervisor.drain_token()));
        }
        supervisor.spawn(
            supervisor::DELIVERY_WORKER,
            worker.run(supervisor.drain_token()),
        );
    }
    if settings.console.enabled {
        state = state.with_console(Console::new(settings.console.clone(), console));
    }
    let address = listeners.api.local_addr()?;
    let router = app(state);
    let api = listeners.api;
    let drain = supervisor.drain_token();
    supervisor.spawn(supervisor::API, async move {
        axum::serve(
            api,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(drain.cancelled_owned())
        .await
    });
    tracing::info!(store = %settings.store.describe(), "leadwire REST API listening on http://{address}");
    Ok(Running {
        address,
        emulator_url: emulator.as_ref().map(|e| e.handle.base_url.clone()),
        supervisor,
        grace: Duration::from_secs(settings.server.shutdown_grace_seconds),
        store,
        emulator,
    })
}

/// The delivery worker over `store`, reading secrets from `env`.
fn delivery_worker(
    store: &Arc<dyn leadwire_store::Store>,
    config: &Config,
    settings: &Settings,
    env: Environment,
) -> anyhow::Result<Arc<DeliveryWorker>> {
    let worker = DeliveryWorker::new(WorkerInputs {
        store: store.clone(),
        config: Arc::new(config.clone()),
        settings: settings.delivery.clone(),
        metrics: Arc::new(Metrics::new()),
        clock: Arc::new(SystemClock),
        env: Box::new(move |name| env(name)),
    })
    .context("cannot start the delivery worker")?;
    Ok(Arc::new(worker))
}

/// Starts the built-in emulator and makes the delivery worker trust its certificate.
async fn start_emulator(
    config: &Config,
    listener: TcpListener,
    settings: &mut Settings,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<Option<EmbeddedEmulator>> {
    let section = &settings.emulator;
    let data_dir = section.persist.then_some(settings.store.data_dir.as_path());
    let Some(emulator) = EmbeddedEmulator::start(section, config, listener, data_dir, env).await?
    else {
        return Ok(None);
    };
    for connection in section.pointing_connections(config) {
        let variable = connection.client_secret_env.as_deref().unwrap_or_default();
        // A generated secret is printed: it is this run's only way into the local emulator
        // (for SOQL and the admin API), and it dies with the process.
        let secret = match emulator.generated_secret_for(variable) {
            Some(generated) => {
                format!("{generated} generated for this run, since {variable} is unset")
            }
            None => format!("from {variable}"),
        };
        tracing::info!(
            connection = %connection.name,
            client_id = %connection.client_id,
            "built-in Salesforce emulator listening on {base} (client secret {secret}; tokens at {}, leads: SOQL at {base}/services/data/v60.0/query, counters at {base}/__emulator/stats)",
            emulator.handle.token_url(),
            base = emulator.handle.base_url,
        );
    }
    if emulator.restored_leads > 0 {
        tracing::info!(
            leads = emulator.restored_leads,
            "emulator leads restored from the data directory"
        );
    }
    if let Some(file) = &emulator.certificate_file {
        match &settings.delivery.extra_ca_file {
            None => settings.delivery.extra_ca_file = Some(file.clone()),
            Some(other) => tracing::warn!(
                certificate = %file.display(),
                configured = %other.display(),
                "[delivery] extra_ca_file is set, so the emulator's certificate is not trusted automatically; serve the emulator over http or add its certificate to that file"
            ),
        }
    }
    Ok(Some(emulator))
}

impl Running {
    /// The store the node writes to.
    pub fn store(&self) -> &Arc<dyn leadwire_store::Store> {
        &self.store
    }

    /// The built-in emulator, when it runs.
    pub fn emulator(&self) -> Option<&leadwire_salesforce_emulator::EmulatorHandle> {
        self.emulator.as_ref().map(|emulator| &emulator.handle)
    }

    /// Serves until `signal` completes or a component stops; then stops accepting requests,
    /// drains the requests in flight and the workers' current batches for up to
    /// `server.shutdown_grace_seconds` (aborting what is left), stops the emulator last (the
    /// delivery worker may still be sending to it) and closes the store. A component that
    /// stopped on its own, or failed while draining, is the error.
    pub async fn wait(self, signal: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
        let Running {
            mut supervisor,
            grace,
            store,
            emulator,
            ..
        } = self;
        let crash = supervisor.until_crash(signal).await;
        match &crash {
            Some(end) => tracing::error!(
                component = %end.name,
                ended = %end.ended,
                "a component of the node stopped; shutting the node down so it can be restarted"
            ),
            None => tracing::info!(
                grace_seconds = grace.as_secs(),
                "shutting down: finishing in-flight requests and the workers' current batches"
            ),
        }
        let failed = supervisor.shut_down(Instant::now() + grace).await;
        let close = async {
            if let Some(emulator) = emulator {
                emulator.handle.shutdown().await;
            }
            store.close().await;
        };
        if tokio::time::timeout(supervisor::CLOSE_WAIT, close)
            .await
            .is_err()
        {
            tracing::warn!(
                "the emulator and the store did not close within {} s; exiting anyway",
                supervisor::CLOSE_WAIT.as_secs()
            );
        }
        tracing::info!("stopped");
        match crash.or_else(|| failed.into_iter().next()) {
            Some(end) => Err(anyhow::anyhow!("the node stopped because {end}")),
            None => Ok(()),
        }
    }
}
