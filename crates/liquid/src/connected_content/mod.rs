//! `{% connected_content URL [:option value]… %}`: parsing, the request it describes, and the
//! fetcher and cache traits the caller supplies. The engine itself does no network I/O.
//!
//! Rendering stays synchronous: when a render reaches a call whose response it does not have
//! yet, it stops and hands back the [`ConnectedRequest`]; [`crate::Engine::render_async`]
//! awaits the [`Fetcher`], records the response and renders again from the start (a render is
//! deterministic given its inputs and the recorded responses, and `now` is frozen per call).

mod cache;
mod execute;
mod parse;

use std::time::Duration;

pub use cache::{MemoryCache, NoCache, ResponseCache};
pub(crate) use execute::execute;
pub use execute::{ConnectedResponses, Recorded};
pub(crate) use parse::{ConnectedContentTag, parse_tag};

/// Braze's request timeout for Connected Content.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// Responses above this size fail (and are never cached).
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// Default cache age of a GET.
pub const DEFAULT_CACHE_AGE: Duration = Duration::from_secs(300);
/// Bounds of `:cache_max_age`.
pub const MIN_CACHE_AGE: Duration = Duration::from_secs(300);
pub const MAX_CACHE_AGE: Duration = Duration::from_secs(14_400);
/// Retries after the first attempt when `:retry` is given.
pub const MAX_RETRIES: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    Get,
    Post,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }
}

/// A fully rendered Connected Content request, with the limits the fetcher must apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectedRequest {
    pub method: HttpMethod,
    /// A valid absolute `http` or `https` URL.
    pub url: String,
    /// Final headers: defaults, then `:content_type`, then `:headers`.
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// Name of a stored Basic-auth credential (`:basic_auth`) the fetcher resolves.
    pub basic_auth: Option<String>,
    /// Name of a stored token credential (`:auth_credentials`) the fetcher resolves.
    pub auth_credentials: Option<String>,
    /// Always [`REQUEST_TIMEOUT`].
    pub timeout: Duration,
    /// Always [`MAX_RESPONSE_BYTES`].
    pub max_response_bytes: usize,
    /// Always false: redirects are not followed.
    pub follow_redirects: bool,
    /// How long a successful response may be cached; `None` means not cached.
    pub cache_ttl: Option<Duration>,
    /// `:retry`: up to [`MAX_RETRIES`] retries on failure, then an abort.
    pub retry: bool,
}

impl ConnectedRequest {
    /// The cache key: method and URL, plus the body for a POST. Like Braze, the key holds
    /// neither the user nor the campaign, so identical calls share a cached response; a
    /// cache instance is per workspace.
    pub fn cache_key(&self) -> String {
        let body = match (&self.method, &self.body) {
            (HttpMethod::Post, Some(body)) => Some(body.as_str()),
            _ => None,
        };
        let mut key = String::with_capacity(self.url.len() + body.map_or(0, str::len) + 6);
        key.push_str(self.method.as_str());
        key.push(' ');
        key.push_str(&self.url);
        if let Some(body) = body {
            key.push('\n');
            key.push_str(body);
        }
        key
    }

    /// Identity within one render: every field that can change the response.
    pub(crate) fn identity(&self) -> String {
        identity_of(
            self.method,
            &self.url,
            self.body.as_deref(),
            self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            [self.basic_auth.as_deref(), self.auth_credentials.as_deref()],
        )
    }
}

/// The identity of a request from its parts (see [`ConnectedRequest::identity`]).
pub(crate) fn identity_of<'a>(
    method: HttpMethod,
    url: &str,
    body: Option<&str>,
    headers: impl Iterator<Item = (&'a str, &'a str)>,
    credentials: [Option<&str>; 2],
) -> String {
    let mut key = String::with_capacity(url.len() + body.map_or(0, str::len) + 96);
    key.push_str(method.as_str());
    key.push(' ');
    key.push_str(url);
    if let Some(body) = body {
        key.push_str("\nbody:");
        key.push_str(body);
    }
    for (name, value) in headers {
        key.push('\n');
        key.push_str(name);
        key.push(':');
        key.push_str(value);
    }
    for credential in credentials.into_iter().flatten() {
        key.push_str("\ncredential:");
        key.push_str(credential);
    }
    key
}

/// What the fetcher got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Why a fetch produced no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("the request timed out")]
    Timeout,
    #[error("the response is larger than {0} bytes")]
    TooLarge(usize),
    #[error("credential `{0}` is not defined")]
    UnknownCredential(String),
    #[error("{0}")]
    Transport(String),
}

/// Performs Connected Content requests. Object-safe; share one behind an `Arc`.
#[async_trait::async_trait]
pub trait Fetcher: Send + Sync {
    /// Sends `request`, honouring its timeout, size cap and no-redirect rule.
    async fn fetch(&self, request: &ConnectedRequest) -> Result<FetchedResponse, FetchError>;

    /// Waits before retry number `attempt` (1-based) of a `:retry` call. The default does
    /// not wait; a runtime-backed fetcher sleeps with exponential backoff.
    async fn backoff(&self, attempt: u32) {
        let _ = attempt;
    }
}

/// The exponential backoff used by fetchers: 0.5 s, 1 s, 2 s, 4 s, 8 s.
pub fn backoff_delay(attempt: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1u64 << attempt.saturating_sub(1).min(10)))
}
