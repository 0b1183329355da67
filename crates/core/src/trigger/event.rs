//! [`TriggerEvent`]: something a user did that campaigns and canvases may react to, in the
//! form the store's trigger jobs and canvas entries' recorded actions carry it, and
//! [`UserTrigger`]: one event with the user who caused it, as one trigger job holds it.

use chrono::{DateTime, Utc};
use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::attributes::ProfileChanges;

/// Something a user did. Stored as `{"trigger": "email_added", "email": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "trigger", rename_all = "snake_case")]
pub enum TriggerEvent {
    /// The profile's email went from absent to present (a change to another address does
    /// not count).
    EmailAdded { email: String },
    /// A custom attribute took a new value (`old` is `None` for a first value).
    CustomAttributeChanged {
        name: String,
        old: Option<Value>,
        new: Value,
    },
    CustomEventPerformed {
        name: String,
        #[serde(default)]
        properties: Map<String, Value>,
        time: DateTime<Utc>,
    },
    PurchaseMade {
        product_id: String,
        /// Absent from actions recorded before purchases carried it.
        #[serde(default)]
        currency: String,
        #[serde(default)]
        price: f64,
        #[serde(default)]
        quantity: u32,
        #[serde(default)]
        properties: Map<String, Value>,
        time: DateTime<Utc>,
    },
}

/// One trigger event and the user who caused it. Stored flat:
/// `{"trigger": "email_added", "user_id": …, "email": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserTrigger {
    pub user_id: Uuid,
    #[serde(flatten)]
    pub event: TriggerEvent,
}

impl TriggerEvent {
    /// The properties exposed to Liquid as `event_properties` after this event.
    pub fn event_properties(&self) -> Option<&Map<String, Value>> {
        match self {
            Self::CustomEventPerformed { properties, .. }
            | Self::PurchaseMade { properties, .. } => Some(properties),
            Self::EmailAdded { .. } | Self::CustomAttributeChanged { .. } => None,
        }
    }

    /// The trigger events an attributes update produced: "email added" first, then one per
    /// changed custom attribute, in their order.
    pub fn from_changes(changes: &ProfileChanges) -> Vec<TriggerEvent> {
        let email = changes.email_added.iter().map(|email| Self::EmailAdded {
            email: email.clone(),
        });
        let custom = changes
            .custom_changed
            .iter()
            .map(|change| Self::CustomAttributeChanged {
                name: change.name.clone(),
                old: change.old.clone(),
                new: change.new.clone(),
            });
        email.chain(custom).collect()
    }
}

/// Reads a stored event in its current form or in the form canvas entries recorded
/// actions in before trigger jobs and actions shared one type (`{"kind": "purchase", …}`).
pub fn read_stored_event<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<TriggerEvent, D::Error> {
    let mut object = Map::<String, Value>::deserialize(deserializer)?;
    if let Some(kind) = object.remove("kind") {
        let tag = match kind.as_str() {
            Some("purchase") => "purchase_made",
            Some(other) => other,
            None => return Err(D::Error::custom("an event's `kind` must be a string")),
        };
        object.insert("trigger".into(), Value::String(tag.to_owned()));
    }
    serde_json::from_value(Value::Object(object)).map_err(D::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize)]
    struct Stored(#[serde(deserialize_with = "read_stored_event")] TriggerEvent);

    fn time() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("a valid time")
    }

    #[test]
    fn a_user_trigger_is_stored_flat() {
        let trigger = UserTrigger {
            user_id: Uuid::nil(),
            event: TriggerEvent::EmailAdded {
                email: "a@example.com".into(),
            },
        };
        let stored =
            json!({"trigger": "email_added", "user_id": Uuid::nil(), "email": "a@example.com"});
        assert_eq!(
            serde_json::to_value(&trigger).expect("serialisable"),
            stored
        );
        let back: UserTrigger = serde_json::from_value(stored).expect("readable");
        assert_eq!(back, trigger);
    }

    #[test]
    fn actions_recorded_in_the_older_form_still_read() {
        let older =
            json!({"kind": "purchase", "product_id": "plan", "properties": {}, "time": time()});
        let Stored(event) = serde_json::from_value(older).expect("the older form");
        assert_eq!(
            event,
            TriggerEvent::PurchaseMade {
                product_id: "plan".into(),
                currency: String::new(),
                price: 0.0,
                quantity: 0,
                properties: Map::new(),
                time: time(),
            }
        );
        let changed =
            json!({"kind": "custom_attribute_changed", "name": "score", "old": null, "new": 3});
        let Stored(event) = serde_json::from_value(changed).expect("the older form");
        assert_eq!(
            event,
            TriggerEvent::CustomAttributeChanged {
                name: "score".into(),
                old: None,
                new: json!(3),
            }
        );
    }

    #[test]
    fn the_current_form_reads_through_the_same_reader() {
        let event = TriggerEvent::CustomEventPerformed {
            name: "demo_requested".into(),
            properties: Map::new(),
            time: time(),
        };
        let stored = serde_json::to_value(&event).expect("serialisable");
        assert_eq!(stored["trigger"], "custom_event_performed");
        let Stored(back) = serde_json::from_value(stored).expect("readable");
        assert_eq!(back, event);
    }
}
