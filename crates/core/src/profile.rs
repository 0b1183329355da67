//! The user profile: identifiers, Braze's standard attributes and custom attributes.
//!
//! This is the shared contract between ingestion (which writes profiles), filters and
//! canvases (which read them) and Liquid rendering (which exposes them as `${…}` tags).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// The API names of Braze's standard profile attributes (reference §10), as accepted in a
/// `/users/track` attributes object. Every other key in such an object is a custom attribute.
pub const STANDARD_ATTRIBUTES: &[&str] = &[
    "first_name",
    "last_name",
    "email",
    "phone",
    "dob",
    "gender",
    "home_city",
    "country",
    "language",
    "time_zone",
    "current_location",
    "date_of_first_session",
    "date_of_last_session",
    "email_subscribe",
    "push_subscribe",
    "subscription_groups",
    "email_open_tracking_disabled",
    "email_click_tracking_disabled",
    "marked_email_as_spam_at",
    "push_tokens",
    "facebook",
    "twitter",
];

/// Whether `name` is one of Braze's standard attribute API names.
pub fn is_standard_attribute(name: &str) -> bool {
    STANDARD_ATTRIBUTES.contains(&name)
}

/// A user alias: a (name, label) pair that identifies a user without an external id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserAlias {
    pub alias_name: String,
    pub alias_label: String,
}

/// One user's profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// The generated internal id; it stands in for Braze's `braze_id`.
    pub id: Uuid,
    /// The customer's own id for the user; `${user_id}` in Liquid.
    pub external_id: Option<String>,
    pub aliases: Vec<UserAlias>,
    /// Standard attributes keyed by their API name (see [`STANDARD_ATTRIBUTES`]).
    pub standard: Map<String, Value>,
    /// Custom attributes keyed by name. Names may hold spaces and non-ASCII characters.
    pub custom: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Profile {
    /// A new, empty profile created at `now`.
    pub fn new(id: Uuid, now: DateTime<Utc>) -> Self {
        Self {
            id,
            external_id: None,
            aliases: Vec::new(),
            standard: Map::new(),
            custom: Map::new(),
            created_at: now,
            updated_at: now,
        }
    }

    /// The profile's email address, when it has a non-empty one.
    pub fn email(&self) -> Option<&str> {
        match self.standard.get("email") {
            Some(Value::String(email)) if !email.is_empty() => Some(email),
            _ => None,
        }
    }

    /// The profile as one flat object in `/users/track` attribute shape: identifiers,
    /// standard attributes and custom attributes side by side. This is the shape the Liquid
    /// engine reads `${…}` tags and `custom_attribute.${…}` from. Typed times
    /// (`{"$time": …}`) appear as their ISO 8601 strings.
    pub fn to_attributes_object(&self) -> Map<String, Value> {
        let mut object = Map::new();
        if let Some(external_id) = &self.external_id {
            object.insert("external_id".into(), Value::String(external_id.clone()));
        }
        object.insert("braze_id".into(), Value::String(self.id.to_string()));
        for (key, value) in self.custom.iter().chain(self.standard.iter()) {
            object.insert(key.clone(), crate::time::times_as_strings(value));
        }
        object
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attributes_object_puts_identifiers_standard_and_custom_side_by_side() {
        let now = Utc::now();
        let mut profile = Profile::new(Uuid::nil(), now);
        profile.external_id = Some("00Q000000000001AAA".into());
        profile.standard.insert("first_name".into(), json!("Ada"));
        profile.custom.insert("company".into(), json!("Acme"));
        let object = profile.to_attributes_object();
        assert_eq!(object["external_id"], json!("00Q000000000001AAA"));
        assert_eq!(object["first_name"], json!("Ada"));
        assert_eq!(object["company"], json!("Acme"));
        assert_eq!(object["braze_id"], json!(Uuid::nil().to_string()));
    }

    #[test]
    fn email_is_none_when_blank() {
        let mut profile = Profile::new(Uuid::nil(), Utc::now());
        assert_eq!(profile.email(), None);
        profile.standard.insert("email".into(), json!(""));
        assert_eq!(profile.email(), None);
        profile
            .standard
            .insert("email".into(), json!("a@example.com"));
        assert_eq!(profile.email(), Some("a@example.com"));
    }
}
