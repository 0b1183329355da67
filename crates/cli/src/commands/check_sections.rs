//! The `[server]`, `[store]` and `[delivery]` sections, checked with their own crates' types so `check`
//! rejects what `serve` would: a bad key, an unusable database URL, a wrong field.

use leadwire_core::config::{CheckReport, ConfigPath, Diagnostic, Locator};
use leadwire_engine::delivery::DeliverySettings;
use leadwire_server::ServerConfig;
use leadwire_store::StoreConfig;
use serde::Deserialize;

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
}
