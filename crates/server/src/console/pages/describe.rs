//! Journey settings in words, as Braze's editors name them: triggers ("Perform Custom
//! Event `demo_requested`"), audience filters, durations, delivery types and step kinds.

use leadwire_core::campaign::DeliveryType;
use leadwire_core::canvas::{Step, UpdateAction};
use leadwire_core::filters::Filter;
pub use leadwire_core::filters::describe::interval;
use leadwire_core::filters::describe::{condition, count};
use leadwire_core::trigger::{PropertyFilter, Trigger};
use maud::{Markup, html};

/// "Action-based", "API-triggered" or "API campaign".
pub fn delivery(kind: DeliveryType) -> &'static str {
    match kind {
        DeliveryType::ActionBased => "Action-based",
        DeliveryType::ApiTriggered => "API-triggered",
        DeliveryType::Api => "API campaign",
    }
}

/// The step kind as Braze's Canvas editor names it.
pub fn step_kind(step: &Step) -> &'static str {
    match step {
        Step::AudiencePaths(_) => "Audience Paths",
        Step::DecisionSplit(_) => "Decision Split",
        Step::UserUpdate(_) => "User Update",
        Step::Message(_) => "Message",
        Step::Delay(_) => "Delay",
        Step::ActionPaths(_) => "Action Paths",
    }
}

/// A User Update action in words.
pub fn update_action(action: UpdateAction) -> &'static str {
    match action {
        UpdateAction::Set => "set to",
        UpdateAction::Increment => "increment by",
        UpdateAction::Decrement => "decrement by",
        UpdateAction::Add => "add to the array",
        UpdateAction::Remove => "remove from the array",
    }
}

/// A trigger action in words.
pub fn trigger(trigger: &Trigger) -> String {
    match trigger {
        Trigger::AddEmailAddress => "Add an Email Address".into(),
        Trigger::ChangeCustomAttributeValue { attribute, value } => match value {
            Some(value) => format!("Change Custom Attribute Value: `{attribute}` to {value}"),
            None => format!("Change Custom Attribute Value: `{attribute}` to any new value"),
        },
        Trigger::PerformCustomEvent {
            event,
            property_filters,
        } => format!(
            "Perform Custom Event `{event}`{}",
            properties(property_filters)
        ),
        Trigger::MakePurchase {
            product_id,
            property_filters,
        } => {
            let product = match product_id {
                Some(product) => format!(" of `{product}`"),
                None => String::new(),
            };
            format!("Make a Purchase{product}{}", properties(property_filters))
        }
    }
}

fn properties(filters: &[PropertyFilter]) -> String {
    if filters.is_empty() {
        return String::new();
    }
    let each: Vec<String> = filters
        .iter()
        .map(|filter| format!("`{}` {}", filter.property, condition(&filter.condition)))
        .collect();
    format!(" where {}", each.join(" and "))
}

/// One filter in words; groups say "all of" / "any of" and list their members.
fn filter(filter: &Filter) -> Markup {
    match filter {
        Filter::Attribute {
            attribute,
            condition: comparison,
        } => html! { code { (attribute) } " " (condition(comparison)) },
        Filter::EmailAvailable(true) => html! { "has an email address" },
        Filter::EmailAvailable(false) => html! { "has no email address" },
        Filter::CustomEventCount {
            event,
            count: times,
            within,
        } => html! {
            "performed " code { (event) } " " (count(*times)) " in the last " (interval(*within))
        },
        Filter::All(members) => html! { "all of:" (filters(members, "")) },
        Filter::Any(members) => html! { "any of:" (filters(members, "")) },
        Filter::Segment(segment) => html! { "is in segment " code { (segment.reference) } },
    }
}

/// An AND list of filters as a list; `empty` says what an empty list means.
pub fn filters(list: &[Filter], empty: &str) -> Markup {
    html! {
        @if list.is_empty() {
            span.muted { (empty) }
        } @else {
            ul.filters { @for each in list { li { (filter(each)) } } }
        }
    }
}

/// Triggers as a list ("any one of them").
pub fn triggers(list: &[Trigger]) -> Markup {
    html! {
        @if list.is_empty() {
            span.muted { "none" }
        } @else {
            ul.triggers { @for each in list { li { (trigger(each)) } } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed<T: serde::de::DeserializeOwned>(toml_value: &str) -> T {
        #[derive(serde::Deserialize)]
        struct Wrapper<T> {
            value: T,
        }
        toml::from_str::<Wrapper<T>>(&format!("value = {toml_value}"))
            .expect("valid TOML")
            .value
    }

    #[test]
    fn durations_read_in_words() {
        assert_eq!(
            interval(leadwire_core::time::Interval::from_seconds(0)),
            "0 seconds"
        );
        assert_eq!(
            interval(leadwire_core::time::Interval::from_seconds(900)),
            "15 minutes"
        );
        assert_eq!(
            interval(leadwire_core::time::Interval::from_seconds(93_600)),
            "1 day 2 hours"
        );
        assert_eq!(
            interval(leadwire_core::time::Interval::from_seconds(61)),
            "1 minute 1 second"
        );
    }

    #[test]
    fn triggers_read_as_braze_names_them() {
        let event: Trigger = parsed(
            r#"{ type = "perform_custom_event", event = "demo_requested", property_filters = [{ property = "seats", op = "greater_than", value = 10 }] }"#,
        );
        assert_eq!(
            trigger(&event),
            "Perform Custom Event `demo_requested` where `seats` is greater than 10"
        );
        let attribute: Trigger = parsed(
            r#"{ type = "change_custom_attribute_value", attribute = "lead_stage", value = "MQL" }"#,
        );
        assert_eq!(
            trigger(&attribute),
            r#"Change Custom Attribute Value: `lead_stage` to "MQL""#
        );
        let email: Trigger = parsed(r#"{ type = "add_email_address" }"#);
        assert_eq!(trigger(&email), "Add an Email Address");
    }

    #[test]
    fn filters_nest_in_lists() {
        let list: Vec<Filter> = parsed(
            r#"[{ attribute = "lead_score", op = "greater_than", value = 50 }, { any = [{ email_available = true }, { custom_event = "webinar_joined", op = "greater_than", value = 2, within = "30d" }] }]"#,
        );
        let html = filters(&list, "all users").into_string();
        assert!(
            html.contains("<code>lead_score</code> is greater than 50"),
            "{html}"
        );
        assert!(html.contains("any of:<ul"), "{html}");
        assert!(html.contains(
            "performed <code>webinar_joined</code> more than 2 times in the last 30 days"
        ));
        assert!(
            filters(&[], "all users")
                .into_string()
                .contains("all users")
        );
    }
}
