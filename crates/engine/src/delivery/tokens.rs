//! Every OAuth token cache leadwire holds, keyed by the credentials that fetch the token.
//!
//! A configured Salesforce connection and a verbatim seed template whose `connected_content`
//! posts the same client credentials to the same token URL share one cache, so both cost one
//! token request per token lifetime. A `401 INVALID_SESSION_ID` invalidates the rejected
//! token wherever it is cached. Token fetches are counted under the name of the configured
//! connection whose token URL and client id they use, however the token was asked for.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use leadwire_core::config::SalesforceConnection;
use leadwire_salesforce::token_client::{
    AccessToken, ClientCredentials, TokenCache, TokenCacheStatus, TokenError,
};

use crate::metrics::Metrics;

/// The token endpoint path under a Salesforce login URL.
pub const TOKEN_PATH: &str = "/services/oauth2/token";

struct Entry {
    cache: Arc<TokenCache>,
    /// The name token fetches are counted under in metrics.
    label: String,
    counted: AtomicU64,
}

/// The shared token caches.
pub struct TokenRegistry {
    http: reqwest::Client,
    time_to_live: Duration,
    metrics: Arc<Metrics>,
    /// (token URL, client id, connection name) of every configured connection.
    owners: Vec<(String, String, String)>,
    entries: Mutex<HashMap<(String, String, String), Arc<Entry>>>,
}

impl TokenRegistry {
    pub fn new(
        http: reqwest::Client,
        time_to_live: Duration,
        metrics: Arc<Metrics>,
        connections: &[SalesforceConnection],
    ) -> Self {
        let owners = connections
            .iter()
            .map(|connection| {
                let url = token_url(connection.login_url());
                (url, connection.client_id.clone(), connection.name.clone())
            })
            .collect();
        Self {
            http,
            time_to_live,
            metrics,
            owners,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The configured connection whose token URL and client id `credentials` use.
    pub fn connection_of(&self, credentials: &ClientCredentials) -> Option<&str> {
        let url = credentials.token_url.trim_end_matches('/');
        self.owners
            .iter()
            .find(|(token_url, client_id, _)| {
                token_url == url && *client_id == credentials.client_id
            })
            .map(|(_, _, name)| name.as_str())
    }

    /// A token for `credentials`, from the cache when it holds one.
    pub async fn token(&self, credentials: &ClientCredentials) -> Result<AccessToken, TokenError> {
        let entry = self.entry(credentials);
        let result = entry.cache.token().await;
        let fetched = entry.cache.fetch_count();
        let before = entry.counted.swap(fetched, Ordering::Relaxed);
        for _ in before..fetched {
            self.metrics.record_token_fetch(&entry.label);
        }
        result
    }

    /// Forgets `rejected` in whichever cache holds it.
    pub async fn invalidate(&self, rejected: &str) {
        let caches: Vec<Arc<Entry>> = self.lock().values().cloned().collect();
        for entry in caches {
            entry.cache.invalidate(rejected).await;
        }
    }

    /// Token requests made so far, over every cache.
    pub fn fetch_count(&self) -> u64 {
        self.lock()
            .values()
            .map(|entry| entry.cache.fetch_count())
            .sum()
    }

    /// The token state of the configured connection `name`, over every cache counted
    /// under it: the fetches summed, the latest fetch, the latest expiry.
    pub fn status_of(&self, name: &str) -> TokenCacheStatus {
        let entries: Vec<Arc<Entry>> = self
            .lock()
            .values()
            .filter(|entry| entry.label == name)
            .cloned()
            .collect();
        entries.iter().map(|entry| entry.cache.status()).fold(
            TokenCacheStatus::default(),
            |merged, status| {
                let last_fetch = match (merged.last_fetch, status.last_fetch) {
                    (Some(a), Some(b)) => Some(if b.at > a.at { b } else { a }),
                    (a, b) => a.or(b),
                };
                TokenCacheStatus {
                    fetches: merged.fetches + status.fetches,
                    last_fetch,
                    expires_at: merged.expires_at.max(status.expires_at),
                }
            },
        )
    }

    /// The metrics label of `credentials`: their connection's name, or the token URL's host
    /// when no configured connection uses them.
    fn label(&self, credentials: &ClientCredentials) -> String {
        match self.connection_of(credentials) {
            Some(name) => name.to_owned(),
            None => url::Url::parse(&credentials.token_url)
                .ok()
                .and_then(|url| url.host_str().map(str::to_owned))
                .unwrap_or_default(),
        }
    }

    fn entry(&self, credentials: &ClientCredentials) -> Arc<Entry> {
        let key = (
            credentials.token_url.clone(),
            credentials.client_id.clone(),
            credentials.client_secret.clone(),
        );
        self.lock()
            .entry(key)
            .or_insert_with(|| {
                Arc::new(Entry {
                    cache: Arc::new(TokenCache::new(
                        self.http.clone(),
                        credentials.clone(),
                        self.time_to_live,
                    )),
                    label: self.label(credentials),
                    counted: AtomicU64::new(0),
                })
            })
            .clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String, String), Arc<Entry>>> {
        // The map only grows; a panic elsewhere cannot leave it half-written.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The token URL of a login URL: `https://x.my.salesforce.com` → `…/services/oauth2/token`.
pub fn token_url(login_url: &str) -> String {
    format!("{}{TOKEN_PATH}", login_url.trim_end_matches('/'))
}

/// Client credentials in a `connected_content` token request, when it is one: a POST to
/// `…/services/oauth2/token` whose form or JSON body asks for `client_credentials`.
pub fn credentials_in_request(url: &str, body: Option<&str>) -> Option<ClientCredentials> {
    let parsed = url::Url::parse(url).ok()?;
    if !parsed.path().trim_end_matches('/').ends_with(TOKEN_PATH) || parsed.query().is_some() {
        return None;
    }
    let body = body?.trim();
    let fields: HashMap<String, String> = if body.starts_with('{') {
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(body).ok()?;
        object
            .into_iter()
            .filter_map(|(key, value)| value.as_str().map(|text| (key, text.to_owned())))
            .collect()
    } else {
        url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect()
    };
    if fields.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return None;
    }
    Some(ClientCredentials {
        token_url: url.to_owned(),
        client_id: fields.get("client_id")?.clone(),
        client_secret: fields.get("client_secret")?.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_requests_are_recognised_in_form_and_json_bodies() {
        let url = "https://acme.my.salesforce.com/services/oauth2/token";
        let form = credentials_in_request(
            url,
            Some("client_id=abc&client_secret=s%26cret&grant_type=client_credentials"),
        )
        .expect("a token request");
        assert_eq!(form.client_id, "abc");
        assert_eq!(form.client_secret, "s&cret");
        let json = credentials_in_request(
            url,
            Some(r#"{"grant_type":"client_credentials","client_id":"abc","client_secret":"x"}"#),
        )
        .expect("a token request");
        assert_eq!(json.client_secret, "x");
        assert!(credentials_in_request(url, Some("grant_type=password&client_id=a")).is_none());
        assert!(credentials_in_request(url, None).is_none());
        let other = "https://acme.my.salesforce.com/services/data/v60.0/sobjects/Lead/";
        assert!(credentials_in_request(other, Some("grant_type=client_credentials")).is_none());
        assert_eq!(
            token_url("https://acme.my.salesforce.com/"),
            "https://acme.my.salesforce.com/services/oauth2/token"
        );
    }
}
