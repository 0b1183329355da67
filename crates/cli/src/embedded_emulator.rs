//! The built-in Salesforce Sales Cloud emulator that `serve` starts in the same process when
//! `[emulator] listen` is set and a Salesforce connection points at that address.
//!
//! ```toml
//! [emulator]
//! listen = "127.0.0.1:8443"                        # a connection's instance_url must name it
//! custom_fields = [{ name = "Lead_Stage__c" }]     # as the emulator's own config file
//! persist = true                                   # leads kept in DATA_DIR/salesforce-emulator.db
//! ```
//!
//! The emulator accepts the pointing connection's client id, and its secret from the
//! connection's `client_secret_env`; when that variable is unset, the run uses a generated
//! secret that only the emulator and this process's delivery worker know.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use leadwire_core::config::{Config, SalesforceConnection};
use leadwire_salesforce::fields::CustomFieldConfig;
use leadwire_salesforce_emulator::{
    DuplicateRule, EmulatorConfig, EmulatorHandle, EmulatorState, ServeOptions, attach_sqlite,
    spawn,
};
use serde::Deserialize;

/// How the process reads environment variables (secrets, API keys); tests pass their own.
pub type Environment = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The process's real environment.
pub fn process_environment() -> Environment {
    Arc::new(|name: &str| std::env::var(name).ok())
}

/// The `[emulator]` section. With `listen` empty (the default) the built-in emulator is off.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmulatorSection {
    /// Where the emulator listens; a connection points at it when its `instance_url` has
    /// this port on a loopback host (`127.0.0.1`, `localhost`, `[::1]`).
    #[serde(deserialize_with = "optional_address")]
    pub listen: Option<SocketAddr>,
    /// Custom Lead fields, e.g. `{ name = "Lead_Stage__c" }`.
    pub custom_fields: Vec<CustomFieldConfig>,
    /// Duplicate rules run on create and update.
    pub duplicate_rules: Vec<DuplicateRule>,
    /// The daily API request allocation.
    pub daily_api_limit: u64,
    /// Keep the leads in `salesforce-emulator.db` in the store's data directory, so they
    /// survive a restart as the profiles that point at them do.
    pub persist: bool,
}

impl Default for EmulatorSection {
    fn default() -> Self {
        Self {
            listen: None,
            custom_fields: Vec::new(),
            duplicate_rules: Vec::new(),
            daily_api_limit: EmulatorConfig::default().daily_api_limit,
            persist: true,
        }
    }
}

/// An address, or nothing for an empty string.
fn optional_address<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SocketAddr>, D::Error> {
    let text = String::deserialize(deserializer)?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    text.trim().parse().map(Some).map_err(|_| {
        serde::de::Error::custom(format!(
            "`{text}` is not an address such as \"127.0.0.1:8443\" (leave it empty to turn the emulator off)"
        ))
    })
}

impl EmulatorSection {
    /// The connections whose instance URL (and login URL, when set) is this emulator.
    pub fn pointing_connections<'a>(&self, config: &'a Config) -> Vec<&'a SalesforceConnection> {
        let Some(listen) = self.listen else {
            return Vec::new();
        };
        config
            .salesforce_connections
            .iter()
            .filter(|connection| {
                points_at(&connection.instance_url, listen)
                    && points_at(connection.login_url(), listen)
            })
            .collect()
    }

    /// What is wrong with the section and the connections pointing at it, for `check`.
    pub fn problems(&self, config: &Config) -> Vec<String> {
        let Some(listen) = self.listen else {
            return Vec::new();
        };
        let pointing = self.pointing_connections(config);
        let mut problems = Vec::new();
        let Some(first) = pointing.first() else {
            problems.push(format!(
                "no [[salesforce_connections]] entry points at the emulator on {listen}, so `serve` will not start it; set a connection's instance_url to http://{listen}"
            ));
            return problems;
        };
        for other in &pointing[1..] {
            if other.client_id != first.client_id {
                problems.push(format!(
                    "connections `{}` and `{}` both point at the emulator with different client_id values; the emulator accepts one, so give them the same client_id",
                    first.name, other.name
                ));
            }
            if scheme(&other.instance_url) != scheme(&first.instance_url) {
                problems.push(format!(
                    "connections `{}` and `{}` both point at the emulator, one over http and one over https; use the same scheme",
                    first.name, other.name
                ));
            }
        }
        if let Err(error) = EmulatorState::new(self.emulator_config(first, None)) {
            problems.push(format!("[emulator]: {error}"));
        }
        problems
    }

    fn emulator_config(
        &self,
        connection: &SalesforceConnection,
        secret: Option<String>,
    ) -> EmulatorConfig {
        EmulatorConfig {
            client_id: connection.client_id.clone(),
            client_secret: secret.unwrap_or_default(),
            custom_fields: self.custom_fields.clone(),
            duplicate_rules: self.duplicate_rules.clone(),
            daily_api_limit: self.daily_api_limit,
            ..EmulatorConfig::default()
        }
        .with_generated_credentials()
    }
}

/// Whether `url` is `http(s)://<loopback host>:<listen's port>`.
fn points_at(url: &str, listen: SocketAddr) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    let host = url.host_str().unwrap_or_default();
    let loopback = if host.eq_ignore_ascii_case("localhost") {
        true
    } else {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        bare.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() && (listen.ip().is_unspecified() || listen.ip() == ip))
    };
    loopback && url.port_or_known_default() == Some(listen.port())
}

fn scheme(url: &str) -> &str {
    url.split_once("://").map_or("", |(scheme, _)| scheme)
}

/// The emulator running inside `serve`.
pub struct EmbeddedEmulator {
    pub handle: EmulatorHandle,
    /// Generated secrets by the environment variable that was unset.
    generated_secrets: HashMap<String, String>,
    /// The self-signed certificate, written for the delivery worker to trust (HTTPS only).
    pub certificate_file: Option<PathBuf>,
    /// Leads restored from the data directory.
    pub restored_leads: usize,
}

impl EmbeddedEmulator {
    /// Starts the emulator on `listener` for the first connection pointing at it; `None`
    /// when no connection does. `env` reads the connection's secret.
    pub async fn start(
        section: &EmulatorSection,
        config: &Config,
        listener: tokio::net::TcpListener,
        data_dir: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Option<Self>> {
        let Some(connection) = section.pointing_connections(config).first().copied() else {
            return Ok(None);
        };
        let secret = connection.client_secret(env);
        let state = EmulatorState::new(section.emulator_config(connection, secret.clone()))
            .context("invalid [emulator] settings")?;
        let mut restored_leads = 0;
        if let (true, Some(dir)) = (section.persist, data_dir) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
            let path = dir.join("salesforce-emulator.db");
            restored_leads = attach_sqlite(&state, &path).await.with_context(|| {
                format!("cannot open the emulator's leads in {}", path.display())
            })?;
        }
        let plain_http = scheme(&connection.instance_url) != "https";
        let certificate_file = match (plain_http, data_dir) {
            (true, _) => None,
            (false, Some(dir)) => Some(dir.join("salesforce-emulator.pem")),
            (false, None) => Some(
                std::env::temp_dir().join(format!("leadwire-emulator-{}.pem", std::process::id())),
            ),
        };
        let options = ServeOptions {
            plain_http,
            cert_out: certificate_file.clone(),
        };
        let handle = spawn(state, listener, options)
            .await
            .context("cannot start the built-in Salesforce emulator")?;
        let mut generated_secrets = HashMap::new();
        if let (None, Some(variable)) = (secret, &connection.client_secret_env) {
            generated_secrets.insert(variable.clone(), handle.client_secret().to_owned());
        }
        Ok(Some(Self {
            handle,
            generated_secrets,
            certificate_file,
            restored_leads,
        }))
    }

    /// The environment as the rest of the process should read it: `base`, plus the
    /// generated secret for a connection whose variable is unset.
    pub fn environment(&self, base: Environment) -> Environment {
        let generated = self.generated_secrets.clone();
        Arc::new(move |name: &str| base(name).or_else(|| generated.get(name).cloned()))
    }

    /// The secret generated for this run in place of `variable`, when it was unset.
    pub fn generated_secret_for(&self, variable: &str) -> Option<&str> {
        self.generated_secrets.get(variable).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listen(text: &str) -> SocketAddr {
        text.parse()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    #[test]
    fn a_loopback_url_on_the_listen_port_points_at_the_emulator() {
        let address = listen("127.0.0.1:8443");
        assert!(points_at("http://127.0.0.1:8443", address));
        assert!(points_at("https://localhost:8443/", address));
        assert!(!points_at("http://127.0.0.1:8444", address));
        assert!(!points_at("https://acme.my.salesforce.com", address));
        assert!(!points_at("http://10.0.0.1:8443", address));
        assert!(!points_at("not a url", address));
        assert!(points_at("https://127.0.0.1", listen("127.0.0.1:443")));
    }

    #[test]
    fn the_section_reads_its_fields_and_rejects_unknown_ones() {
        let section: EmulatorSection = toml::from_str(
            "listen = \"127.0.0.1:9000\"\ncustom_fields = [{ name = \"Lead_Stage__c\" }]\n",
        )
        .expect("a valid section");
        assert_eq!(section.listen.map(|listen| listen.port()), Some(9000));
        assert!(section.persist);
        let off: EmulatorSection = toml::from_str("listen = \"\"\n").expect("empty is off");
        assert_eq!(off.listen, None);
        let wrong = toml::from_str::<EmulatorSection>("listen = \"x\"\n").expect_err("bad");
        assert!(wrong.to_string().contains("not an address"), "{wrong}");
        let unknown = toml::from_str::<EmulatorSection>("port = 2\n").expect_err("unknown");
        assert!(unknown.to_string().contains("unknown field `port`"));
    }
}
