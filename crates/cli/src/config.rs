//! The layered settings for `serve`, `migrate` and `bench`: the compiled-in
//! `config.default.toml`, then the `--config` file, then `LEADWIRE_<SECTION>__<KEY>`
//! environment variables (figment, as svix does). The `[server]` and `[store]` types live in
//! their crates; the rest of the file (API keys, Salesforce connections, templates,
//! campaigns, canvases) is `leadwire_core::config::Config`, validated by `leadwire check`.

use std::path::Path;

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use leadwire_core::config::ListenedTriggers;
use leadwire_server::ServerConfig;
use leadwire_store::{NameFilter, StoreConfig, TriggerInterest};
use serde::Deserialize;

/// The annotated defaults, compiled in.
pub const DEFAULTS: &str = include_str!("../../../config.default.toml");

/// The sections the server and store read.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Settings {
    pub server: ServerConfig,
    pub store: StoreConfig,
}

/// Reads the layers; `file` is the `--config` file, if any.
pub fn load_settings(file: Option<&Path>) -> anyhow::Result<Settings> {
    let mut figment = Figment::from(Toml::string(DEFAULTS));
    if let Some(file) = file {
        anyhow::ensure!(
            file.exists(),
            "the config file {} does not exist",
            file.display()
        );
        figment = figment.merge(Toml::file(file));
    }
    let figment = figment.merge(Env::prefixed("LEADWIRE_").split("__"));
    let settings = Settings {
        server: figment
            .extract_inner("server")
            .context("invalid [server] settings")?,
        store: figment
            .extract_inner("store")
            .context("invalid [store] settings")?,
    };
    settings
        .server
        .validate()
        .map_err(|problem| anyhow::anyhow!(problem))?;
    settings.store.attribute_limits()?;
    Ok(settings)
}

/// The trigger interest for the store: derived from the campaigns' and canvases' triggers
/// when there are any, otherwise `[store.triggers]`.
pub fn trigger_interest(
    configured: &TriggerInterest,
    listened: Option<ListenedTriggers>,
) -> TriggerInterest {
    let Some(listened) = listened else {
        return configured.clone();
    };
    TriggerInterest {
        email_added: listened.email_added,
        custom_attributes: NameFilter::Only(listened.custom_attributes),
        custom_events: NameFilter::Only(listened.custom_events),
        purchases: if listened.any_purchase {
            NameFilter::All
        } else {
            NameFilter::Only(listened.products)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_a_file_overrides_them() {
        let settings = load_settings(None).expect("the compiled-in defaults are valid");
        assert_eq!(settings.server, ServerConfig::default());
        assert_eq!(settings.store, StoreConfig::default());

        let dir = std::env::temp_dir().join(format!("leadwire-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("leadwire.toml");
        std::fs::write(
            &file,
            "[server]\nlisten = \"127.0.0.1:0\"\n[store]\nmax_array_length = 50\n[store.triggers]\ncustom_events = [\"demo\"]\n",
        )
        .expect("write config");
        let settings = load_settings(Some(&file)).expect("valid file");
        assert_eq!(settings.server.listen, "127.0.0.1:0");
        assert_eq!(
            settings.server.max_body_bytes,
            ServerConfig::default().max_body_bytes
        );
        assert_eq!(settings.store.max_array_length, 50);
        assert!(settings.store.triggers.custom_events.allows("demo"));
        assert!(!settings.store.triggers.custom_events.allows("other"));

        std::fs::write(&file, "[store]\nmax_array_length = 500\n").expect("write config");
        let error = load_settings(Some(&file)).expect_err("over 100 is refused");
        assert!(
            format!("{error:#}").contains("max_array_length"),
            "{error:#}"
        );
        std::fs::write(&file, "[server]\nlisten_on = \"x\"\n").expect("write config");
        assert!(
            load_settings(Some(&file)).is_err(),
            "unknown keys are refused"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn listened_triggers_narrow_the_interest() {
        let mut listened = ListenedTriggers::default();
        listened.custom_attributes.insert("lead_score".into());
        let interest = trigger_interest(&TriggerInterest::all(), Some(listened));
        assert!(!interest.email_added);
        assert!(interest.custom_attributes.allows("lead_score"));
        assert!(!interest.custom_attributes.allows("other"));
        assert!(!interest.purchases.allows("p"));
        assert_eq!(
            trigger_interest(&TriggerInterest::all(), None),
            TriggerInterest::all()
        );
    }
}
