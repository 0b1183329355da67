//! The routes and the request helpers they share: auth, JSON bodies, typed fields.

mod activity;
mod alias;
mod alias_update;
mod body;
pub(crate) mod catalog;
mod content_blocks;
mod delete;
mod export;
mod export_segment;
mod external_ids;
mod health;
mod identifiers;
mod identify;
mod merge;
mod message_schedule;
mod messages;
mod schedule;
mod segments;
mod sends;
mod track;
mod trigger_send;
mod unsupported;

use axum::Router;
use axum::routing::{get, post};
use leadwire_core::profile::UserAlias;
use serde_json::{Map, Value};

use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::state::AppState;
pub(crate) use body::json_object;
use leadwire_core::permission::Permission;

/// Liveness and readiness probes: no auth, no data, outside the rate limits.
pub(crate) const HEALTHZ: &str = "/healthz";
pub(crate) const READYZ: &str = "/readyz";
/// The Prometheus exposition: no user data, so no key, and outside the rate limits.
pub(crate) const METRICS: &str = "/metrics";

/// Paths answered without a key and outside the rate limits; every other path needs one.
pub(crate) fn is_open(path: &str) -> bool {
    matches!(path, HEALTHZ | READYZ | METRICS)
}

/// At most this many ids in one export, delete or alias request.
pub(crate) const MAX_IDS_PER_REQUEST: usize = 50;

pub fn router() -> Router<AppState> {
    let router = Router::new()
        .route("/users/track", post(track::track))
        .route("/users/export/ids", post(export::export_ids))
        .route("/users/export/segment", post(export_segment::start))
        .route(
            "/users/export/segment/files/{segment_id}/{day}/{file}",
            get(export_segment::download),
        )
        .route("/users/delete", post(delete::delete_users))
        .route("/users/alias/new", post(alias::new_aliases))
        .route("/users/alias/update", post(alias_update::update_aliases))
        .route("/users/identify", post(identify::identify_users))
        .route("/users/merge", post(merge::merge_users))
        .route("/users/external_ids/rename", post(external_ids::rename))
        .route("/users/external_ids/remove", post(external_ids::remove))
        .route("/content_blocks/list", get(content_blocks::list))
        .route("/content_blocks/info", get(content_blocks::info_of))
        .route("/content_blocks/create", post(content_blocks::create))
        .route("/content_blocks/update", post(content_blocks::update))
        .route("/segments/list", get(segments::list))
        .route("/segments/details", get(segments::details))
        .route("/segments/data_series", get(segments::data_series))
        .route("/activity", get(activity::list))
        .route("/activity/{id}/replay", post(activity::replay_entry))
        .route(METRICS, get(activity::metrics))
        .route(HEALTHZ, get(health::healthz))
        .route(READYZ, get(health::readyz))
        .route(
            "/campaigns/trigger/send",
            post(trigger_send::campaigns_trigger_send),
        )
        .route(
            "/canvas/trigger/send",
            post(trigger_send::canvas_trigger_send),
        )
        .route("/campaigns/list", get(catalog::campaigns_list))
        .route("/campaigns/details", get(catalog::campaign_details))
        .route("/campaigns/data_series", get(catalog::campaign_data_series))
        .route("/canvas/list", get(catalog::canvas_list))
        .route("/canvas/details", get(catalog::canvas_details))
        .route("/canvas/data_series", get(catalog::canvas_data_series))
        .route("/canvas/data_summary", get(catalog::canvas_data_summary))
        .route(
            "/campaigns/trigger/schedule/create",
            post(schedule::campaigns_create),
        )
        .route(
            "/campaigns/trigger/schedule/update",
            post(schedule::campaigns_update),
        )
        .route(
            "/campaigns/trigger/schedule/delete",
            post(schedule::campaigns_delete),
        )
        .route(
            "/canvas/trigger/schedule/create",
            post(schedule::canvas_create),
        )
        .route(
            "/canvas/trigger/schedule/update",
            post(schedule::canvas_update),
        )
        .route(
            "/canvas/trigger/schedule/delete",
            post(schedule::canvas_delete),
        )
        .route("/messages/send", post(messages::messages_send))
        .route("/sends/id/create", post(sends::create))
        .route("/sends/data_series", get(catalog::send_data_series))
        .route("/messages/schedule/create", post(message_schedule::create))
        .route("/messages/schedule/update", post(message_schedule::update))
        .route("/messages/schedule/delete", post(message_schedule::delete))
        .route(
            "/messages/scheduled_broadcasts",
            get(schedule::scheduled_broadcasts),
        );
    unsupported::routes(router)
}

/// 401 unless the request presented a known key, 403 unless that key has `permission`.
pub(crate) fn authorize(
    state: &AppState,
    caller: Caller,
    permission: Permission,
) -> Result<(), ApiError> {
    let key = state.keys.permit(caller, permission)?;
    tracing::debug!(key, permission = permission.as_str(), "authorized");
    Ok(())
}

/// An optional array field.
pub(crate) fn optional_array(
    object: &mut Map<String, Value>,
    key: &'static str,
) -> Result<Option<Vec<Value>>, ApiError> {
    match object.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items)),
        Some(_) => Err(ApiError::bad_request(
            ErrorItem::new(format!("{key} must be an array")).field(key),
        )),
    }
}

/// An optional array of strings.
pub(crate) fn optional_strings(
    object: &mut Map<String, Value>,
    key: &'static str,
) -> Result<Option<Vec<String>>, ApiError> {
    let Some(items) = optional_array(object, key)? else {
        return Ok(None);
    };
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| match item {
            Value::String(text) if !text.is_empty() => Ok(text),
            _ => Err(ApiError::bad_request(
                ErrorItem::new(format!("{key}[{index}] must be a non-empty string"))
                    .field(format!("{key}[{index}]")),
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// An optional string field.
pub(crate) fn optional_string(
    object: &Map<String, Value>,
    key: &'static str,
) -> Result<Option<String>, ApiError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if !text.is_empty() => Ok(Some(text.clone())),
        Some(_) => Err(ApiError::bad_request(
            ErrorItem::new(format!("{key} must be a non-empty string")).field(key),
        )),
    }
}

/// A `{"alias_name", "alias_label"}` object at `field`.
pub(crate) fn alias_at(value: &Value, field: &str) -> Result<UserAlias, ErrorItem> {
    leadwire_core::track::alias(value).map_err(|error| {
        let field = error.field.replacen("user_alias", field, 1);
        ErrorItem::new(format!("{field}: {}", error.message)).field(field)
    })
}

/// An identifier string (external id, alias part, email, phone) at `field`, checked as
/// `/users/track` checks identifiers.
pub(crate) fn identifier_at(value: Option<&Value>, field: &str) -> Result<String, ErrorItem> {
    leadwire_core::track::identifier_string(field, value.unwrap_or(&Value::Null))
        .map_err(|error| ErrorItem::new(format!("{}: {}", error.field, error.message)).field(field))
}

pub(crate) fn too_many(message: &'static str, key: &str, count: usize) -> ApiError {
    ApiError::TooManyIds {
        message,
        errors: vec![
            ErrorItem::new(format!(
                "{count} ids were sent; at most {MAX_IDS_PER_REQUEST} are allowed per request"
            ))
            .field(key),
        ],
    }
}
