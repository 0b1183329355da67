//! `POST /users/merge`: up to 50 merges, each folding one user into another by Braze's
//! merge rules (`leadwire_core::identity`), in one transaction.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use chrono::Utc;
use leadwire_core::permission::Permission;
use serde_json::{Value, json};

use super::identifiers::{Named, find_named, named_at};
use super::{MAX_IDS_PER_REQUEST, authorize, json_object};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::state::AppState;

const NOT_AN_ARRAY: &str = "'merge_updates' must be an array of objects";
const TOO_MANY: &str = "a single request may not contain more than 50 merge updates";
const BAD_IDENTIFIER: &str = "identifiers must be objects with an 'external_id' property that is a string, 'user_alias' property that is an object, 'email' property that is a string, or 'phone' property that is a string";
const EXTRA_KEYS: &str =
    "'merge_updates' must only have 'identifier_to_merge' and 'identifier_to_keep'";
const KEYS: [&str; 2] = ["identifier_to_merge", "identifier_to_keep"];

/// Responds `202 {"message": "success"}` once the merges committed. A request with any bad
/// update is refused whole with Braze's 400 texts. An update whose identifiers name no
/// user (or one user twice, or an email or phone its prioritization does not narrow to
/// one) merges nothing.
pub async fn merge_users(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    authorize(&state, caller, Permission::UsersMerge)?;
    let mut object = json_object(&state, body).await?;
    let updates = match object.remove("merge_updates") {
        Some(Value::Array(items)) if items.iter().all(Value::is_object) => items,
        _ => {
            return Err(fatal(
                NOT_AN_ARRAY,
                ErrorItem::new("send merge_updates: [{\"identifier_to_merge\": {…}, \"identifier_to_keep\": {…}}]")
                    .field("merge_updates"),
            ));
        }
    };
    if updates.len() > MAX_IDS_PER_REQUEST {
        let item = ErrorItem::new(format!("{} merge updates were sent", updates.len()));
        return Err(fatal(TOO_MANY, item.field("merge_updates")));
    }
    let pairs = updates
        .iter()
        .enumerate()
        .map(|(index, update)| pair(index, update))
        .collect::<Result<Vec<_>, _>>()?;
    let mut tx = state.store.begin().await?;
    for (merged, keep) in &pairs {
        let merged = find_named(tx.as_mut(), merged).await?;
        let keep = find_named(tx.as_mut(), keep).await?;
        if let (Some(merged), Some(keep)) = (merged, keep) {
            tx.merge_profiles(keep.id, merged.id, Utc::now()).await?;
        }
    }
    tx.commit().await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"message": "success"}))))
}

/// The user to merge and the user to keep of update `index`.
fn pair(index: usize, update: &Value) -> Result<(Named, Named), ApiError> {
    let field = format!("merge_updates[{index}]");
    let object = update.as_object().into_iter().flatten();
    if let Some((key, _)) = object
        .clone()
        .find(|(key, _)| !KEYS.contains(&key.as_str()))
    {
        let item = ErrorItem::new(format!("{field} has `{key}`; remove it"));
        return Err(fatal(EXTRA_KEYS, item.field(field)));
    }
    let side = |key: &str| {
        let at = format!("{field}.{key}");
        let value = update.get(key).unwrap_or(&Value::Null);
        named_at(value, &at).map_err(|item| fatal(BAD_IDENTIFIER, item))
    };
    Ok((side(KEYS[0])?, side(KEYS[1])?))
}

fn fatal(message: &'static str, item: ErrorItem) -> ApiError {
    ApiError::Fatal {
        message,
        errors: vec![item],
    }
}
