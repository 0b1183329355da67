//! The OAuth 2.0 client-credentials token client, with a cache that asks for one token per
//! token lifetime instead of one per request.
//!
//! Salesforce's client-credentials response carries no `expires_in` (reference §1.3): the
//! lifetime is the org's session timeout. So a token is kept for a configured time to live,
//! or until a caller reports that Salesforce answered `401 INVALID_SESSION_ID` for it. The
//! token and its `instance_url` are cached and replaced together, never one without the
//! other.
//!
//! Concurrent callers share one in-flight fetch: the cache lock is held across the token
//! request, so a burst of sends that all find the cache empty makes exactly one request.
//! What the cache last did ([`TokenCacheStatus`]: when it fetched, how that went, when the
//! token it holds expires, never the token) is kept apart, so reading it never waits for a
//! fetch.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;
use tokio::sync::Mutex;

/// Where and how to ask for a token.
#[derive(Clone)]
pub struct ClientCredentials {
    /// The full token endpoint, e.g. `https://acme.my.salesforce.com/services/oauth2/token`.
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

/// A usable access token and the instance it belongs to.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub access_token: String,
    pub instance_url: String,
    pub token_type: String,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("access_token", &"[redacted]")
            .field("instance_url", &self.instance_url)
            .field("token_type", &self.token_type)
            .finish()
    }
}

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The token endpoint answered with an OAuth error (reference §1.2).
    #[error("token request refused with HTTP {status}: {error}: {description}")]
    Refused {
        status: u16,
        error: String,
        description: String,
    },
    /// The token endpoint answered with something that is not a token response.
    #[error("token endpoint answered HTTP {status} with an unreadable body: {body}")]
    Unreadable { status: u16, body: String },
    /// The request never got an answer.
    #[error("token request to {url} failed: {message}")]
    Transport { url: String, message: String },
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    instance_url: String,
    #[serde(default = "bearer")]
    token_type: String,
}

fn bearer() -> String {
    "Bearer".to_owned()
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
    #[serde(default)]
    error_description: String,
}

struct CachedToken {
    token: AccessToken,
    fetched_at: Instant,
}

/// What a cache has done, for status pages. It holds no token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenCacheStatus {
    /// Token requests made so far.
    pub fetches: u64,
    /// The latest token request, when there was one.
    pub last_fetch: Option<TokenFetch>,
    /// When the cached token stops being used; `None` while no token is cached (none
    /// fetched yet, or Salesforce refused the last one).
    pub expires_at: Option<SystemTime>,
}

/// One token request and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFetch {
    pub at: SystemTime,
    /// Why no token came back; `None` when one did.
    pub error: Option<String>,
}

#[derive(Default)]
struct Record {
    last_fetch: Option<TokenFetch>,
    expires_at: Option<SystemTime>,
}

/// A token source for one connection: fetches with client credentials and caches.
pub struct TokenCache {
    http: reqwest::Client,
    credentials: ClientCredentials,
    time_to_live: Duration,
    current: Mutex<Option<CachedToken>>,
    fetches: AtomicU64,
    /// Written under `current`'s lock, read without it.
    record: std::sync::Mutex<Record>,
}

impl TokenCache {
    /// A cache that keeps each token for `time_to_live` at most.
    pub fn new(
        http: reqwest::Client,
        credentials: ClientCredentials,
        time_to_live: Duration,
    ) -> Self {
        Self {
            http,
            credentials,
            time_to_live,
            current: Mutex::new(None),
            fetches: AtomicU64::new(0),
            record: std::sync::Mutex::new(Record::default()),
        }
    }

    /// The cached token, or a fresh one when there is none or it has outlived its time.
    pub async fn token(&self) -> Result<AccessToken, TokenError> {
        let mut current = self.current.lock().await;
        if let Some(cached) = current.as_ref()
            && cached.fetched_at.elapsed() < self.time_to_live
        {
            return Ok(cached.token.clone());
        }
        let fetched = self.fetch().await;
        let at = SystemTime::now();
        let mut record = self.record();
        record.last_fetch = Some(TokenFetch {
            at,
            error: fetched.as_ref().err().map(ToString::to_string),
        });
        let token = fetched?;
        record.expires_at = Some(at + self.time_to_live);
        *current = Some(CachedToken {
            token: token.clone(),
            fetched_at: Instant::now(),
        });
        Ok(token)
    }

    /// Forget `rejected` after Salesforce refused it (401 INVALID_SESSION_ID). A token that
    /// has already been replaced is left alone, so a burst of 401s for one stale token
    /// causes one refresh, not one per failed request.
    pub async fn invalidate(&self, rejected: &str) {
        let mut current = self.current.lock().await;
        if current
            .as_ref()
            .is_some_and(|cached| cached.token.access_token == rejected)
        {
            *current = None;
            self.record().expires_at = None;
        }
    }

    /// How many token requests this cache has made.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// What the cache has done so far; never waits for a fetch in progress.
    pub fn status(&self) -> TokenCacheStatus {
        let record = self.record();
        TokenCacheStatus {
            fetches: self.fetch_count(),
            last_fetch: record.last_fetch.clone(),
            expires_at: record.expires_at,
        }
    }

    fn record(&self) -> std::sync::MutexGuard<'_, Record> {
        // Plain values; a panic elsewhere cannot leave them half-written.
        self.record
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn fetch(&self) -> Result<AccessToken, TokenError> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let url = &self.credentials.token_url;
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.credentials.client_id.as_str()),
            ("client_secret", self.credentials.client_secret.as_str()),
        ];
        let transport = |error: reqwest::Error| TokenError::Transport {
            url: url.clone(),
            message: error.without_url().to_string(),
        };
        let response = self
            .http
            .post(url)
            .form(&form)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(transport)?;
        if status == 200 {
            let token: TokenResponse =
                serde_json::from_str(&body).map_err(|_| TokenError::Unreadable {
                    status,
                    body: truncate(&body),
                })?;
            return Ok(AccessToken {
                access_token: token.access_token,
                instance_url: token.instance_url,
                token_type: token.token_type,
            });
        }
        match serde_json::from_str::<OAuthErrorBody>(&body) {
            Ok(error) => Err(TokenError::Refused {
                status,
                error: error.error,
                description: error.error_description,
            }),
            Err(_) => Err(TokenError::Unreadable {
                status,
                body: truncate(&body),
            }),
        }
    }
}

fn truncate(body: &str) -> String {
    const LIMIT: usize = 512;
    match body.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &body[..cut]),
        None => body.to_owned(),
    }
}

#[cfg(test)]
mod tests;
