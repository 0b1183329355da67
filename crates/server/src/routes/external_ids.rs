//! `POST /users/external_ids/rename` and `POST /users/external_ids/remove`: give a user a
//! new primary external_id, the old one staying usable (deprecated) until it is removed.
//! Per-item failures are `[index, "text"]` pairs in `rename_errors` / `removal_errors`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use leadwire_core::permission::Permission;
use leadwire_core::track::UserIdentifier;
use leadwire_store::{StoreResult, StoreTransaction};
use serde_json::{Value, json};

use super::{MAX_IDS_PER_REQUEST, authorize, identifier_at, json_object, optional_array, too_many};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::state::AppState;

/// Responds `201 {"message": "success", "external_ids": [renamed current ids],
/// "rename_errors": [[index, "text"], …]}`. Renames apply in order, in one transaction.
pub async fn rename(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    authorize(&state, caller, Permission::UsersExternalIdsRename)?;
    let items = items(&state, body, "external_id_renames").await?;
    let mut tx = state.store.begin().await?;
    let mut renamed = Vec::new();
    let mut errors = Vec::new();
    for (index, item) in items.iter().enumerate() {
        match rename_one(tx.as_mut(), item).await? {
            Ok(current) => renamed.push(current),
            Err(text) => errors.push(json!([index, text])),
        }
    }
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"message": "success", "external_ids": renamed, "rename_errors": errors})),
    ))
}

/// Responds `201 {"message": "success", "removed_ids": [...], "removal_errors": [[index,
/// "text"], …]}`. Only deprecated ids can be removed.
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    authorize(&state, caller, Permission::UsersExternalIdsRemove)?;
    let items = items(&state, body, "external_ids").await?;
    let mut tx = state.store.begin().await?;
    let mut removed = Vec::new();
    let mut errors = Vec::new();
    for (index, item) in items.iter().enumerate() {
        match remove_one(tx.as_mut(), item).await? {
            Ok(id) => removed.push(id),
            Err(text) => errors.push(json!([index, text])),
        }
    }
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"message": "success", "removed_ids": removed, "removal_errors": errors})),
    ))
}

/// The request's array `key`: required, 1 to 50 items.
async fn items(
    state: &AppState,
    body: Result<Bytes, BytesRejection>,
    key: &'static str,
) -> Result<Vec<Value>, ApiError> {
    let mut object = json_object(state, body).await?;
    let items = optional_array(&mut object, key)?.unwrap_or_default();
    if items.is_empty() {
        return Err(ApiError::bad_request(
            ErrorItem::new(format!("{key} is required and must hold 1 to 50 items")).field(key),
        ));
    }
    if items.len() > MAX_IDS_PER_REQUEST {
        return Err(too_many(
            "The max number of ids per request was exceeded",
            key,
            items.len(),
        ));
    }
    Ok(items)
}

/// Renames one user; the inner error is the item's `rename_errors` text.
async fn rename_one(
    tx: &mut dyn StoreTransaction,
    item: &Value,
) -> StoreResult<Result<String, String>> {
    let field = |key: &str| identifier_at(item.get(key), key).map_err(|error| error.kind);
    let (current, new) = match (field("current_external_id"), field("new_external_id")) {
        (Ok(current), Ok(new)) => (current, new),
        (Err(error), _) | (_, Err(error)) => return Ok(Err(error)),
    };
    if current == new {
        return Ok(Err(
            "new_external_id must differ from current_external_id".into()
        ));
    }
    let user = tx
        .find_profile(&UserIdentifier::ExternalId(current.clone()))
        .await?;
    let Some(user) = user else {
        return Ok(Err(format!("no user has the external_id `{current}`")));
    };
    if user.external_id.as_deref() != Some(current.as_str()) {
        return Ok(Err(format!(
            "`{current}` is a deprecated external_id; rename the user by its primary external_id"
        )));
    }
    if tx
        .find_profile(&UserIdentifier::ExternalId(new.clone()))
        .await?
        .is_some()
    {
        return Ok(Err(format!(
            "`{new}` is already in use as a primary or deprecated external_id"
        )));
    }
    tx.rename_external_id(user.id, &new).await?;
    Ok(Ok(current))
}

/// Removes one deprecated id; the inner error is the item's `removal_errors` text.
async fn remove_one(
    tx: &mut dyn StoreTransaction,
    item: &Value,
) -> StoreResult<Result<String, String>> {
    let id = match identifier_at(Some(item), "external_ids[]") {
        Ok(id) => id,
        Err(error) => return Ok(Err(error.kind)),
    };
    if tx.remove_deprecated_external_id(&id).await? {
        return Ok(Ok(id));
    }
    let primary = tx
        .find_profile(&UserIdentifier::ExternalId(id.clone()))
        .await?
        .is_some();
    Ok(Err(if primary {
        format!("`{id}` is a primary external_id; only deprecated external_ids can be removed")
    } else {
        format!("`{id}` is not a deprecated external_id of any user")
    }))
}
