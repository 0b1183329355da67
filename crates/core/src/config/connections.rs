//! REST API keys and Salesforce connections. Secrets come from environment variables; a
//! connection's client secret is never written in the file.

use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny};

use super::api_floor::ApiFloor;

/// A REST API key and what it may call (`users.track`, `campaigns.trigger.send`, …).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKey {
    pub name: String,
    /// The key itself, written in the file.
    #[serde(default)]
    pub key: Option<String>,
    /// The environment variable that holds the key.
    #[serde(default)]
    pub key_env: Option<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
    /// What `serve` does when `key_env`'s variable is unset.
    #[serde(default)]
    pub when_unset: WhenKeyUnset,
}

/// What `serve` does when an API key's `key_env` variable is unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhenKeyUnset {
    /// Refuse to start, naming the variable (the default).
    #[default]
    Error,
    /// Generate a random key for this run and log it, for local trials.
    Generate,
}

impl ApiKey {
    /// The key's value, reading `key_env` through `env` when the key is not inline.
    pub fn resolve(&self, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        match (&self.key, &self.key_env) {
            (Some(key), _) => Some(key.clone()),
            (None, Some(variable)) => env(variable),
            (None, None) => None,
        }
    }

    pub fn allows(&self, permission: &str) -> bool {
        self.permissions.iter().any(|granted| granted == permission)
    }
}

/// A Salesforce org (or the built-in emulator) reached with the client-credentials flow.
///
/// Webhook templates that name the connection can use `{{connection.instance_url}}`,
/// `{{connection.login_url}}`, `{{connection.client_id}}` and
/// `{{connection.client_secret}}` (read from `client_secret_env` at send time).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalesforceConnection {
    pub name: String,
    /// Where the REST API lives, e.g. `https://acme.my.salesforce.com`.
    pub instance_url: String,
    /// Where the OAuth token endpoint lives; the instance URL when omitted.
    #[serde(default)]
    pub login_url: Option<String>,
    /// The connected app's Consumer Key.
    pub client_id: String,
    /// The environment variable that holds the Consumer Secret.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// Present only to reject an inline secret with a clear error; its value is dropped.
    #[serde(default, rename = "client_secret")]
    pub inline_client_secret: Option<InlineSecret>,
    /// The daily API requests kept for urgent sends and the org's other users: when no
    /// more than this many are left, sends of templates that are not `priority = "urgent"`
    /// wait. 10 % of the daily limit by default.
    #[serde(default)]
    pub api_floor: ApiFloor,
}

impl SalesforceConnection {
    pub fn login_url(&self) -> &str {
        self.login_url.as_deref().unwrap_or(&self.instance_url)
    }

    /// The client secret, read through `env` from `client_secret_env`.
    pub fn client_secret(&self, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        self.client_secret_env.as_deref().and_then(env)
    }
}

/// Marks that a secret was written inline. It keeps no copy of the value.
#[derive(Clone, PartialEq, Eq)]
pub struct InlineSecret;

impl fmt::Debug for InlineSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InlineSecret(<redacted>)")
    }
}

impl<'de> Deserialize<'de> for InlineSecret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer).map(|_| InlineSecret)
    }
}

/// Whether `text` is a usable environment variable name.
pub fn is_env_var_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
