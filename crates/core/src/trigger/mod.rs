//! Trigger actions (what a user does) and whether one matches a campaign's or canvas's
//! trigger: add an email address, change a custom attribute value, perform a custom event
//! (with property filters), make a purchase. Campaign triggers, canvas entry, canvas exit
//! criteria and Action Paths groups all use these.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::attributes::ProfileChanges;
use crate::filters::{Condition, Operator};
use crate::track::{EventObject, PurchaseObject};

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

/// Something a user did, as the store's trigger jobs report it (the user is carried beside it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TriggerEvent {
    EmailAdded {
        email: String,
    },
    CustomAttributeChanged {
        name: String,
        old: Option<Value>,
        new: Option<Value>,
    },
    CustomEventPerformed {
        name: String,
        #[serde(default)]
        properties: Map<String, Value>,
        time: DateTime<Utc>,
    },
    Purchase {
        product_id: String,
        #[serde(default)]
        properties: Map<String, Value>,
        time: DateTime<Utc>,
    },
}

impl TriggerEvent {
    /// The properties exposed to Liquid as `event_properties` after this event.
    pub fn event_properties(&self) -> Option<&Map<String, Value>> {
        match self {
            TriggerEvent::CustomEventPerformed { properties, .. }
            | TriggerEvent::Purchase { properties, .. } => Some(properties),
            TriggerEvent::EmailAdded { .. } | TriggerEvent::CustomAttributeChanged { .. } => None,
        }
    }
}

impl TriggerEvent {
    /// The trigger events an attributes update produced: "email added" first, then one per
    /// changed custom attribute.
    pub fn from_changes(changes: &ProfileChanges) -> Vec<TriggerEvent> {
        let email = changes
            .email_added
            .iter()
            .map(|email| TriggerEvent::EmailAdded {
                email: email.clone(),
            });
        let custom =
            changes
                .custom_changed
                .iter()
                .map(|change| TriggerEvent::CustomAttributeChanged {
                    name: change.name.clone(),
                    old: change.old.clone(),
                    new: Some(change.new.clone()),
                });
        email.chain(custom).collect()
    }
}

impl From<&EventObject> for TriggerEvent {
    fn from(event: &EventObject) -> Self {
        TriggerEvent::CustomEventPerformed {
            name: event.name.clone(),
            properties: event.properties.clone(),
            time: event.time,
        }
    }
}

impl From<&PurchaseObject> for TriggerEvent {
    fn from(purchase: &PurchaseObject) -> Self {
        TriggerEvent::Purchase {
            product_id: purchase.product_id.clone(),
            properties: purchase.properties.clone(),
            time: purchase.time,
        }
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
            ) => {
                attribute == name
                    && attribute_change_matches(value.as_ref(), old.as_ref(), new.as_ref())
            }
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
                TriggerEvent::Purchase {
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
fn attribute_change_matches(
    wanted: Option<&Value>,
    old: Option<&Value>,
    new: Option<&Value>,
) -> bool {
    let Some(new) = new.filter(|value| !value.is_null()) else {
        return false;
    };
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

#[cfg(test)]
mod tests;
