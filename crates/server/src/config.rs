//! The `[server]` configuration section: listening address, REST API keys, body limit, rate
//! limits per key (and its sends to a segment or an audience) and per client address, request and body-read timeouts, shutdown grace.

use serde::{Deserialize, Serialize};

use leadwire_core::permission::Permission;

use crate::rate_limit::MAX_WINDOW_SECONDS;

/// `[server]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on, e.g. `127.0.0.1:8080` (port 0 picks a free port).
    pub listen: String,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Requests each REST API key may make per window, across all endpoints (Braze: 3,000 per
    /// 3 seconds). The budget refills steadily over the window.
    pub rate_limit_requests: u32,
    /// The window of `rate_limit_requests`, in seconds (at most a day).
    pub rate_limit_window_seconds: u64,
    /// Requests per minute each REST API key may make to each of `/messages/send`,
    /// `/campaigns/trigger/send` and `/canvas/trigger/send` that target a segment
    /// (`segment_id`) or a Connected Audience (`audience`) (Braze: 250).
    pub audience_send_requests_per_minute: u32,
    /// Requests with a missing or unknown key that one client address (an IPv6 /64) may make
    /// per window; past that, every request from it gets a 429 until the budget refills one.
    pub failed_auth_per_ip: u32,
    /// The window of `failed_auth_per_ip`, in seconds (at most a day).
    pub failed_auth_window_seconds: u64,
    /// Longest time one request may take, body included; slower requests get a 408.
    pub request_timeout_seconds: u64,
    /// Longest pause while reading a request body; a longer pause gets a 408.
    pub body_read_timeout_seconds: u64,
    /// On Ctrl-C or SIGTERM, how long in-flight requests and the workers' current batches
    /// may take to finish before what is left is aborted.
    pub shutdown_grace_seconds: u64,
    /// `[[server.api_keys]]`: REST API keys and what each may do.
    pub api_keys: Vec<ApiKeyConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            max_body_bytes: 4 * 1024 * 1024,
            rate_limit_requests: 3000,
            rate_limit_window_seconds: 3,
            audience_send_requests_per_minute: 250,
            failed_auth_per_ip: 20,
            failed_auth_window_seconds: 60,
            request_timeout_seconds: 30,
            body_read_timeout_seconds: 10,
            shutdown_grace_seconds: 25,
            api_keys: Vec::new(),
        }
    }
}

/// `[[server.api_keys]]`: one REST API key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyConfig {
    /// A label for logs; never the key itself.
    pub name: String,
    /// The secret sent as `Authorization: Bearer <key>`.
    pub key: String,
    /// Permissions such as `users.track`; see [`Permission`].
    pub permissions: Vec<Permission>,
}

impl ServerConfig {
    /// Checks values that serde cannot: positive limits and timeouts, windows of at most a
    /// day, keys of 16 characters or more, no key twice.
    pub fn validate(&self) -> Result<(), String> {
        let zero = [
            ("max_body_bytes", self.max_body_bytes == 0),
            ("rate_limit_requests", self.rate_limit_requests == 0),
            (
                "audience_send_requests_per_minute",
                self.audience_send_requests_per_minute == 0,
            ),
            ("failed_auth_per_ip", self.failed_auth_per_ip == 0),
            ("request_timeout_seconds", self.request_timeout_seconds == 0),
            (
                "body_read_timeout_seconds",
                self.body_read_timeout_seconds == 0,
            ),
        ];
        if let Some((name, _)) = zero.iter().find(|(_, zero)| *zero) {
            return Err(format!("server.{name} must be positive"));
        }
        let windows = [
            ("rate_limit_window_seconds", self.rate_limit_window_seconds),
            (
                "failed_auth_window_seconds",
                self.failed_auth_window_seconds,
            ),
        ];
        if let Some((name, _)) = windows
            .iter()
            .find(|(_, seconds)| !(1..=MAX_WINDOW_SECONDS).contains(seconds))
        {
            return Err(format!(
                "server.{name} must be between 1 and {MAX_WINDOW_SECONDS} (a day)"
            ));
        }
        if self.shutdown_grace_seconds == 0 {
            return Err("server.shutdown_grace_seconds must be positive".into());
        }
        for (index, key) in self.api_keys.iter().enumerate() {
            if key.key.trim().chars().count() < 16 {
                return Err(format!(
                    "server.api_keys[{index}] (`{}`): the key must be at least 16 characters",
                    key.name
                ));
            }
            if self.api_keys[..index]
                .iter()
                .any(|other| other.key == key.key)
            {
                return Err(format!(
                    "server.api_keys[{index}] (`{}`) repeats the key of another entry",
                    key.name
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(change: impl FnOnce(&mut ServerConfig)) -> String {
        let mut config = ServerConfig::default();
        change(&mut config);
        config.validate().expect_err("an invalid setting")
    }

    #[test]
    fn the_defaults_are_valid() {
        assert_eq!(ServerConfig::default().validate(), Ok(()));
    }

    #[test]
    fn each_limit_and_timeout_must_be_positive_and_is_named() {
        assert_eq!(
            problem(|c| c.failed_auth_per_ip = 0),
            "server.failed_auth_per_ip must be positive"
        );
        assert_eq!(
            problem(|c| c.body_read_timeout_seconds = 0),
            "server.body_read_timeout_seconds must be positive"
        );
        assert_eq!(
            problem(|c| c.rate_limit_requests = 0),
            "server.rate_limit_requests must be positive"
        );
    }

    #[test]
    fn windows_are_between_a_second_and_a_day() {
        assert!(
            problem(|c| c.failed_auth_window_seconds = 0)
                .starts_with("server.failed_auth_window_seconds must be between 1 and 86400")
        );
        assert!(
            problem(|c| c.rate_limit_window_seconds = 86_401)
                .starts_with("server.rate_limit_window_seconds must be between 1 and 86400")
        );
    }
}
