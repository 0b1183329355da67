//! What the config registry records of the loaded config: each campaign, canvas and segment
//! by api id, with a fingerprint of its definition and of the templates it sends (SHA-256 of
//! their parsed form), so editing a campaign, a canvas or one of their templates moves its
//! `last_edited`. `serve` registers the config at start-up; a leadwire upgrade that changes
//! how a definition is parsed moves the dates once, as an edit would.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use leadwire_core::canvas::Step;
use leadwire_core::config::Config;
use leadwire_store::{ConfigItem, ConfigKind, Store, StoreResult};
use sha2::{Digest, Sha256};

/// The campaigns, canvases and segments of `config`, as the registry records them.
pub fn config_items(config: &Config) -> Vec<ConfigItem> {
    let campaigns = config.campaigns.iter().map(|campaign| ConfigItem {
        kind: ConfigKind::Campaign,
        api_id: campaign.api_id().to_owned(),
        name: campaign.name.clone(),
        fingerprint: fingerprint(&format!(
            "{campaign:?}{:?}",
            config.template(&campaign.template)
        )),
    });
    let canvases = config.canvases.iter().map(|canvas| {
        let mut definition = format!("{canvas:?}");
        for step in &canvas.steps {
            if let Step::Message(message) = step {
                write!(definition, "{:?}", config.template(&message.template)).ok();
            }
        }
        ConfigItem {
            kind: ConfigKind::Canvas,
            api_id: canvas.api_id().to_owned(),
            name: canvas.name.clone(),
            fingerprint: fingerprint(&definition),
        }
    });
    let segments = config.segments.iter().map(|segment| ConfigItem {
        kind: ConfigKind::Segment,
        api_id: segment.id.clone(),
        name: segment.name.clone(),
        fingerprint: fingerprint(&format!("{segment:?}")),
    });
    campaigns.chain(canvases).chain(segments).collect()
}

/// Records `config`'s campaigns and canvases in the store's registry at `now`.
pub async fn register_config(
    store: &dyn Store,
    config: &Config,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    store.register_config(&config_items(config), now).await
}

fn fingerprint(definition: &str) -> String {
    let digest = Sha256::digest(definition.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        write!(hex, "{byte:02x}").ok();
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
[[webhook_templates]]
name = "Hook"
url = "https://example.com/hook"
method = "POST"

[[campaigns]]
name = "Welcome"
template = "Hook"
delivery = "api_triggered"

[[canvases]]
name = "Onboarding"
api_id = "onboarding"
entry_schedule = "api_triggered"

[[canvases.steps]]
name = "Hook"
type = "message"
template = "Hook"
"#;

    fn items(source: &str) -> Vec<ConfigItem> {
        config_items(&toml::from_str(source).expect("a valid config"))
    }

    #[test]
    fn items_are_named_by_api_id_and_move_with_their_templates() {
        let before = items(CONFIG);
        assert_eq!(before.len(), 2);
        assert_eq!(
            (before[0].kind, before[0].api_id.as_str()),
            (ConfigKind::Campaign, "Welcome"),
            "a campaign without api_id is named by its name"
        );
        assert_eq!(before[1].api_id, "onboarding");
        assert_eq!(
            items(CONFIG),
            before,
            "the same config, the same fingerprints"
        );
        let after = items(&CONFIG.replace("/hook\"", "/hook2\""));
        assert_ne!(after[0].fingerprint, before[0].fingerprint);
        assert_ne!(after[1].fingerprint, before[1].fingerprint);
        let renamed = items(&CONFIG.replace("name = \"Onboarding\"", "name = \"Onboard\""));
        assert_eq!(renamed[0], before[0]);
        assert_ne!(renamed[1].fingerprint, before[1].fingerprint);
    }
}
