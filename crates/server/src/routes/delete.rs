//! `POST /users/delete`: up to 50 users of one identifier type, deleted in one transaction.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use leadwire_core::track::UserIdentifier;
use serde_json::{Value, json};

use super::identifiers::{Named, find_named, shared_at};
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
/// Responds `202 {"deleted": N, "message": "success"}`. Email and phone entries need a
/// `prioritization`, which picks the one user deleted among those sharing the address (none
/// when it leaves several, as in `/users/merge`).
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
    for named in &identifiers {
        if let Some(profile) = find_named(tx.as_mut(), named).await?
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

fn identifier(key: &str, index: usize, item: &Value) -> Result<Named, ErrorItem> {
    let field = format!("{key}[{index}]");
    let text = |value: Option<&Value>, field: &str| match value {
        Some(Value::String(text)) if !text.is_empty() => Ok(text.clone()),
        _ => Err(ErrorItem::new(format!("{field} must be a non-empty string")).field(field)),
    };
    let one = |identifier| Ok(Named::One(identifier));
    match key {
        "external_ids" => one(UserIdentifier::ExternalId(text(Some(item), &field)?)),
        "braze_ids" => {
            let id = text(Some(item), &field)?;
            match uuid::Uuid::parse_str(&id) {
                Ok(id) => one(UserIdentifier::BrazeId(id)),
                Err(_) => Err(ErrorItem::new(format!(
                    "{field}: `{id}` is not a braze_id issued by leadwire"
                ))
                .field(field)),
            }
        }
        "user_aliases" => one(UserIdentifier::Alias(alias_at(item, &field)?)),
        _ => {
            let kind = if key == "email_addresses" {
                "email"
            } else {
                "phone"
            };
            shared_at(item.get(kind), item.get("prioritization"), kind, &field)
        }
    }
}
