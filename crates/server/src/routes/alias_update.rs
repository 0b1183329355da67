//! `POST /users/alias/update`: rename up to 50 aliases, each keeping its label.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use leadwire_core::permission::Permission;
use leadwire_core::profile::UserAlias;
use leadwire_core::track::UserIdentifier;
use leadwire_store::StoreError;
use serde_json::{Map, Value};

use super::{MAX_IDS_PER_REQUEST, authorize, identifier_at, json_object, optional_array, too_many};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::state::AppState;

const FIELD: &str = "alias_updates";

/// Responds `201 {"message": "success"}`, with `errors` for the updates that were refused
/// (a missing field, or a new alias that already names another user). An update whose old
/// alias names no user changes nothing and is no error, as in Braze.
pub async fn update_aliases(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    authorize(&state, caller, Permission::UsersAliasUpdate)?;
    let mut object = json_object(&state, body).await?;
    let Some(items) = optional_array(&mut object, FIELD)? else {
        return Err(ApiError::bad_request(
            ErrorItem::new(
                "alias_updates is required: [{\"alias_label\", \"old_alias_name\", \"new_alias_name\"}]",
            )
            .field(FIELD),
        ));
    };
    if items.len() > MAX_IDS_PER_REQUEST {
        return Err(too_many(
            "The max number of alias_updates per request was exceeded",
            FIELD,
            items.len(),
        ));
    }
    let mut tx = state.store.begin().await?;
    let mut errors = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let at = |item: ErrorItem| item.at(FIELD, Some(index));
        let (old, new_name) = match update(item) {
            Ok(update) => update,
            Err(error) => {
                errors.push(at(error));
                continue;
            }
        };
        let Some(profile) = tx.find_profile(&UserIdentifier::Alias(old.clone())).await? else {
            continue;
        };
        match tx.rename_alias(profile.id, &old, &new_name).await {
            Ok(()) => {}
            Err(StoreError::AliasTaken { .. }) => errors.push(at(ErrorItem::new(
                "new_alias_name already names another user under this alias_label",
            )
            .field("new_alias_name"))),
            Err(error) => return Err(error.into()),
        }
    }
    tx.commit().await?;
    let mut body = Map::new();
    body.insert("message".into(), Value::from("success"));
    if !errors.is_empty() {
        body.insert(
            "errors".into(),
            serde_json::to_value(errors).unwrap_or_default(),
        );
    }
    Ok((StatusCode::CREATED, Json(Value::Object(body))))
}

/// The old alias and the new name of one update object.
fn update(item: &Value) -> Result<(UserAlias, String), ErrorItem> {
    let text = |key: &str| identifier_at(item.get(key), key);
    if !item.is_object() {
        return Err(ErrorItem::new(
            "each alias update must be an object {\"alias_label\", \"old_alias_name\", \"new_alias_name\"}",
        ));
    }
    let old = UserAlias {
        alias_label: text("alias_label")?,
        alias_name: text("old_alias_name")?,
    };
    Ok((old, text("new_alias_name")?))
}
