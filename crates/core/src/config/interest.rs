//! Which trigger actions the config listens to, so the store writes trigger jobs only for
//! those: campaign triggers and exception events, canvas entry triggers and exit events,
//! and Action Paths groups.

use std::collections::BTreeSet;

use super::Config;
use crate::canvas::Step;
use crate::trigger::Trigger;

/// The names each trigger family is listened to for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListenedTriggers {
    pub email_added: bool,
    pub custom_attributes: BTreeSet<String>,
    pub custom_events: BTreeSet<String>,
    /// Purchases of any product are listened to.
    pub any_purchase: bool,
    /// Purchases of these products are listened to (when `any_purchase` is false).
    pub products: BTreeSet<String>,
}

impl Config {
    /// Every trigger action some campaign or canvas reacts to.
    pub fn listened_triggers(&self) -> ListenedTriggers {
        let mut listened = ListenedTriggers::default();
        let campaign_triggers = self
            .campaigns
            .iter()
            .flat_map(|campaign| campaign.triggers.iter().chain(&campaign.exception_events));
        let canvas_triggers = self.canvases.iter().flat_map(|canvas| {
            let groups = canvas.steps.iter().flat_map(|step| match step {
                Step::ActionPaths(paths) => paths
                    .groups
                    .iter()
                    .flat_map(|group| group.triggers.iter())
                    .collect(),
                _ => Vec::new(),
            });
            canvas
                .entry_triggers
                .iter()
                .chain(&canvas.exit_events)
                .chain(groups)
        });
        for trigger in campaign_triggers.chain(canvas_triggers) {
            match trigger {
                Trigger::AddEmailAddress => listened.email_added = true,
                Trigger::ChangeCustomAttributeValue { attribute, .. } => {
                    listened.custom_attributes.insert(attribute.clone());
                }
                Trigger::PerformCustomEvent { event, .. } => {
                    listened.custom_events.insert(event.clone());
                }
                Trigger::MakePurchase {
                    product_id: None, ..
                } => listened.any_purchase = true,
                Trigger::MakePurchase {
                    product_id: Some(product),
                    ..
                } => {
                    listened.products.insert(product.clone());
                }
            }
        }
        listened
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_listens_to_emails_scores_and_engagement_events() {
        let config: Config =
            toml::from_str(include_str!("../../../../examples/salesforce-leads.toml"))
                .expect("valid");
        let listened = config.listened_triggers();
        assert!(listened.email_added);
        assert_eq!(
            listened.custom_attributes,
            BTreeSet::from(["lead_score".to_string()])
        );
        assert_eq!(
            listened.custom_events,
            BTreeSet::from(
                ["content_downloaded", "demo_requested", "webinar_registered"].map(String::from)
            )
        );
        assert!(!listened.any_purchase);
        assert!(listened.products.is_empty());
    }
}
