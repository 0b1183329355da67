//! What a render sees: top-level variables plus Braze's user, event, Canvas, campaign and
//! API-trigger objects, and the frozen `now`.
//!
//! The user comes as one JSON object in `/users/track` attribute shape (standard and custom
//! attributes side by side). `${first_name}` reads a standard attribute through Braze's
//! tag-to-field mapping (`${user_id}` is `external_id`, `${email_address}` is `email`, …);
//! `custom_attribute.${name}` reads any attribute by its own name.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value as Json};

use crate::value::{Object, Value, object_from_json};

/// Braze personalization tags whose profile field has another name (reference §10).
const STANDARD_ATTRIBUTE_FIELDS: &[(&str, &str)] = &[
    ("user_id", "external_id"),
    ("email_address", "email"),
    ("city", "home_city"),
    ("date_of_birth", "dob"),
    ("phone_number", "phone"),
    ("most_recent_location", "current_location"),
    ("last_used_app_date", "date_of_last_session"),
];

/// The inputs of a render. Build once and reuse across renders of any template.
#[derive(Debug, Clone)]
pub struct Globals {
    pub(crate) variables: Object,
    pub(crate) user: Option<Arc<Object>>,
    pub(crate) now: DateTime<Utc>,
}

impl Default for Globals {
    fn default() -> Self {
        Globals::new()
    }
}

impl Globals {
    /// Empty globals with `now` frozen at the current time.
    pub fn new() -> Self {
        Globals {
            variables: Object::default(),
            user: None,
            now: Utc::now(),
        }
    }

    /// Top-level variables from a JSON object.
    pub fn with_variables(mut self, variables: &Map<String, Json>) -> Self {
        self.variables.extend(object_from_json(variables));
        self
    }

    /// Sets one top-level variable.
    pub fn set(mut self, name: &str, value: Value) -> Self {
        self.variables.insert(Arc::from(name), value);
        self
    }

    /// The user profile in `/users/track` attribute shape: feeds `${…}`,
    /// `custom_attribute.${…}` and `subscribed_state.${…}`.
    pub fn with_user(mut self, attributes: &Map<String, Json>) -> Self {
        let user = Arc::new(object_from_json(attributes));
        self.variables
            .insert(Arc::from("custom_attribute"), Value::Object(user.clone()));
        self.variables
            .insert(Arc::from("subscribed_state"), subscribed_state(&user));
        self.user = Some(user);
        self
    }

    /// `event_properties.${…}` of the triggering event.
    pub fn with_event_properties(self, properties: &Map<String, Json>) -> Self {
        self.with_object("event_properties", properties)
    }

    /// `canvas_entry_properties.${…}`, also reachable as `context.${…}`.
    pub fn with_canvas_entry_properties(self, properties: &Map<String, Json>) -> Self {
        self.with_object("canvas_entry_properties", properties)
            .with_object("context", properties)
    }

    /// `api_trigger_properties.${…}` of an API-triggered campaign.
    pub fn with_api_trigger_properties(self, properties: &Map<String, Json>) -> Self {
        self.with_object("api_trigger_properties", properties)
    }

    /// `campaign.${name}`, `campaign.${api_id}`, … (in a Canvas, the step).
    pub fn with_campaign(self, campaign: &Map<String, Json>) -> Self {
        self.with_object("campaign", campaign)
    }

    /// `canvas.${name}`, `canvas.${api_id}`, …
    pub fn with_canvas(self, canvas: &Map<String, Json>) -> Self {
        self.with_object("canvas", canvas)
    }

    /// Freezes `now` (used by `'now' | date` and `connected_content` cache ages).
    pub fn with_now(mut self, now: DateTime<Utc>) -> Self {
        self.now = now;
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    fn with_object(mut self, name: &str, properties: &Map<String, Json>) -> Self {
        self.variables
            .insert(Arc::from(name), Value::object(object_from_json(properties)));
        self
    }

    /// `${name}`: a standard attribute of the user, through Braze's tag-to-field mapping.
    pub(crate) fn standard_attribute(&self, tag: &str) -> Value {
        let Some(user) = &self.user else {
            return Value::Nil;
        };
        let field = STANDARD_ATTRIBUTE_FIELDS
            .iter()
            .find(|(name, _)| *name == tag)
            .map_or(tag, |(_, field)| field);
        match user.get(field) {
            Some(value) => value.clone(),
            None => attribute_key(&Value::Object(user.clone()), tag),
        }
    }
}

/// `.${name}`: the key as written, else a dotted path into nested objects.
pub(crate) fn attribute_key(value: &Value, name: &str) -> Value {
    let direct = value.get_key(name);
    if !direct.is_nil() || !name.contains('.') {
        return direct;
    }
    name.split('.')
        .fold(value.clone(), |current, part| current.get_key(part.trim()))
}

fn subscribed_state(user: &Object) -> Value {
    let mut state = Object::default();
    for (tag, field) in [
        ("email_global", "email_subscribe"),
        ("push_global", "push_subscribe"),
    ] {
        if let Some(value) = user.get(field) {
            state.insert(Arc::from(tag), value.clone());
        }
    }
    if let Some(Value::Array(groups)) = user.get("subscription_groups") {
        for group in groups.iter() {
            let id = group.get_key("subscription_group_id");
            if let Value::Str(id) = id {
                state.insert(id, group.get_key("subscription_state"));
            }
        }
    }
    Value::object(state)
}
