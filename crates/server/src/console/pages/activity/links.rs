//! Links from a log entry to the pages of what it names: the user, the campaign or the
//! canvas and its step (found by name in the loaded config, since the log keeps names), the
//! template, the entry itself and the log of its send.

use std::collections::HashMap;

use leadwire_core::activity::{ActivityEntry, MessageSource};
use leadwire_core::config::Config;
use maud::{Markup, html};

use crate::console::error::encode;
use crate::console::pages::paths;

/// The campaigns' and canvases' `api_id`s by name (as delivery logs them) and by `api_id`,
/// for the links of one page.
pub struct Names {
    campaigns: HashMap<String, String>,
    canvases: HashMap<String, String>,
}

/// `api_id` under each name and each `api_id`; a name wins over an equal `api_id`.
fn by_name_or_id<'a>(
    pairs: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) -> HashMap<String, String> {
    let mut map: HashMap<String, String> = pairs
        .clone()
        .map(|(_, api_id)| (api_id.to_owned(), api_id.to_owned()))
        .collect();
    map.extend(pairs.map(|(name, api_id)| (name.to_owned(), api_id.to_owned())));
    map
}

impl Names {
    pub fn of(config: &Config) -> Self {
        Self {
            campaigns: by_name_or_id(
                config
                    .campaigns
                    .iter()
                    .map(|campaign| (campaign.name.as_str(), campaign.api_id())),
            ),
            canvases: by_name_or_id(
                config
                    .canvases
                    .iter()
                    .map(|canvas| (canvas.name.as_str(), canvas.api_id())),
            ),
        }
    }

    /// What sent the message: the campaign, or the canvas → step, as links when the loaded
    /// config still has them.
    pub fn source(&self, source: &MessageSource) -> Markup {
        match source {
            MessageSource::Campaign { campaign } => match self.campaigns.get(campaign) {
                Some(api_id) => html! {
                    a.campaign href=(paths::campaign(api_id)) { (campaign) }
                },
                None => unknown(campaign),
            },
            MessageSource::Canvas { canvas, step } => match self.canvases.get(canvas) {
                Some(api_id) => html! {
                    a.canvas href=(paths::canvas(api_id)) { (canvas) }
                    " → "
                    a.step href=(paths::canvas_step(api_id, step)) { (step) }
                },
                None => html! { (unknown(canvas)) " → " (step) },
            },
            MessageSource::Manual => html! { span.muted { "replay" } },
            MessageSource::Api => html! { span.muted { "POST /messages/send" } },
            MessageSource::Test { operator } => {
                html! { span.badge.test { "test" } " by " (operator) }
            }
        }
    }
}

/// A name the loaded config no longer has: plain text, saying so.
fn unknown(name: &str) -> Markup {
    html! { span title="not in the loaded config" { (name) } }
}

/// The entry's user, by external id when the send had one, linking to the profile.
pub fn user(entry: &ActivityEntry) -> Markup {
    html! {
        a.user href=(paths::user(entry.user_id)) {
            @match &entry.external_id {
                Some(external_id) => (external_id),
                None => code { (entry.user_id) },
            }
        }
    }
}

/// The template's page.
pub fn template(name: &str) -> Markup {
    html! { a.template href=(paths::template(name)) { (name) } }
}

/// A query string of `pairs`, each value encoded.
pub fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            query(&[("campaign", "New lead & co"), ("status", "400")]),
            "campaign=New%20lead%20%26%20co&status=400"
        );
    }
}
