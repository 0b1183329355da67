//! `POST /users/alias/new`: add an alias to a user named by external_id, or create an
//! alias-only user when no external_id is given.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use chrono::Utc;
use leadwire_core::attributes::ProfileChanges;
use leadwire_core::profile::Profile;
use leadwire_core::track::UserIdentifier;
use leadwire_store::{ProfileWrite, StoreError};
use serde_json::{Map, Value};

use super::{MAX_IDS_PER_REQUEST, alias_at, authorize, json_object, optional_array, too_many};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::state::AppState;
use leadwire_core::permission::Permission;

/// Responds `201 {"aliases_processed": N, "message": "success"}`, with `errors` for the
/// entries that were refused (unknown external_id, alias already on another user).
pub async fn new_aliases(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    authorize(&state, caller, Permission::UsersAliasNew)?;
    let mut object = json_object(&state, body).await?;
    let Some(items) = optional_array(&mut object, "user_aliases")? else {
        return Err(ApiError::bad_request(
            ErrorItem::new(
                "user_aliases is required: [{\"alias_name\", \"alias_label\", \"external_id\"?}]",
            )
            .field("user_aliases"),
        ));
    };
    if items.len() > MAX_IDS_PER_REQUEST {
        return Err(too_many(
            "The max number of ids per request was exceeded",
            "user_aliases",
            items.len(),
        ));
    }
    let mut tx = state.store.begin().await?;
    let mut processed = 0;
    let mut errors = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let at = |item: ErrorItem| item.at("user_aliases", Some(index));
        let alias = match alias_at(item, "user_alias") {
            Ok(alias) => alias,
            Err(error) => {
                errors.push(at(error));
                continue;
            }
        };
        let owner = match item.get("external_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
            Some(_) => {
                errors
                    .push(at(ErrorItem::new("external_id must be a non-empty string")
                        .field("external_id")));
                continue;
            }
        };
        let outcome = match owner {
            Some(external_id) => match tx
                .find_profile(&UserIdentifier::ExternalId(external_id))
                .await?
            {
                Some(profile) => tx.add_alias(profile.id, &alias).await,
                None => {
                    errors.push(at(
                        ErrorItem::new("no user has this external_id").field("external_id")
                    ));
                    continue;
                }
            },
            None => match tx
                .find_profile(&UserIdentifier::Alias(alias.clone()))
                .await?
            {
                Some(_) => Ok(()),
                None => {
                    let mut profile = Profile::new(uuid::Uuid::now_v7(), Utc::now());
                    profile.aliases.push(alias.clone());
                    let changes = ProfileChanges::default();
                    tx.save_profiles(&[ProfileWrite {
                        profile: &profile,
                        changes: &changes,
                    }])
                    .await
                }
            },
        };
        match outcome {
            Ok(()) => processed += 1,
            Err(StoreError::AliasTaken { .. }) => {
                errors.push(at(
                    ErrorItem::new("this alias already names another user").field("alias_name")
                ));
            }
            Err(error) => return Err(error.into()),
        }
    }
    tx.commit().await?;
    let mut body = Map::new();
    body.insert("aliases_processed".into(), Value::from(processed));
    body.insert("message".into(), Value::from("success"));
    if !errors.is_empty() {
        body.insert(
            "errors".into(),
            serde_json::to_value(errors).unwrap_or_default(),
        );
    }
    Ok((StatusCode::CREATED, Json(Value::Object(body))))
}
