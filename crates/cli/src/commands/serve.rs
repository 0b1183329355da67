//! `leadwire serve [--config FILE]`: the REST API on the configured store, the campaign
//! and canvas workers when the config has campaigns or canvases, and the delivery worker
//! when it has webhook templates, until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use leadwire_core::config::Config;
use leadwire_engine::delivery::{DeliverySettings, DeliveryWorker, SystemClock, WorkerInputs};
use leadwire_engine::journeys::Journeys;
use leadwire_engine::metrics::Metrics;
use leadwire_engine::workers::{WorkerOptions, Workers, WorkersHandle};
use leadwire_server::{ApiKeyConfig, AppState, Permission, app};
use tokio_util::sync::CancellationToken;

use crate::config::{Settings, load_settings, trigger_interest};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The TOML config file; without it, the compiled-in defaults.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    init_tracing();
    let settings = load_settings(args.config.as_deref())?;
    let config = match &args.config {
        Some(path) => super::check::load_valid_config(path)?,
        None => Config::default(),
    };
    let delivery = match &args.config {
        Some(path) => {
            let source = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            DeliverySettings::from_toml(&source).map_err(anyhow::Error::msg)?
        }
        None => DeliverySettings::default(),
    };
    let mut settings = settings;
    settings.server.api_keys = api_keys(&config, &settings.server.api_keys)?;
    let listener = tokio::net::TcpListener::bind(&settings.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.server.listen))?;
    let server = start(listener, &settings, &config, &delivery).await?;
    tracing::info!(address = %server.address, store = %settings.store.describe(), "leadwire is listening on http://{}", server.address);
    server.wait(shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// A running API server.
pub struct Running {
    pub address: std::net::SocketAddr,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    stop: tokio::sync::oneshot::Sender<()>,
    store: Arc<dyn leadwire_store::Store>,
    workers: Option<WorkersHandle>,
    delivery: Option<(CancellationToken, tokio::task::JoinHandle<()>)>,
}

/// Opens the store and serves the API on `listener` in a task.
pub async fn start(
    listener: tokio::net::TcpListener,
    settings: &Settings,
    config: &Config,
    delivery: &DeliverySettings,
) -> anyhow::Result<Running> {
    let store = leadwire_store::open(&settings.store)
        .await
        .with_context(|| format!("cannot open the store ({})", settings.store.describe()))?;
    let has_flows = !config.campaigns.is_empty() || !config.canvases.is_empty();
    store.set_trigger_interest(trigger_interest(
        &settings.store.triggers,
        has_flows.then(|| config.listened_triggers()),
    ));
    let limits = settings.store.attribute_limits()?;
    let mut state = AppState::new(store.clone(), &settings.server, limits);
    // The campaign and canvas workers run when the config has campaigns or canvases; the
    // trigger interest set above makes the store write the trigger jobs they listen to.
    let workers = if has_flows {
        let journeys = Arc::new(Journeys::new(
            store.clone(),
            Arc::new(config.clone()),
            limits,
        ));
        state = state.with_journeys(journeys.clone());
        tracing::info!(
            campaigns = config.campaigns.len(),
            canvases = config.canvases.len(),
            "starting the campaign and canvas workers"
        );
        Some(Workers::new(journeys, WorkerOptions::default()).start(CancellationToken::new()))
    } else {
        None
    };
    // The delivery worker runs when the config has webhook templates to send.
    let delivery = if config.webhook_templates.is_empty() {
        None
    } else {
        let worker = Arc::new(
            DeliveryWorker::new(WorkerInputs {
                store: store.clone(),
                config: Arc::new(config.clone()),
                settings: delivery.clone(),
                metrics: Arc::new(Metrics::new()),
                clock: Arc::new(SystemClock),
                env: Box::new(|name| std::env::var(name).ok()),
            })
            .context("cannot start the delivery worker")?,
        );
        state = state.with_metrics(worker.metrics().clone());
        tracing::info!(
            templates = config.webhook_templates.len(),
            "starting the delivery worker"
        );
        let cancel = CancellationToken::new();
        let task = tokio::spawn(worker.run(cancel.clone()));
        Some((cancel, task))
    };
    let address = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = app(state);
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                stopped.await.ok();
            })
            .await
    });
    Ok(Running {
        address,
        task,
        stop,
        store,
        workers,
        delivery,
    })
}

impl Running {
    /// Serves until `signal` completes, then drains connections and closes the store.
    pub async fn wait(self, signal: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
        signal.await;
        tracing::info!("shutting down: finishing in-flight requests");
        self.stop.send(()).ok();
        self.task.await.context("the server task failed")??;
        if let Some(workers) = self.workers {
            workers.shutdown().await;
        }
        if let Some((cancel, task)) = self.delivery {
            tracing::info!("draining the delivery worker");
            cancel.cancel();
            task.await.context("the delivery worker failed")?;
        }
        self.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The REST API keys: the file's `[[api_keys]]` (secret inline or read from `key_env`) and
/// any `[[server.api_keys]]`, logged by name; a temporary key with every permission (logged
/// in full) when there is none.
pub fn api_keys(
    config: &Config,
    server_keys: &[ApiKeyConfig],
) -> anyhow::Result<Vec<ApiKeyConfig>> {
    let env = |name: &str| std::env::var(name).ok();
    let mut keys = Vec::new();
    for key in &config.api_keys {
        let secret = key.resolve(&env).with_context(|| {
            format!(
                "API key `{}` has no value: set the environment variable {} or write `key = \"…\"`",
                key.name,
                key.key_env.as_deref().unwrap_or("named by key_env")
            )
        })?;
        let permissions = key
            .permissions
            .iter()
            .filter_map(|name| {
                let permission = Permission::from_name(name);
                if permission.is_none() {
                    tracing::warn!(key = %key.name, permission = %name, "unknown permission ignored");
                }
                permission
            })
            .collect();
        keys.push(ApiKeyConfig {
            name: key.name.clone(),
            key: secret,
            permissions,
        });
    }
    keys.extend(server_keys.iter().cloned());
    for key in &keys {
        let permissions: Vec<&str> = key.permissions.iter().map(|p| p.as_str()).collect();
        tracing::info!(key = %key.name, ?permissions, "REST API key loaded; send it as `Authorization: Bearer <key>`");
    }
    if keys.is_empty() {
        let secret = format!("lw-{}", uuid_like());
        tracing::warn!(key = %secret, "no [[api_keys]] configured: use this temporary key (every permission) for this run: Authorization: Bearer {secret}");
        keys.push(ApiKeyConfig {
            name: "temporary".into(),
            key: secret,
            permissions: Permission::ALL.to_vec(),
        });
    }
    Ok(keys)
}

/// 32 random hex characters.
fn uuid_like() -> String {
    format!("{:032x}", rand::random::<u128>())
}

pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .try_init()
        .ok();
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
