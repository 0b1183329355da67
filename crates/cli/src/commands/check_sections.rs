//! The `[server]`, `[store]`, `[delivery]` and `[emulator]` sections, checked with their own
//! crates' types so `check` rejects what `serve` would: a bad key, an unusable database URL,
//! a wrong field, an emulator no connection points at.

use leadwire_core::config::{CheckReport, ConfigPath, Diagnostic, Locator};
use leadwire_engine::delivery::DeliverySettings;
use leadwire_server::ServerConfig;
use leadwire_store::StoreConfig;
use serde::Deserialize;

use crate::embedded_emulator::EmulatorSection;

#[derive(Deserialize)]
struct OtherSections {
    server: Option<toml::Value>,
    store: Option<toml::Value>,
    delivery: Option<toml::Value>,
}

/// Adds the problems of `[server]` and `[store]` to `report`.
pub fn check_other_sections(source: &str, report: &mut CheckReport) {
    let Ok(sections) = toml::from_str::<OtherSections>(source) else {
        return;
    };
    let locator = Locator::new(source);
    let mut problem = |section: &str, message: String, fix: &str| {
        let path = ConfigPath::default().key(section);
        let mut diagnostic = Diagnostic::error(path.clone(), message, fix);
        diagnostic.line = locator.line(&path);
        report.diagnostics.push(diagnostic);
    };
    if let Some(server) = sections.server {
        match ServerConfig::deserialize(server) {
            Err(error) => problem(
                "server",
                format!("[server]: {}", error.message()),
                "correct the [server] section",
            ),
            Ok(config) => {
                if let Err(message) = config.validate() {
                    problem(
                        "server",
                        message,
                        "correct the [server] section as the message says",
                    );
                }
            }
        }
    }
    if let Some(store) = sections.store {
        match StoreConfig::deserialize(store) {
            Err(error) => problem(
                "store",
                format!("[store]: {}", error.message()),
                "correct the [store] section",
            ),
            Ok(config) => {
                if let Err(error) = config.location().and_then(|_| config.attribute_limits()) {
                    problem(
                        "store",
                        error.to_string(),
                        "correct the [store] section as the message says",
                    );
                }
            }
        }
    }
    if let Some(delivery) = sections.delivery {
        match DeliverySettings::deserialize(delivery) {
            Err(error) => problem(
                "delivery",
                format!("[delivery]: {}", error.message()),
                "correct the [delivery] section",
            ),
            Ok(settings) => {
                if let Err(message) = settings.validate() {
                    problem(
                        "delivery",
                        message,
                        "correct the [delivery] section as the message says",
                    );
                }
            }
        }
    }
    check_emulator(source, report);
}

/// `[emulator]`: its fields, a connection pointing at it, and the delivery allowlist that
/// lets the delivery worker reach it.
fn check_emulator(source: &str, report: &mut CheckReport) {
    let locator = Locator::new(source);
    let path = ConfigPath::default().key("emulator");
    let line = locator.line(&path);
    let mut push = |mut diagnostic: Diagnostic| {
        diagnostic.line = line;
        report.diagnostics.push(diagnostic);
    };
    let section = match EmulatorSection::from_toml(source) {
        Ok(Some(section)) => section,
        Ok(None) => return,
        Err(message) => {
            push(Diagnostic::error(
                path.clone(),
                message,
                "write listen = \"127.0.0.1:8443\" and, optionally, custom_fields, duplicate_rules, daily_api_limit, persist",
            ));
            return;
        }
    };
    let Some(config) = report.config.clone() else {
        return;
    };
    let pointing = section.pointing_connections(&config);
    for problem in section.problems(&config) {
        let fix = "see the message";
        push(if pointing.is_empty() {
            Diagnostic::warning(path.clone(), problem, fix)
        } else {
            Diagnostic::error(path.clone(), problem, fix)
        });
    }
    let allowed = DeliverySettings::from_toml(source)
        .map(|settings| settings.allowed_hosts)
        .unwrap_or_default();
    let host = section.listen.ip().to_string();
    let reachable = ["127.0.0.1", "localhost", "::1", host.as_str()]
        .iter()
        .any(|name| allowed.iter().any(|entry| entry == name));
    if !pointing.is_empty() && !reachable {
        push(Diagnostic::warning(
            path.clone(),
            "the emulator listens on a loopback address that [delivery] allowed_hosts does not list, so every send to it is refused by the outbound URL policy".to_owned(),
            "add allowed_hosts = [\"127.0.0.1\", \"localhost\"] to [delivery]",
        ));
    }
}
