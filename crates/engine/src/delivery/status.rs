//! The delivery worker's live state, read without waiting for any send: per Salesforce
//! connection of the config its token, the API usage Salesforce last reported, its budget
//! floor and its rest after `REQUEST_LIMIT_EXCEEDED`; per host its circuit breaker. It holds no secret: no
//! token, no client secret, and token errors pass through the redactor.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Instant, SystemTime};

use chrono::{DateTime, TimeDelta, Utc};
use leadwire_core::config::{ApiFloor, SalesforceConnection};
use leadwire_salesforce::token_client::TokenCacheStatus;

use super::backoff::ConnectionBackoffs;
use super::breaker::{CircuitBreakers, HostBreaker};
use super::redact::Redactor;
use super::tokens::token_url;
use super::usage::ApiUsage;
use super::worker::DeliveryWorker;

/// What the delivery worker knows right now.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryStatus {
    /// When it was read, on the worker's clock.
    pub at: DateTime<Utc>,
    /// Every Salesforce connection of the config, in config order.
    pub connections: Vec<ConnectionStatus>,
    /// Hosts with a breaker or a rest that no connection's URLs name, by name.
    pub other_hosts: Vec<HostStatus>,
}

/// One Salesforce connection.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionStatus {
    pub name: String,
    pub instance_url: String,
    /// Where its tokens are asked for.
    pub token_url: String,
    pub token: TokenStatus,
    /// The newest API usage reading: `Sforce-Limit-Info` of its sends or its `/limits`.
    pub api_usage: Option<ApiUsage>,
    /// Its API budget floor and whether non-urgent sends wait at it.
    pub budget: ConnectionBudget,
    /// While it rests after `REQUEST_LIMIT_EXCEEDED`: when sends to it resume.
    pub resting_until: Option<DateTime<Utc>>,
    /// The breakers of the hosts its URLs name: the instance's, then the login host's when
    /// it differs.
    pub hosts: Vec<HostStatus>,
}

/// A connection's API budget floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionBudget {
    pub api_floor: ApiFloor,
    /// Whether the newest reading is at the floor, so sends not marked urgent wait.
    pub paused: bool,
}

/// Whether a connection has a token to send with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// No send has asked for one yet.
    NotFetched,
    /// A token is cached until [`TokenStatus::expires_at`].
    Fresh,
    /// The cached token outlived its time or Salesforce refused it; the next send fetches
    /// another.
    Expired,
    /// The last token request failed ([`TokenStatus::last_error`]).
    Failing,
}

impl TokenState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFetched => "not fetched",
            Self::Fresh => "fresh",
            Self::Expired => "expired",
            Self::Failing => "failing",
        }
    }
}

/// A connection's token requests, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenStatus {
    pub state: TokenState,
    /// Token requests made since the node started.
    pub fetches: u64,
    pub last_fetch_at: Option<DateTime<Utc>>,
    /// Why the last request failed, secrets redacted.
    pub last_error: Option<String>,
    /// When the cached token stops being used.
    pub expires_at: Option<DateTime<Utc>>,
}

impl TokenStatus {
    /// The state of a token cache at `now`, its error scrubbed by `redactor`.
    pub fn of(cache: TokenCacheStatus, now: DateTime<Utc>, redactor: &Redactor) -> Self {
        let last_fetch_at = cache.last_fetch.as_ref().map(|fetch| utc(fetch.at));
        let last_error = cache
            .last_fetch
            .and_then(|fetch| fetch.error)
            .map(|error| redactor.text(&error));
        let expires_at = cache.expires_at.map(utc);
        let state = match (last_fetch_at, &last_error, expires_at) {
            (None, _, _) => TokenState::NotFetched,
            (Some(_), Some(_), _) => TokenState::Failing,
            (Some(_), None, Some(expires)) if now < expires => TokenState::Fresh,
            (Some(_), None, _) => TokenState::Expired,
        };
        Self {
            state,
            fetches: cache.fetches,
            last_fetch_at,
            last_error,
            expires_at,
        }
    }
}

/// A host's circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Sends go out.
    Closed,
    /// Too many failures: sends are recorded as 598 without going out until then.
    Paused { until: DateTime<Utc> },
    /// A pause has ended; the next failure pauses the host again, a success closes it.
    Probing,
}

/// One host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostStatus {
    pub host: String,
    pub breaker: BreakerState,
    /// Failures inside the breaker's window.
    pub recent_failures: usize,
    /// While sends without a connection rest by this host after `REQUEST_LIMIT_EXCEEDED`.
    pub resting_until: Option<DateTime<Utc>>,
}

impl DeliveryWorker {
    /// What the worker knows right now; takes a few short locks and never waits for a send.
    pub fn status(&self) -> DeliveryStatus {
        let at = self.clock.now();
        let mut hosts = HostStates::read(&self.breakers, &self.backoffs, at, Instant::now());
        let connections = self
            .config
            .salesforce_connections
            .iter()
            .map(|connection| ConnectionStatus {
                name: connection.name.clone(),
                instance_url: connection.instance_url.clone(),
                token_url: token_url(connection.login_url()),
                token: TokenStatus::of(self.tokens.status_of(&connection.name), at, &self.redactor),
                api_usage: self.budget.latest(&connection.name),
                budget: ConnectionBudget {
                    api_floor: connection.api_floor,
                    paused: self.budget.is_paused(&connection.name),
                },
                resting_until: hosts.rest_of(&connection.name),
                hosts: hosts_of(connection)
                    .iter()
                    .map(|host| hosts.host(host))
                    .collect(),
            })
            .collect();
        DeliveryStatus {
            at,
            connections,
            other_hosts: hosts.others(),
        }
    }
}

/// The hosts a connection's URLs name: the instance's, then the login host when it differs.
fn hosts_of(connection: &SalesforceConnection) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    for url in [connection.instance_url.as_str(), connection.login_url()] {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned));
        if let Some(host) = host.filter(|host| !hosts.contains(host)) {
            hosts.push(host);
        }
    }
    hosts
}

/// The breakers and rests, read once, handed out by host or connection; what nobody asked
/// for is left for [`Self::others`].
struct HostStates {
    at: DateTime<Utc>,
    instant: Instant,
    breakers: BTreeMap<String, HostBreaker>,
    rests: BTreeMap<String, DateTime<Utc>>,
    claimed: BTreeSet<String>,
}

impl HostStates {
    fn read(
        breakers: &CircuitBreakers,
        backoffs: &ConnectionBackoffs,
        at: DateTime<Utc>,
        instant: Instant,
    ) -> Self {
        Self {
            at,
            instant,
            breakers: breakers
                .snapshot(instant)
                .into_iter()
                .map(|breaker| (breaker.host.clone(), breaker))
                .collect(),
            rests: backoffs.resting(at).into_iter().collect(),
            claimed: BTreeSet::new(),
        }
    }

    /// When the rest of `key` (a connection's name) ends, while it rests.
    fn rest_of(&mut self, key: &str) -> Option<DateTime<Utc>> {
        self.claimed.insert(key.to_owned());
        self.rests.get(key).copied()
    }

    /// The state of `host`: closed when nothing has been recorded of it.
    fn host(&mut self, host: &str) -> HostStatus {
        self.claimed.insert(host.to_owned());
        let breaker = self.breakers.get(host);
        HostStatus {
            host: host.to_owned(),
            breaker: breaker.map_or(BreakerState::Closed, |breaker| self.state(breaker)),
            recent_failures: breaker.map_or(0, |breaker| breaker.recent_failures),
            resting_until: self.rests.get(host).copied(),
        }
    }

    fn state(&self, breaker: &HostBreaker) -> BreakerState {
        match breaker.paused_until {
            Some(until) => {
                let left = until.saturating_duration_since(self.instant);
                BreakerState::Paused {
                    until: self.at + TimeDelta::from_std(left).unwrap_or(TimeDelta::MAX),
                }
            }
            None if breaker.probing => BreakerState::Probing,
            None => BreakerState::Closed,
        }
    }

    /// Every host with state that no connection claimed, by name.
    fn others(mut self) -> Vec<HostStatus> {
        let names: BTreeSet<String> = self
            .breakers
            .keys()
            .chain(self.rests.keys())
            .filter(|name| !self.claimed.contains(*name))
            .cloned()
            .collect();
        names.iter().map(|name| self.host(name)).collect()
    }
}

fn utc(time: SystemTime) -> DateTime<Utc> {
    DateTime::<Utc>::from(time)
}

#[cfg(test)]
mod tests;
