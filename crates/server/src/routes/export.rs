//! `POST /users/export/ids`: profiles by external ids and aliases (up to 50), or by one
//! braze_id, email_address or phone, with `fields_to_export` choosing the fields (the user
//! object is `engine::user_export`'s).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use chrono::Utc;
use leadwire_core::track::UserIdentifier;
use leadwire_engine::user_export::{ExportFields, user_object};
use serde_json::{Map, Value};

use super::{
    MAX_IDS_PER_REQUEST, alias_at, authorize, json_object, optional_array, optional_string,
    optional_strings, too_many,
};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::state::AppState;
use leadwire_core::permission::Permission;

pub async fn export_ids(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, caller, Permission::UsersExportIds)?;
    let mut object = json_object(&state, body).await?;
    let requested = optional_strings(&mut object, "fields_to_export")?;
    let fields = requested_fields(requested.as_deref(), None)?;
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

    let config = state.journeys.as_ref().map(|journeys| journeys.config());
    let now = Utc::now();
    let mut users = Vec::new();
    let mut invalid = Vec::new();
    for (label, identifier) in lookups {
        match state.store.find_profile(&identifier).await? {
            Some(profile) => users.push(Value::Object(
                user_object(state.store.as_ref(), config, &profile, &fields, now).await?,
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

/// The fields `fields_to_export` names (all of them when it is absent) and the custom
/// attributes `custom_attributes_to_export` names. A name Braze does not document is a 400
/// naming it and the list.
pub(super) fn requested_fields(
    requested: Option<&[String]>,
    custom_attributes: Option<Vec<String>>,
) -> Result<ExportFields, ApiError> {
    ExportFields::named(requested, custom_attributes).map_err(|unknown| {
        ApiError::bad_request(
            ErrorItem::new(unknown.message()).field(format!("fields_to_export[{}]", unknown.index)),
        )
    })
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
