//! The trigger interest of a config: the trigger actions its campaigns (triggers and
//! exception events) and canvases (entry triggers, exit events, Action Paths groups) listen
//! to, so the store writes trigger jobs only for those.

use super::Config;
use crate::canvas::Step;
use crate::trigger::{NameFilter, Trigger, TriggerInterest};

impl Config {
    /// The trigger jobs this config needs: every trigger action some campaign or canvas
    /// reacts to, and nothing else.
    pub fn trigger_interest(&self) -> TriggerInterest {
        let mut interest = TriggerInterest::none();
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
            listen(&mut interest, trigger);
        }
        interest
    }
}

/// Widens `interest` to let `trigger`'s events through.
fn listen(interest: &mut TriggerInterest, trigger: &Trigger) {
    let (filter, name) = match trigger {
        Trigger::AddEmailAddress => {
            interest.email_added = true;
            return;
        }
        Trigger::ChangeCustomAttributeValue { attribute, .. } => {
            (&mut interest.custom_attributes, attribute)
        }
        Trigger::PerformCustomEvent { event, .. } => (&mut interest.custom_events, event),
        Trigger::MakePurchase {
            product_id: None, ..
        } => {
            interest.purchases = NameFilter::All;
            return;
        }
        Trigger::MakePurchase {
            product_id: Some(product),
            ..
        } => (&mut interest.purchases, product),
    };
    if let NameFilter::Only(names) = filter {
        names.insert(name.clone());
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
        let interest = config.trigger_interest();
        assert!(interest.email_added);
        assert_eq!(interest.custom_attributes, NameFilter::only(["lead_score"]));
        assert_eq!(
            interest.custom_events,
            NameFilter::only(["content_downloaded", "demo_requested", "webinar_registered"])
        );
        assert_eq!(interest.purchases, NameFilter::none());
    }

    #[test]
    fn any_product_widens_purchases_to_all() {
        let config: Config = toml::from_str(
            r#"
            [[campaigns]]
            name = "Buyers"
            template = "t"
            delivery = "action_based"
            triggers = [
                { type = "make_purchase", product_id = "plan" },
                { type = "make_purchase" },
            ]
            "#,
        )
        .expect("valid");
        let interest = config.trigger_interest();
        assert_eq!(interest.purchases, NameFilter::All);
        assert!(!interest.email_added);
        assert_eq!(interest.custom_events, NameFilter::none());
    }

    #[test]
    fn an_empty_config_listens_to_nothing() {
        assert_eq!(
            Config::default().trigger_interest(),
            TriggerInterest::none()
        );
    }
}
