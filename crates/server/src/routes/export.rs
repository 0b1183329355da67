//! `POST /users/export/ids`: profiles by external ids and aliases (up to 50), or by one
//! braze_id, email_address or phone, with `fields_to_export` choosing the fields.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use chrono::{SecondsFormat, TimeDelta, Utc};
use leadwire_core::profile::Profile;
use leadwire_core::time::times_as_strings;
use leadwire_core::track::UserIdentifier;
use leadwire_store::{ActivitySummary, Store, StoreError};
use serde_json::{Map, Value, json};

use super::{
    MAX_IDS_PER_REQUEST, alias_at, authorize, json_object, optional_array, optional_string,
    optional_strings, too_many,
};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::state::AppState;
use leadwire_core::permission::Permission;

/// The fields a user object can hold, in output order.
const EXPORT_FIELDS: &[&str] = &[
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

pub async fn export_ids(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, caller, Permission::UsersExportIds)?;
    let mut object = json_object(&state, body).await?;
    let fields = fields_to_export(&mut object)?;
    let external_ids = optional_strings(&mut object, "external_ids")?.unwrap_or_default();
    let aliases = optional_array(&mut object, "user_aliases")?.unwrap_or_default();
    let singles = [
        ("braze_id", optional_string(&object, "braze_id")?),
        ("email_address", optional_string(&object, "email_address")?),
        ("phone", optional_string(&object, "phone")?),
        ("device_id", optional_string(&object, "device_id")?),
    ];
    let single: Vec<(&str, String)> = singles
        .into_iter()
        .filter_map(|(key, value)| value.map(|value| (key, value)))
        .collect();
    let listed = external_ids.len() + aliases.len();
    if listed > MAX_IDS_PER_REQUEST {
        return Err(too_many(
            "The max number of external_ids and aliases per request was exceeded",
            "external_ids",
            listed,
        ));
    }
    let mut lookups: Vec<(String, UserIdentifier)> = Vec::new();
    for id in external_ids {
        lookups.push((id.clone(), UserIdentifier::ExternalId(id)));
    }
    for (index, value) in aliases.iter().enumerate() {
        let alias =
            alias_at(value, &format!("user_aliases[{index}]")).map_err(ApiError::bad_request)?;
        lookups.push((
            format!("{}:{}", alias.alias_label, alias.alias_name),
            UserIdentifier::Alias(alias),
        ));
    }
    match (lookups.is_empty(), single.as_slice()) {
        (false, []) => {}
        (true, [(key, value)]) => lookups.push((value.clone(), single_identifier(key, value)?)),
        (true, []) => {
            return Err(ApiError::bad_request(ErrorItem::new(
                "send external_ids and/or user_aliases, or exactly one of braze_id, email_address, phone",
            )));
        }
        _ => {
            return Err(ApiError::bad_request(ErrorItem::new(
                "send external_ids and/or user_aliases, or exactly one of braze_id, email_address, phone, not several",
            )));
        }
    }

    let mut users = Vec::new();
    let mut invalid = Vec::new();
    for (label, identifier) in lookups {
        match state.store.find_profile(&identifier).await? {
            Some(profile) => users.push(Value::Object(
                user_object(state.store.as_ref(), &profile, &fields).await?,
            )),
            None => invalid.push(Value::String(label)),
        }
    }
    let mut body = Map::new();
    body.insert("message".into(), Value::from("success"));
    body.insert("users".into(), Value::Array(users));
    if !invalid.is_empty() {
        body.insert("invalid_user_ids".into(), Value::Array(invalid));
    }
    Ok(Json(Value::Object(body)))
}

fn single_identifier(key: &str, value: &str) -> Result<UserIdentifier, ApiError> {
    match key {
        "braze_id" => uuid::Uuid::parse_str(value)
            .map(UserIdentifier::BrazeId)
            .map_err(|_| {
                ApiError::bad_request(
                    ErrorItem::new(format!(
                        "braze_id `{value}` is not a braze_id issued by leadwire"
                    ))
                    .field("braze_id"),
                )
            }),
        "email_address" => Ok(UserIdentifier::Email(value.to_owned())),
        "phone" => Ok(UserIdentifier::Phone(value.to_owned())),
        _ => Err(ApiError::bad_request(
            ErrorItem::new("device_id lookups are not supported: leadwire keeps no devices")
                .field("device_id"),
        )),
    }
}

fn fields_to_export(object: &mut Map<String, Value>) -> Result<Vec<&'static str>, ApiError> {
    let Some(requested) = optional_strings(object, "fields_to_export")? else {
        return Ok(EXPORT_FIELDS.to_vec());
    };
    let mut fields = Vec::with_capacity(requested.len());
    for (index, name) in requested.iter().enumerate() {
        match EXPORT_FIELDS.iter().find(|field| **field == name) {
            Some(field) => fields.push(*field),
            None => {
                return Err(ApiError::bad_request(
                    ErrorItem::new(format!(
                        "`{name}` is not an exportable field; use one of {}",
                        EXPORT_FIELDS.join(", ")
                    ))
                    .field(format!("fields_to_export[{index}]")),
                ));
            }
        }
    }
    Ok(fields)
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

/// One user object; null and empty fields are left out.
async fn user_object(
    store: &dyn Store,
    profile: &Profile,
    fields: &[&str],
) -> Result<Map<String, Value>, StoreError> {
    let since = Utc::now() - TimeDelta::days(ACTIVITY_DAYS);
    let mut user = Map::new();
    for field in EXPORT_FIELDS.iter().filter(|field| fields.contains(field)) {
        let value = match *field {
            "external_id" => profile.external_id.clone().map(Value::String),
            "user_aliases" => serde_json::to_value(&profile.aliases).ok(),
            "braze_id" => Some(Value::String(profile.id.to_string())),
            "custom_attributes" => Some(Value::Object(
                profile
                    .custom
                    .iter()
                    .map(|(key, value)| (key.clone(), times_as_strings(value)))
                    .collect(),
            )),
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
