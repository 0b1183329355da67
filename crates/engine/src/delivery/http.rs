//! The one pooled outbound HTTP client, and a single attempt made with it.
//!
//! One `reqwest::Client` serves every webhook and Connected Content call: keep-alive
//! connections, HTTP/2 where the server offers it, rustls with the system roots and the
//! webpki roots, plus an optional extra CA file (the emulator's self-signed certificate).
//! Redirects are not followed (Braze does not follow them either: a 3xx is a failure).
//! Names resolve through the URL policy's resolver.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::retry::synthetic_status;
use super::url_policy::{Allowlist, PolicyResolver, UrlRefusal, check_url};

/// How much of a response body is kept (and of a request body, in its activity entry).
pub const RESPONSE_BODY_LIMIT: usize = 20 * 1024;

/// Settings of the outbound client.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Per-request timeout; Braze's is 90 seconds.
    pub timeout: Duration,
    /// A PEM file with extra CA certificates to trust.
    pub extra_ca_file: Option<PathBuf>,
    /// Hosts that may be non-public.
    pub allowlist: Arc<Allowlist>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(90),
            extra_ca_file: None,
            allowlist: Arc::new(Allowlist::default()),
        }
    }
}

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientBuildError {
    #[error("cannot read the CA file {path}: {message}")]
    CaFile { path: PathBuf, message: String },
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
}

/// Build the shared client.
pub fn build_client(settings: &HttpSettings) -> Result<reqwest::Client, ClientBuildError> {
    let mut builder = reqwest::Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(90))
        .dns_resolver(Arc::new(PolicyResolver::new(settings.allowlist.clone())))
        .user_agent(concat!("leadwire/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = &settings.extra_ca_file {
        let pem = std::fs::read(path).map_err(|error| ClientBuildError::CaFile {
            path: path.clone(),
            message: error.to_string(),
        })?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|error| {
            ClientBuildError::CaFile {
                path: path.clone(),
                message: error.to_string(),
            }
        })?;
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder
        .build()
        .map_err(|error| ClientBuildError::Build(error.to_string()))
}

/// A fully rendered request.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundRequest {
    pub method: reqwest::Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

/// What one attempt produced. Connection failures and timeouts carry the synthetic status
/// 599 and an `error` text.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptResult {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// At most [`RESPONSE_BODY_LIMIT`] bytes of the body, cut on a character boundary.
    pub body: String,
    pub body_truncated: bool,
    pub duration: Duration,
    pub error: Option<String>,
}

impl AttemptResult {
    /// The first value of header `name`, in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Make one attempt. A URL that the policy refuses is not attempted at all.
pub async fn attempt(
    client: &reqwest::Client,
    allowlist: &Allowlist,
    request: &OutboundRequest,
) -> Result<AttemptResult, UrlRefusal> {
    let url = check_url(&request.url, allowlist)?;
    let mut builder = client.request(request.method.clone(), url);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    if let Some(body) = &request.body {
        builder = builder.body(body.clone());
    }
    let started = Instant::now();
    let response = match builder.send().await {
        Ok(response) => response,
        Err(error) => return Ok(connection_failure(&error, started)),
    };
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    let (body, body_truncated) = match read_limited(response).await {
        Ok(read) => read,
        Err(error) => return Ok(connection_failure(&error, started)),
    };
    Ok(AttemptResult {
        status,
        headers,
        body,
        body_truncated,
        duration: started.elapsed(),
        error: None,
    })
}

async fn read_limited(mut response: reqwest::Response) -> Result<(String, bool), reqwest::Error> {
    let mut bytes = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = response.chunk().await? {
        let room = RESPONSE_BODY_LIMIT - bytes.len();
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        bytes.extend_from_slice(&chunk);
    }
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    if truncated {
        // A cut in the middle of a character became U+FFFD; drop it.
        while text.ends_with('\u{FFFD}') {
            text.pop();
        }
    }
    Ok((text, truncated))
}

fn connection_failure(error: &reqwest::Error, started: Instant) -> AttemptResult {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut message = format!("{kind}: {}", error_chain(error));
    message.truncate(1024);
    AttemptResult {
        status: synthetic_status::CONNECTION_ERROR,
        headers: Vec::new(),
        body: String::new(),
        body_truncated: false,
        duration: started.elapsed(),
        error: Some(message),
    }
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests;
