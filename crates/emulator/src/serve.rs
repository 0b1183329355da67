//! Serving the router on a TCP listener, as plain HTTP or HTTPS, with graceful shutdown; a request marked [`DropConnection`] closes its connection unanswered.
//! The server's task also runs the Bulk API processing task, stopped by the same shutdown.
//! The accept loop owns its connections' tasks, and [`EmulatorHandle::stopped`] tells an
//! embedding process when the loop has ended, however it ended.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use super::dispatch::router;
use super::reply::DropConnection;
use super::state::{EmulatorError, EmulatorState};
use super::stats::StatsSnapshot;
use super::tls::SelfSignedCert;

/// How to serve.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// Plain HTTP instead of HTTPS.
    pub plain_http: bool,
    /// Where to write the certificate PEM (HTTPS only).
    pub cert_out: Option<PathBuf>,
}

/// A running emulator: its URL, credentials, state and shutdown switch.
#[derive(Debug)]
pub struct EmulatorHandle {
    /// The instance URL, e.g. `https://127.0.0.1:40123`.
    pub base_url: String,
    /// The bound address.
    pub local_addr: SocketAddr,
    /// The certificate clients must trust (HTTPS only).
    pub cert_pem: Option<String>,
    state: EmulatorState,
    shutdown: CancellationToken,
    /// Cancelled when the accept loop ends, a panic included.
    stopped: CancellationToken,
    task: JoinHandle<()>,
}

impl EmulatorHandle {
    /// The connected app's consumer key.
    pub fn client_id(&self) -> &str {
        &self.state.config().client_id
    }

    /// The connected app's consumer secret.
    pub fn client_secret(&self) -> &str {
        &self.state.config().client_secret
    }

    /// The token endpoint, `<base_url>/services/oauth2/token`.
    pub fn token_url(&self) -> String {
        format!("{}/services/oauth2/token", self.base_url)
    }

    /// The shared state: counters, faults, reset.
    pub fn state(&self) -> &EmulatorState {
        &self.state
    }

    /// A copy of the request counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.state.stats()
    }

    /// Stops accepting, lets open requests finish (up to 5 s), and flushes `--data` writes.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
        if let Some(persist) = self.state.persist_handle() {
            persist.flush().await;
        }
    }

    /// Cancelling this token stops the server as [`EmulatorHandle::shutdown`] does, without
    /// waiting for it.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Completes when the server has stopped accepting connections: after a shutdown, or
    /// when its task ended any other way.
    pub fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        self.stopped.clone().cancelled_owned()
    }
}

/// Serves `state` on `listener` and returns at once with a handle.
pub async fn spawn(
    state: EmulatorState,
    listener: TcpListener,
    options: ServeOptions,
) -> Result<EmulatorHandle, EmulatorError> {
    let local_addr = listener.local_addr()?;
    let (acceptor, cert_pem) = if options.plain_http {
        (None, None)
    } else {
        let cert = SelfSignedCert::generate()?;
        if let Some(path) = &options.cert_out {
            tokio::fs::write(path, &cert.cert_pem).await?;
        }
        (
            Some(TlsAcceptor::from(cert.server_config()?)),
            Some(cert.cert_pem),
        )
    };
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    let host = if local_addr.ip().is_unspecified() {
        format!("localhost:{}", local_addr.port())
    } else {
        local_addr.to_string()
    };
    let base_url = format!("{scheme}://{host}");
    state.set_instance_url(&base_url);
    let shutdown = CancellationToken::new();
    let stopped = CancellationToken::new();
    let ended = stopped.clone();
    let serving = accept_loop(listener, acceptor, router(state.clone()), shutdown.clone());
    let processing_state = state.clone();
    let processing_stop = shutdown.clone();
    let task = tokio::spawn(async move {
        let _ended = ended.drop_guard();
        let processing = processing_state.process_bulk_jobs(processing_stop);
        tokio::join!(serving, processing);
    });
    tracing::info!(%base_url, "Salesforce emulator listening");
    Ok(EmulatorHandle {
        base_url,
        local_addr,
        cert_pem,
        state,
        shutdown,
        stopped,
        task,
    })
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    app: Router,
    shutdown: CancellationToken,
) {
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let (stream, peer) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        connections.spawn(serve_connection(
            stream,
            peer,
            acceptor.clone(),
            app.clone(),
            graceful.watcher(),
        ));
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(5), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still open after 5 s; closing them");
    }
    // Whatever is still open is aborted with the set.
    connections.abort_all();
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: Option<TlsAcceptor>,
    app: Router,
    graceful: Watcher,
) {
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let app = app.clone();
        async move {
            let response = match app.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.extensions().get::<DropConnection>().is_some() {
                return Err(ConnectionDropped);
            }
            Ok::<_, ConnectionDropped>(response)
        }
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    let outcome = match acceptor {
        Some(acceptor) => match acceptor.accept(stream).await {
            Ok(tls) => {
                let connection = builder
                    .serve_connection(TokioIo::new(tls), service)
                    .into_owned();
                graceful.watch(connection).await
            }
            Err(error) => {
                tracing::debug!(%peer, %error, "TLS handshake failed");
                return;
            }
        },
        None => {
            let connection = builder
                .serve_connection(TokioIo::new(stream), service)
                .into_owned();
            graceful.watch(connection).await
        }
    };
    if let Err(error) = outcome {
        tracing::debug!(%peer, %error, "connection ended with an error");
    }
}

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for ConnectionDropped {}

#[allow(dead_code)]
fn assert_infallible(_: Infallible) {}
