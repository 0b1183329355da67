//! `POST /users/identify`: give anonymous users (found by alias, or by email or phone with a
//! `prioritization`) an external_id. When a user already has that external_id the anonymous
//! profile is merged into it (`leadwire_core::identity`); otherwise it takes the id.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use chrono::Utc;
use leadwire_core::identity::{IdentifyAction, identify_action};
use leadwire_core::permission::Permission;
use leadwire_core::profile::UserAlias;
use leadwire_core::track::UserIdentifier;
use leadwire_store::{StoreResult, StoreTransaction};
use serde_json::{Map, Value};

use super::identifiers::{Named, find_named, shared_at};
use super::optional_array;
use super::{MAX_IDS_PER_REQUEST, alias_at, authorize, identifier_at, json_object, too_many};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::state::AppState;

/// The three arrays and the identifier each item carries beside `external_id`.
const ARRAYS: [(&str, &str); 3] = [
    ("aliases_to_identify", "user_alias"),
    ("emails_to_identify", "email"),
    ("phone_numbers_to_identify", "phone"),
];

/// One identification: the anonymous user, the alias that named it (if one did), and the
/// external_id it is identified with.
struct Identification {
    anonymous: Named,
    alias: Option<UserAlias>,
    external_id: String,
}

/// Responds `201 {"aliases_processed": N, "message": "success"}`: N counts the valid items
/// of all three arrays, whether or not a user matched (Braze's success means only that the
/// request was received); invalid items are reported in `errors` and skipped.
pub async fn identify_users(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    authorize(&state, caller, Permission::UsersIdentify)?;
    let mut object = json_object(&state, body).await?;
    merge_behavior(&object)?;
    let mut arrays = Vec::new();
    for (key, kind) in ARRAYS {
        if let Some(items) = optional_array(&mut object, key)? {
            arrays.push((key, kind, items));
        }
    }
    if arrays.is_empty() {
        return Err(ApiError::bad_request(ErrorItem::new(
            "send at least one of aliases_to_identify, emails_to_identify and phone_numbers_to_identify",
        )));
    }
    let count: usize = arrays.iter().map(|(_, _, items)| items.len()).sum();
    if count > MAX_IDS_PER_REQUEST {
        return Err(too_many(
            "The max number of aliases per request was exceeded",
            arrays[0].0,
            count,
        ));
    }
    let mut identifications = Vec::new();
    let mut errors = Vec::new();
    for (key, kind, items) in &arrays {
        for (index, item) in items.iter().enumerate() {
            match identification(item, kind) {
                Ok(found) => identifications.push(found),
                Err(error) => errors.push(error.at(key, Some(index))),
            }
        }
    }
    let mut tx = state.store.begin().await?;
    for identification in &identifications {
        identify(tx.as_mut(), identification).await?;
    }
    tx.commit().await?;
    let mut body = Map::new();
    body.insert(
        "aliases_processed".into(),
        Value::from(identifications.len()),
    );
    body.insert("message".into(), Value::from("success"));
    if !errors.is_empty() {
        body.insert(
            "errors".into(),
            serde_json::to_value(errors).unwrap_or_default(),
        );
    }
    Ok((StatusCode::CREATED, Json(Value::Object(body))))
}

/// The legacy `merge_behavior`: `"none"` or `"merge"`, both accepted; every identification
/// merges, as Braze has done since 2023-08-07.
fn merge_behavior(object: &Map<String, Value>) -> Result<(), ApiError> {
    match object.get("merge_behavior") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(text)) if text == "none" || text == "merge" => Ok(()),
        Some(_) => Err(ApiError::bad_request(
            ErrorItem::new(
                "merge_behavior must be \"none\" or \"merge\" (every identification merges)",
            )
            .field("merge_behavior"),
        )),
    }
}

fn identification(item: &Value, kind: &str) -> Result<Identification, ErrorItem> {
    if !item.is_object() {
        return Err(ErrorItem::new(format!(
            "each item must be an object {{\"external_id\", \"{kind}\"…}}"
        )));
    }
    let external_id = identifier_at(item.get("external_id"), "external_id")?;
    let (anonymous, alias) = if kind == "user_alias" {
        let alias = alias_at(item.get(kind).unwrap_or(&Value::Null), kind)?;
        (
            Named::One(UserIdentifier::Alias(alias.clone())),
            Some(alias),
        )
    } else {
        (
            shared_at(item.get(kind), item.get("prioritization"), kind, kind)?,
            None,
        )
    };
    Ok(Identification {
        anonymous,
        alias,
        external_id,
    })
}

/// Identifies one anonymous user: takes the external_id, merges into its holder, or
/// nothing (no such user, already identified, or the holder has an alias of the label).
async fn identify(
    tx: &mut dyn StoreTransaction,
    identification: &Identification,
) -> StoreResult<()> {
    let Some(anonymous) = find_named(tx, &identification.anonymous).await? else {
        return Ok(());
    };
    let external_id = UserIdentifier::ExternalId(identification.external_id.clone());
    let identified = tx.find_profile(&external_id).await?;
    match identify_action(
        &anonymous,
        identification.alias.as_ref(),
        identified.as_ref(),
    ) {
        IdentifyAction::AssignExternalId => {
            tx.rename_external_id(anonymous.id, &identification.external_id)
                .await
        }
        IdentifyAction::Merge => match identified {
            Some(identified) => tx
                .merge_profiles(identified.id, anonymous.id, Utc::now())
                .await
                .map(|_| ()),
            None => Ok(()),
        },
        IdentifyAction::Skip => Ok(()),
    }
}
