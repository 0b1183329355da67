//! Trigger declarations as the config writes them (`{ type = "perform_custom_event", … }`)
//! and whether one matches a [`TriggerEvent`]. Campaign triggers, canvas entry, canvas exit
//! criteria and Action Paths groups all use these.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::event::TriggerEvent;
use crate::filters::{Condition, Operator};

/// A trigger as declared in the config (`{ type = "perform_custom_event", event = "…" }`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// "Add an Email Address": the profile's email goes from absent to present.
    AddEmailAddress,
    /// "Change Custom Attribute Value": to any new value, or to `value` when given.
    ChangeCustomAttributeValue {
        attribute: String,
        #[serde(default)]
        value: Option<Value>,
    },
    /// "Perform Custom Event", optionally narrowed by property filters (all must hold).
    PerformCustomEvent {
        event: String,
        #[serde(default)]
        property_filters: Vec<PropertyFilter>,
    },
    /// "Make a Purchase": any product, or the one named.
    MakePurchase {
        #[serde(default)]
        product_id: Option<String>,
        #[serde(default)]
        property_filters: Vec<PropertyFilter>,
    },
}

/// A filter on one event property: `{ property = "cart_value", op = "greater_than", value = 100 }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawPropertyFilter")]
pub struct PropertyFilter {
    pub property: String,
    pub condition: Condition,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPropertyFilter {
    property: String,
    op: Operator,
    value: Option<Value>,
}

impl TryFrom<RawPropertyFilter> for PropertyFilter {
    type Error = String;
    fn try_from(raw: RawPropertyFilter) -> Result<Self, String> {
        let condition = Condition::from_parts(raw.op, raw.value)?;
        Ok(PropertyFilter {
            property: raw.property,
            condition,
        })
    }
}

impl Trigger {
    /// Whether `event` is this trigger action.
    pub fn matches(&self, event: &TriggerEvent) -> bool {
        match (self, event) {
            (Trigger::AddEmailAddress, TriggerEvent::EmailAdded { email }) => {
                !email.trim().is_empty()
            }
            (
                Trigger::ChangeCustomAttributeValue { attribute, value },
                TriggerEvent::CustomAttributeChanged { name, old, new },
            ) => attribute == name && attribute_change_matches(value.as_ref(), old.as_ref(), new),
            (
                Trigger::PerformCustomEvent {
                    event,
                    property_filters,
                },
                TriggerEvent::CustomEventPerformed {
                    name, properties, ..
                },
            ) => event == name && properties_match(property_filters, properties),
            (
                Trigger::MakePurchase {
                    product_id,
                    property_filters,
                },
                TriggerEvent::PurchaseMade {
                    product_id: bought,
                    properties,
                    ..
                },
            ) => {
                product_id.as_ref().is_none_or(|wanted| wanted == bought)
                    && properties_match(property_filters, properties)
            }
            _ => false,
        }
    }
}

/// Whether any trigger in the list matches (the first one that does).
pub fn first_match<'t>(triggers: &'t [Trigger], event: &TriggerEvent) -> Option<&'t Trigger> {
    triggers.iter().find(|trigger| trigger.matches(event))
}

/// Braze's rules: no trigger when the value is set to null or re-sent unchanged; a first
/// value on a new profile does trigger.
fn attribute_change_matches(wanted: Option<&Value>, old: Option<&Value>, new: &Value) -> bool {
    if new.is_null() {
        return false;
    }
    let unchanged = old.is_some_and(|old| Condition::Equals(old.clone()).holds_for(Some(new)));
    if unchanged {
        return false;
    }
    wanted.is_none_or(|wanted| Condition::Equals(wanted.clone()).holds_for(Some(new)))
}

fn properties_match(filters: &[PropertyFilter], properties: &Map<String, Value>) -> bool {
    filters
        .iter()
        .all(|filter| filter.condition.holds_for(properties.get(&filter.property)))
}
