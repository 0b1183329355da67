//! The exported user object of `/users/export/ids` and `/users/export/segment`: which
//! fields there are (`fields_to_export`), and one profile as Braze's user object, null and
//! empty fields left out.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use leadwire_core::profile::Profile;
use leadwire_core::time::times_as_strings;
use leadwire_store::{ActivitySummary, Store, StoreError};
use serde_json::{Map, Value, json};

/// The fields a user object can hold, in output order.
pub const EXPORT_FIELDS: &[&str] = &[
    "external_id",
    "user_aliases",
    "braze_id",
    "first_name",
    "last_name",
    "email",
    "dob",
    "home_city",
    "country",
    "phone",
    "language",
    "time_zone",
    "gender",
    "push_subscribe",
    "email_subscribe",
    "custom_attributes",
    "custom_events",
    "purchases",
    "push_tokens",
    "created_at",
    "random_bucket",
];

/// Braze reports custom events and purchases of the last 90 days.
const ACTIVITY_DAYS: i64 = 90;

/// What to export of each user.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportFields {
    /// Names from [`EXPORT_FIELDS`].
    pub fields: Vec<&'static str>,
    /// `custom_attributes_to_export`: when `fields` lacks `custom_attributes`, export these
    /// custom attributes (and no others) as `custom_attributes`.
    pub custom_attributes: Option<Vec<String>>,
}

impl ExportFields {
    /// Every field.
    pub fn all() -> Self {
        Self {
            fields: EXPORT_FIELDS.to_vec(),
            custom_attributes: None,
        }
    }

    /// The field list from names; the first unknown name is the error.
    pub fn named(names: &[String], custom_attributes: Option<Vec<String>>) -> Result<Self, String> {
        let mut fields = Vec::with_capacity(names.len());
        for name in names {
            match EXPORT_FIELDS.iter().find(|field| **field == name) {
                Some(field) => fields.push(*field),
                None => return Err(name.clone()),
            }
        }
        Ok(Self {
            fields,
            custom_attributes,
        })
    }

    fn custom(&self, profile: &Profile) -> Option<Value> {
        let all = self.fields.contains(&"custom_attributes");
        let chosen = |key: &String| {
            all || self
                .custom_attributes
                .as_ref()
                .is_some_and(|names| names.contains(key))
        };
        if !all && self.custom_attributes.is_none() {
            return None;
        }
        Some(Value::Object(
            profile
                .custom
                .iter()
                .filter(|(key, _)| chosen(key))
                .map(|(key, value)| (key.clone(), times_as_strings(value)))
                .collect(),
        ))
    }
}

fn summaries_json(summaries: Vec<ActivitySummary>) -> Value {
    Value::Array(
        summaries
            .into_iter()
            .map(|summary| {
                json!({
                    "name": summary.name,
                    "first": summary.first.to_rfc3339_opts(SecondsFormat::Millis, true),
                    "last": summary.last.to_rfc3339_opts(SecondsFormat::Millis, true),
                    "count": summary.count,
                })
            })
            .collect(),
    )
}

/// One user object at `now`; null and empty fields are left out.
pub async fn user_object(
    store: &dyn Store,
    profile: &Profile,
    fields: &ExportFields,
    now: DateTime<Utc>,
) -> Result<Map<String, Value>, StoreError> {
    let since = now - TimeDelta::days(ACTIVITY_DAYS);
    let mut user = Map::new();
    for field in EXPORT_FIELDS {
        if !fields.fields.contains(field) && *field != "custom_attributes" {
            continue;
        }
        let value = match *field {
            "external_id" => profile.external_id.clone().map(Value::String),
            "user_aliases" => serde_json::to_value(&profile.aliases).ok(),
            "braze_id" => Some(Value::String(profile.id.to_string())),
            "custom_attributes" => fields.custom(profile),
            "custom_events" => Some(summaries_json(
                store.event_summaries(profile.id, since).await?,
            )),
            "purchases" => Some(summaries_json(
                store.purchase_summaries(profile.id, since).await?,
            )),
            "created_at" => Some(Value::String(
                profile
                    .created_at
                    .to_rfc3339_opts(SecondsFormat::Millis, true),
            )),
            "random_bucket" => {
                let bytes = profile.id.as_bytes();
                Some(Value::from(
                    u16::from_be_bytes([bytes[14], bytes[15]]) % 10_000,
                ))
            }
            standard => profile.standard.get(standard).map(times_as_strings),
        };
        let empty = match &value {
            None | Some(Value::Null) => true,
            Some(Value::Array(items)) => items.is_empty(),
            Some(Value::Object(map)) => map.is_empty(),
            Some(Value::String(text)) => text.is_empty(),
            Some(_) => false,
        };
        if let (false, Some(value)) = (empty, value) {
            user.insert((*field).to_owned(), value);
        }
    }
    Ok(user)
}
