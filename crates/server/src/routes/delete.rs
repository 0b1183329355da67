//! `POST /users/delete`: up to 50 users of one identifier type, deleted in one transaction.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use leadwire_core::track::UserIdentifier;
use serde_json::{Value, json};

use super::{MAX_IDS_PER_REQUEST, alias_at, authorize, json_object, optional_array, too_many};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::state::AppState;
use leadwire_core::permission::Permission;

const ID_TYPES: &[&str] = &[
    "external_ids",
    "user_aliases",
    "braze_ids",
    "email_addresses",
    "phone_numbers",
];
const PRIORITIES: &[&str] = &["identified", "unidentified", "most_recently_updated"];

/// Responds `202 {"deleted": N, "message": "success"}`. Email and phone entries need a `prioritization`; the
/// user deleted is the one Braze's duplicate rule picks (identified, then most recently updated).
pub async fn delete_users(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    authorize(&state, caller, Permission::UsersDelete)?;
    let mut object = json_object(&state, body).await?;
    let mut present = Vec::new();
    for key in ID_TYPES {
        if let Some(items) = optional_array(&mut object, key)? {
            present.push((*key, items));
        }
    }
    let (key, items) = match present.len() {
        1 => present.remove(0),
        _ => {
            return Err(ApiError::bad_request(ErrorItem::new(format!(
                "send exactly one of {}",
                ID_TYPES.join(", ")
            ))));
        }
    };
    if items.len() > MAX_IDS_PER_REQUEST {
        return Err(too_many(
            "The max number of ids per request was exceeded",
            key,
            items.len(),
        ));
    }
    let identifiers = items
        .iter()
        .enumerate()
        .map(|(index, item)| identifier(key, index, item))
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::bad_request)?;
    let mut tx = state.store.begin().await?;
    let mut deleted = 0;
    for identifier in &identifiers {
        if let Some(profile) = tx.find_profile(identifier).await?
            && tx.delete_profile(profile.id).await?
        {
            deleted += 1;
        }
    }
    tx.commit().await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "deleted": deleted, "message": "success" })),
    ))
}

fn identifier(key: &str, index: usize, item: &Value) -> Result<UserIdentifier, ErrorItem> {
    let field = format!("{key}[{index}]");
    let text = |value: Option<&Value>, field: &str| match value {
        Some(Value::String(text)) if !text.is_empty() => Ok(text.clone()),
        _ => Err(ErrorItem::new(format!("{field} must be a non-empty string")).field(field)),
    };
    match key {
        "external_ids" => text(Some(item), &field).map(UserIdentifier::ExternalId),
        "braze_ids" => {
            let id = text(Some(item), &field)?;
            uuid::Uuid::parse_str(&id)
                .map(UserIdentifier::BrazeId)
                .map_err(|_| {
                    ErrorItem::new(format!(
                        "{field}: `{id}` is not a braze_id issued by leadwire"
                    ))
                    .field(field)
                })
        }
        "user_aliases" => alias_at(item, &field).map(UserIdentifier::Alias),
        _ => {
            let (name, make): (&str, fn(String) -> UserIdentifier) = if key == "email_addresses" {
                ("email", UserIdentifier::Email)
            } else {
                ("phone", UserIdentifier::Phone)
            };
            let value = text(item.get(name), &format!("{field}.{name}"))?;
            let priorities = item.get("prioritization").and_then(Value::as_array);
            let valid = priorities.is_some_and(|list| {
                !list.is_empty()
                    && list
                        .iter()
                        .all(|p| p.as_str().is_some_and(|p| PRIORITIES.contains(&p)))
            });
            if !valid {
                return Err(ErrorItem::new(format!(
                    "{field}.prioritization must be a non-empty array of {}",
                    PRIORITIES.join(", ")
                ))
                .field(format!("{field}.prioritization")));
            }
            Ok(make(value))
        }
    }
}
