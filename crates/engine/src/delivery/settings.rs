//! The `[delivery]` section of the config file: outbound policy, retries, breaker, tokens,
//! activity-log retention and the worker's concurrency (in-flight caps per connection and
//! per host). Every key has a default, kept equal to `config.default.toml` by a test of
//! the CLI.
//!
//! ```toml
//! [delivery]
//! allowed_hosts = ["127.0.0.1"]          # non-public hosts that may be called
//! extra_ca_file = "emulator-ca.pem"      # PEM certificates to trust besides the system's
//! retry_delays = ["30s", "1m", "3m", "8m", "18m"]
//! activity_retention = "7d"
//! ```

use std::path::PathBuf;
use std::time::Duration;

use leadwire_core::time::Interval;
use serde::Deserialize;

use super::breaker::BreakerSettings;
use super::retry::RetrySchedule;

/// How webhooks are delivered.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliverySettings {
    /// Hosts, addresses or CIDR networks that may be called although they are not public.
    pub allowed_hosts: Vec<String>,
    /// A PEM file of extra CA certificates (the emulator's self-signed certificate).
    pub extra_ca_file: Option<PathBuf>,
    /// Per-request timeout of a webhook.
    pub timeout: Interval,
    /// The delay before each retry; its length is the number of retries.
    pub retry_delays: Vec<Interval>,
    /// Random share each delay moves by, up or down (0.2 = ±20 %).
    pub retry_jitter: f64,
    /// The longest `Retry-After` honoured.
    pub max_retry_after: Interval,
    /// More failures than this for one host inside `breaker_window` pause the host.
    pub breaker_failures: usize,
    pub breaker_window: Interval,
    pub breaker_cooldown: Interval,
    /// How long a client-credentials token is used before a new one is fetched (Salesforce
    /// sends no expiry; a 401 INVALID_SESSION_ID also replaces it).
    pub token_ttl: Interval,
    /// How long a connection rests after `403 REQUEST_LIMIT_EXCEEDED`; doubles while the
    /// limit persists, up to `connection_backoff_max`.
    pub connection_backoff: Interval,
    pub connection_backoff_max: Interval,
    /// How often each connection's `/limits` is read for its API budget (also at start-up),
    /// and how long a send held by the budget floor waits before it is looked at again.
    pub api_limits_every: Interval,
    /// How long activity-log entries are kept (those with a tracking send id: as long as
    /// Braze's send analytics at least, `core::send_id::RETENTION_DAYS`).
    pub activity_retention: Interval,
    /// Header or field names whose values are secret, besides the built-in ones.
    pub secret_names: Vec<String>,
    /// Jobs one claim takes.
    pub batch_size: u32,
    /// Claim-send-record loops running side by side.
    pub lanes: usize,
    /// Requests in flight at once per connection; Salesforce allows 25 concurrent
    /// long-running requests per org.
    pub max_in_flight_per_connection: usize,
    /// Requests in flight at once per host (and port), whatever connection, if any, they
    /// belong to: webhooks and `connected_content` calls, not token requests. An org's My
    /// Domain is one host, so connections to one org share its 25.
    pub max_in_flight_per_host: usize,
    /// How long a claimed job stays leased; longer than two attempts and a token fetch. A
    /// running batch renews its leases every third of it, so a send that waits for an
    /// in-flight permit or a slow answer keeps its claim until it is recorded.
    pub lease: Interval,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        let schedule = RetrySchedule::braze_default();
        let breaker = BreakerSettings::braze_default();
        Self {
            allowed_hosts: Vec::new(),
            extra_ca_file: None,
            timeout: Interval::from_seconds(90),
            retry_delays: schedule
                .delays
                .iter()
                .map(|delay| Interval::from_seconds(delay.as_secs()))
                .collect(),
            retry_jitter: schedule.jitter,
            max_retry_after: Interval::from_seconds(schedule.max_retry_after.as_secs()),
            breaker_failures: breaker.failure_threshold,
            breaker_window: Interval::from_seconds(breaker.window.as_secs()),
            breaker_cooldown: Interval::from_seconds(breaker.cooldown.as_secs()),
            token_ttl: Interval::from_seconds(3600),
            connection_backoff: Interval::from_seconds(300),
            connection_backoff_max: Interval::from_seconds(3600),
            api_limits_every: Interval::from_seconds(300),
            activity_retention: Interval::from_seconds(7 * 86_400),
            secret_names: Vec::new(),
            batch_size: 256,
            lanes: 4,
            max_in_flight_per_connection: 25,
            max_in_flight_per_host: 25,
            lease: Interval::from_seconds(300),
        }
    }
}

fn seconds(interval: Interval) -> Duration {
    Duration::from_secs(interval.seconds())
}

impl DeliverySettings {
    /// The first problem with the values, naming the key and what it must be.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.retry_jitter) {
            return Err(format!(
                "delivery.retry_jitter must be between 0.0 and 1.0, not {}",
                self.retry_jitter
            ));
        }
        let counts = [
            (
                "batch_size",
                usize::try_from(self.batch_size).unwrap_or(usize::MAX),
            ),
            ("lanes", self.lanes),
            (
                "max_in_flight_per_connection",
                self.max_in_flight_per_connection,
            ),
            ("max_in_flight_per_host", self.max_in_flight_per_host),
        ];
        if let Some((key, _)) = counts.iter().find(|(_, value)| *value == 0) {
            return Err(format!("delivery.{key} must be at least 1"));
        }
        if self.api_limits_every.seconds() == 0 {
            return Err("delivery.api_limits_every must be at least 1s".into());
        }
        if self.timeout.seconds() == 0 {
            return Err("delivery.timeout must be at least 1s".into());
        }
        if self.lease.seconds() < 2 * self.timeout.seconds() + 10 {
            return Err(format!(
                "delivery.lease ({}s) must exceed two attempts and a token fetch: at least {}s",
                self.lease.seconds(),
                2 * self.timeout.seconds() + 10
            ));
        }
        Ok(())
    }

    pub fn retry_schedule(&self) -> RetrySchedule {
        RetrySchedule {
            delays: self.retry_delays.iter().copied().map(seconds).collect(),
            jitter: self.retry_jitter,
            max_retry_after: seconds(self.max_retry_after),
        }
    }

    pub fn breaker(&self) -> BreakerSettings {
        BreakerSettings {
            failure_threshold: self.breaker_failures,
            window: seconds(self.breaker_window),
            cooldown: seconds(self.breaker_cooldown),
        }
    }

    pub fn lease_duration(&self) -> Duration {
        seconds(self.lease)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(table: &str) -> Result<DeliverySettings, String> {
        let settings: DeliverySettings =
            toml::from_str(table).map_err(|error| error.to_string())?;
        settings.validate()?;
        Ok(settings)
    }

    #[test]
    fn defaults_follow_braze_and_the_table_overrides_them() {
        let defaults = parse("").expect("no keys");
        assert_eq!(defaults, DeliverySettings::default());
        assert_eq!(defaults.retry_schedule(), RetrySchedule::braze_default());
        assert_eq!(defaults.activity_retention.seconds(), 7 * 86_400);
        let custom = parse(
            "allowed_hosts = [\"127.0.0.1\"]\nretry_delays = [\"1s\", 2]\nactivity_retention = \"2d\"\n",
        )
        .expect("valid table");
        assert_eq!(custom.allowed_hosts, vec!["127.0.0.1".to_owned()]);
        assert_eq!(custom.retry_schedule().max_retries(), 2);
        assert_eq!(custom.activity_retention.seconds(), 2 * 86_400);
    }

    #[test]
    fn bad_values_are_named() {
        let unknown = parse("retries = 3\n").expect_err("unknown key");
        assert!(unknown.contains("unknown field `retries`"), "{unknown}");
        let jitter = parse("retry_jitter = 2.0\n").expect_err("jitter");
        assert!(jitter.contains("retry_jitter"), "{jitter}");
        let host = parse("max_in_flight_per_host = 0\n").expect_err("host cap");
        assert!(host.contains("delivery.max_in_flight_per_host"), "{host}");
        let every = parse("api_limits_every = 0\n").expect_err("poll interval");
        assert!(every.contains("delivery.api_limits_every"), "{every}");
        let lease = parse("lease = \"1m\"\n").expect_err("lease");
        assert!(lease.contains("delivery.lease"), "{lease}");
    }
}
