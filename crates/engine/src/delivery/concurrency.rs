//! How many requests may be in flight at once, per connection and per host. Salesforce
//! allows 25 concurrent long-running requests per org, so one connection's sends queue for
//! a permit here rather than overrun it; the host cap also covers templates that name no
//! connection and several connections that reach one server.
//!
//! What counts toward a host's cap: every webhook attempt and every `connected_content`
//! call to the host. Token requests do not: each connection makes at most one at a time,
//! once per token lifetime, and a token that waited behind the sends needing it would stall
//! them all. A "host" is the URL's host and port ([`host_key`]).
//!
//! No two requests can wait on each other: a webhook takes its connection's permit before
//! its host's, a `connected_content` call takes only its host's (while its send holds no
//! permit), and nobody holding a host permit waits for a connection permit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use super::settings::DeliverySettings;

/// Keys kept before those with no request in flight are forgotten.
const KEYS_KEPT: usize = 1024;

/// The caps of every connection and host, made on first use.
#[derive(Debug)]
pub struct InFlightLimits {
    connections: KeyedSemaphores,
    hosts: KeyedSemaphores,
}

/// What one request holds while it is in flight; dropping it gives the permits back.
#[derive(Debug)]
pub struct InFlightPermit {
    _connection: Option<OwnedSemaphorePermit>,
    _host: Option<OwnedSemaphorePermit>,
}

impl InFlightLimits {
    /// `per_connection` and `per_host` permits for every key (at least one each).
    pub fn new(per_connection: usize, per_host: usize) -> Self {
        Self {
            connections: KeyedSemaphores::new(per_connection),
            hosts: KeyedSemaphores::new(per_host),
        }
    }

    /// The caps `settings` name.
    pub fn from_settings(settings: &DeliverySettings) -> Self {
        Self::new(
            settings.max_in_flight_per_connection,
            settings.max_in_flight_per_host,
        )
    }

    /// Waits for the permits of a webhook: its `connection`'s (when the template names
    /// one), then its `host`'s.
    pub async fn acquire_send(&self, connection: Option<&str>, host: &str) -> InFlightPermit {
        let connection = match connection {
            Some(name) => self.connections.acquire(name).await,
            None => None,
        };
        InFlightPermit {
            _connection: connection,
            _host: self.hosts.acquire(host).await,
        }
    }

    /// Waits for a permit of `host` alone, for a `connected_content` call.
    pub async fn acquire_host(&self, host: &str) -> InFlightPermit {
        InFlightPermit {
            _connection: None,
            _host: self.hosts.acquire(host).await,
        }
    }
}

/// The key of `url`'s host in the host cap: host and port, so two servers on one address
/// are two hosts.
pub fn host_key(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// One semaphore of `permits` per key.
#[derive(Debug)]
struct KeyedSemaphores {
    permits: usize,
    semaphores: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl KeyedSemaphores {
    fn new(permits: usize) -> Self {
        Self {
            permits: permits.max(1),
            semaphores: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a permit of `key`. (`None` only if the semaphore were closed, which
    /// nothing does.)
    async fn acquire(&self, key: &str) -> Option<OwnedSemaphorePermit> {
        let semaphore = {
            let mut semaphores = self
                .semaphores
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if semaphores.len() >= KEYS_KEPT && !semaphores.contains_key(key) {
                // Only the map holds an idle key's semaphore; forgetting it frees nothing
                // anyone waits for.
                semaphores.retain(|_, semaphore| Arc::strong_count(semaphore) > 1);
            }
            semaphores
                .entry(key.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(self.permits)))
                .clone()
        };
        semaphore.acquire_owned().await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `acquire` is still waiting after one poll.
    async fn waits(acquire: impl Future<Output = InFlightPermit>) -> bool {
        let acquire = std::pin::pin!(acquire);
        futures::poll!(acquire).is_pending()
    }

    #[tokio::test]
    async fn each_connection_has_its_own_permits() {
        let limits = InFlightLimits::new(2, 10);
        let first = limits.acquire_send(Some("sales-cloud"), "a:443").await;
        let _second = limits.acquire_send(Some("sales-cloud"), "a:443").await;
        assert!(
            waits(limits.acquire_send(Some("sales-cloud"), "b:443")).await,
            "a third request on the connection waits"
        );
        let _other = limits.acquire_send(Some("other-org"), "a:443").await;
        drop(first);
        let _third = limits.acquire_send(Some("sales-cloud"), "b:443").await;
    }

    #[tokio::test]
    async fn a_host_caps_every_connection_and_lookup_that_reaches_it() {
        let limits = InFlightLimits::new(10, 2);
        let first = limits.acquire_send(Some("org-a"), "shared:443").await;
        let _second = limits.acquire_send(None, "shared:443").await;
        assert!(waits(limits.acquire_send(Some("org-b"), "shared:443")).await);
        assert!(waits(limits.acquire_host("shared:443")).await);
        let _elsewhere = limits.acquire_send(Some("org-b"), "other:443").await;
        drop(first);
        let _lookup = limits.acquire_host("shared:443").await;
    }

    #[tokio::test]
    async fn idle_keys_are_forgotten_and_busy_ones_kept() {
        let limits = InFlightLimits::new(1, 1);
        let busy = limits.acquire_host("busy:80").await;
        for n in 0..KEYS_KEPT + 5 {
            drop(limits.acquire_host(&format!("host-{n}:80")).await);
        }
        assert!(
            waits(limits.acquire_host("busy:80")).await,
            "the busy host kept its semaphore"
        );
        drop(busy);
        let kept = limits
            .hosts
            .semaphores
            .lock()
            .map_or(usize::MAX, |map| map.len());
        assert!(kept < KEYS_KEPT, "{kept} keys kept");
    }

    #[test]
    fn a_host_is_its_name_and_port() {
        let key = |url: &str| host_key(&Url::parse(url).expect("url"));
        assert_eq!(
            key("https://org.my.salesforce.com/x"),
            "org.my.salesforce.com:443"
        );
        assert_eq!(key("http://127.0.0.1:8080/x"), "127.0.0.1:8080");
        assert_eq!(key("http://127.0.0.1/x"), "127.0.0.1:80");
    }
}
