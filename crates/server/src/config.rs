//! The `[server]` configuration section: listening address, REST API keys, body limit, rate limit,
//! request timeout.

use serde::{Deserialize, Serialize};

use leadwire_core::permission::Permission;

/// `[server]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on, e.g. `127.0.0.1:8080` (port 0 picks a free port).
    pub listen: String,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Requests allowed per window, across all endpoints (Braze: 3,000 per 3 seconds).
    pub rate_limit_requests: u64,
    pub rate_limit_window_seconds: u64,
    /// Longest time one request may take, body included; slower requests get a 408.
    pub request_timeout_seconds: u64,
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
            request_timeout_seconds: 30,
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
    /// Checks values that serde cannot: positive limits, keys of 16 characters or more, no
    /// key twice.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_body_bytes == 0 {
            return Err("server.max_body_bytes must be positive".into());
        }
        if self.rate_limit_requests == 0 || self.rate_limit_window_seconds == 0 {
            return Err(
                "server.rate_limit_requests and rate_limit_window_seconds must be positive".into(),
            );
        }
        if self.request_timeout_seconds == 0 {
            return Err("server.request_timeout_seconds must be positive".into());
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
