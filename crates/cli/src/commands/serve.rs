//! `leadwire serve [--config FILE]`: the REST API on the configured store, until Ctrl-C or
//! SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use leadwire_core::config::Config;
use leadwire_server::{ApiKeyConfig, AppState, Permission, app};

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
    let mut settings = settings;
    settings.server.api_keys = api_keys(&settings.server.api_keys);
    let listener = tokio::net::TcpListener::bind(&settings.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.server.listen))?;
    let server = start(listener, &settings, &config).await?;
    tracing::info!(address = %server.address, store = %settings.store.describe(), "leadwire is listening on http://{}", server.address);
    server.wait(shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// A running API server.
pub struct Running {
    pub address: std::net::SocketAddr,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    stop: tokio::sync::oneshot::Sender<()>,
    store: std::sync::Arc<dyn leadwire_store::Store>,
}

/// Opens the store and serves the API on `listener` in a task.
pub async fn start(
    listener: tokio::net::TcpListener,
    settings: &Settings,
    config: &Config,
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
    let state = AppState::new(store.clone(), &settings.server, limits);
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
    })
}

impl Running {
    /// Serves until `signal` completes, then drains connections and closes the store.
    pub async fn wait(self, signal: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
        signal.await;
        tracing::info!("shutting down: finishing in-flight requests");
        self.stop.send(()).ok();
        self.task.await.context("the server task failed")??;
        self.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The configured `[[server.api_keys]]`, logged by name; a temporary key with every
/// permission (logged in full) when none is configured.
pub fn api_keys(configured: &[ApiKeyConfig]) -> Vec<ApiKeyConfig> {
    for key in configured {
        let permissions: Vec<&str> = key.permissions.iter().map(|p| p.as_str()).collect();
        tracing::info!(key = %key.name, ?permissions, "REST API key loaded; send it as `Authorization: Bearer <key>`");
    }
    if !configured.is_empty() {
        return configured.to_vec();
    }
    let secret = format!("lw-{}", uuid_like());
    tracing::warn!(key = %secret, "no [[server.api_keys]] configured: use this temporary key (every permission) for this run: Authorization: Bearer {secret}");
    vec![ApiKeyConfig {
        name: "temporary".into(),
        key: secret,
        permissions: Permission::ALL.to_vec(),
    }]
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
