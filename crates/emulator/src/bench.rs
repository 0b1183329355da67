//! A load benchmark: the emulator and a pool of keep-alive HTTP/1.1 clients in one process, counting Lead creates per second.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::config::EmulatorConfig;
use super::serve::{ServeOptions, spawn};
use super::state::{EmulatorError, EmulatorState};

/// What one benchmark run measured.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub connections: usize,
    pub tls: bool,
    pub seconds: f64,
    pub creates: u64,
    pub failures: u64,
    /// CPU time (user + system) the whole process used while measuring, when known.
    pub cpu_seconds: Option<f64>,
}

impl BenchReport {
    /// Creates per second that two otherwise idle cores would sustain, from the CPU time used
    /// (server and clients together): a figure that does not depend on other load.
    pub fn creates_per_second_on_two_idle_cores(&self) -> Option<f64> {
        let cpu = self.cpu_seconds.filter(|cpu| *cpu > 0.0)?;
        Some(self.creates as f64 / cpu * 2.0)
    }

    /// Successful creates per second.
    pub fn creates_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.creates as f64 / self.seconds
        } else {
            0.0
        }
    }
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.0} creates/s ({} creates in {:.2} s over {} keep-alive {} connections; {} failures)",
            self.creates_per_second(),
            self.creates,
            self.seconds,
            self.connections,
            if self.tls { "HTTPS" } else { "HTTP" },
            self.failures,
        )?;
        if let (Some(cpu), Some(projected)) = (
            self.cpu_seconds,
            self.creates_per_second_on_two_idle_cores(),
        ) {
            write!(
                f,
                "; {cpu:.2} CPU-s used, so {projected:.0} creates/s on 2 idle cores"
            )?;
        }
        Ok(())
    }
}

struct Target {
    addr: std::net::SocketAddr,
    token: String,
    tls: Option<(
        tokio_rustls::TlsConnector,
        rustls::pki_types::ServerName<'static>,
    )>,
}

/// Runs the emulator on a local port and hammers `POST /sobjects/Lead` for `seconds`
/// (after one second of warm-up) from `connections` keep-alive connections.
pub async fn run(
    config: EmulatorConfig,
    connections: usize,
    seconds: u64,
    tls: bool,
) -> Result<BenchReport, EmulatorError> {
    // The bench sends far more than a day's allocation; it measures creates, not the 403.
    let config = EmulatorConfig {
        daily_api_limit: u64::MAX,
        ..config.with_generated_credentials()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let state = EmulatorState::new(config)?;
    let handle = spawn(
        state.clone(),
        listener,
        ServeOptions {
            plain_http: !tls,
            cert_out: None,
        },
    )
    .await?;
    let token = state
        .inner
        .tokens
        .issue(
            &state.config().client_id,
            chrono::Utc::now(),
            chrono::Duration::hours(2),
        )
        .0;
    let tls_connector = match &handle.cert_pem {
        Some(pem) => Some(connector(pem)?),
        None => None,
    };
    let target = Arc::new(Target {
        addr: handle.local_addr,
        token,
        tls: tls_connector,
    });
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let creates = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::with_capacity(connections);
    for _ in 0..connections.max(1) {
        let (target, measuring, stop, creates, failures) = (
            target.clone(),
            measuring.clone(),
            stop.clone(),
            creates.clone(),
            failures.clone(),
        );
        workers.push(tokio::spawn(async move {
            if let Err(error) = worker(&target, &measuring, &stop, &creates, &failures).await {
                tracing::warn!(%error, "a benchmark connection failed");
                failures.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    measuring.store(true, Ordering::SeqCst);
    let cpu_before = process_cpu_seconds();
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds.max(1))).await;
    let creates = creates.load(Ordering::SeqCst);
    let elapsed = started.elapsed().as_secs_f64();
    let cpu_seconds = process_cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        let _ = worker.await;
    }
    handle.shutdown().await;
    Ok(BenchReport {
        connections,
        tls,
        seconds: elapsed,
        creates,
        failures: failures.load(Ordering::SeqCst),
        cpu_seconds,
    })
}

/// User plus system CPU time of this process, from `/proc/self/stat` (Linux; `None` elsewhere).
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: 12 and 13 after the name.
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(ticks / 100.0)
}

fn connector(
    pem: &str,
) -> Result<
    (
        tokio_rustls::TlsConnector,
        rustls::pki_types::ServerName<'static>,
    ),
    EmulatorError,
> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_bytes()) {
        roots
            .add(cert?)
            .map_err(|error| EmulatorError::Tls(error.to_string()))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|error| EmulatorError::Tls(error.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost")
        .map_err(|error| EmulatorError::Tls(error.to_string()))?;
    Ok((tokio_rustls::TlsConnector::from(Arc::new(config)), name))
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn open(target: &Target) -> Result<Sender, Box<dyn std::error::Error + Send + Sync>> {
    let stream = TcpStream::connect(target.addr).await?;
    stream.set_nodelay(true)?;
    let sender = match &target.tls {
        Some((connector, name)) => {
            let tls = connector.connect(name.clone(), stream).await?;
            let (sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
            tokio::spawn(connection);
            sender
        }
        None => {
            let (sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            sender
        }
    };
    Ok(sender)
}

async fn worker(
    target: &Target,
    measuring: &AtomicBool,
    stop: &AtomicBool,
    creates: &AtomicU64,
    failures: &AtomicU64,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut sender = open(target).await?;
    let authorization = format!("Bearer {}", target.token);
    let body = Bytes::from_static(br#"{"LastName":"Bench","Company":"Load Test Inc","Email":"bench@example.com","LeadSource":"Web"}"#);
    while !stop.load(Ordering::Relaxed) {
        let request = Request::post("/services/data/v60.0/sobjects/Lead/")
            .header("host", "localhost")
            .header("authorization", &authorization)
            .header("content-type", "application/json")
            .body(Full::new(body.clone()))?;
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        response.into_body().collect().await?;
        if measuring.load(Ordering::Relaxed) {
            if status == StatusCode::CREATED {
                creates.fetch_add(1, Ordering::Relaxed);
            } else {
                failures.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    Ok(())
}
