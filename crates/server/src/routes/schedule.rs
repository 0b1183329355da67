//! The schedule endpoints of API-triggered campaigns and canvases
//! (`POST /campaigns/trigger/schedule/{create,update,delete}`,
//! `POST /canvas/trigger/schedule/{create,update,delete}`) and
//! `GET /messages/scheduled_broadcasts`. The engine's `journeys::schedules` stores the
//! schedule and its job; a due schedule runs through the trigger endpoints' own path.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::{SecondsFormat, Utc};
use leadwire_core::permission::Permission;
use leadwire_core::time::parse_date;
use leadwire_engine::journeys::api::ApiKind;
use leadwire_engine::journeys::schedules;
use leadwire_store::{ApiSchedule, ScheduleKind};
use serde_json::{Map, Value, json};

use super::trigger_send::{api_error, no_journeys};
use super::{authorize, json_object};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::state::AppState;

/// The id key and the fatal message for an unknown id of each kind.
fn names(kind: ApiKind) -> (&'static str, &'static str) {
    match kind {
        ApiKind::Campaign => ("campaign_id", "Invalid Campaign ID"),
        ApiKind::Canvas => ("canvas_id", "Invalid Canvas ID"),
    }
}

/// The create, update or delete call to carry out.
#[derive(Clone, Copy)]
enum Action {
    Create,
    Update,
    Delete,
}

async fn call(
    state: AppState,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
    kind: ApiKind,
    action: Action,
    permission: Permission,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    authorize(&state, caller, permission)?;
    let object: Map<String, Value> = json_object(&state, body).await?;
    let (id_key, invalid_id) = names(kind);
    let Some(journeys) = &state.journeys else {
        return Err(no_journeys(id_key, invalid_id));
    };
    let error = |error| api_error(error, invalid_id);
    let now = Utc::now();
    match action {
        Action::Create => {
            let created = schedules::create(journeys, kind, &object, now)
                .await
                .map_err(error)?;
            Ok((
                StatusCode::CREATED,
                Json(json!({
                    "dispatch_id": created.dispatch_id,
                    "schedule_id": created.schedule_id,
                    "message": "success",
                })),
            ))
        }
        Action::Update => {
            schedules::update(journeys, kind, &object, now)
                .await
                .map_err(error)?;
            Ok((StatusCode::OK, Json(json!({"message": "success"}))))
        }
        Action::Delete => {
            schedules::delete(journeys, kind, &object)
                .await
                .map_err(error)?;
            Ok((StatusCode::OK, Json(json!({"message": "success"}))))
        }
    }
}

macro_rules! endpoint {
    ($name:ident, $kind:expr, $action:expr, $permission:expr) => {
        pub async fn $name(
            State(state): State<AppState>,
            caller: Caller,
            body: Result<Bytes, BytesRejection>,
        ) -> Result<(StatusCode, Json<Value>), ApiError> {
            call(state, caller, body, $kind, $action, $permission).await
        }
    };
}

endpoint!(
    campaigns_create,
    ApiKind::Campaign,
    Action::Create,
    Permission::CampaignsTriggerScheduleCreate
);
endpoint!(
    campaigns_update,
    ApiKind::Campaign,
    Action::Update,
    Permission::CampaignsTriggerScheduleUpdate
);
endpoint!(
    campaigns_delete,
    ApiKind::Campaign,
    Action::Delete,
    Permission::CampaignsTriggerScheduleDelete
);
endpoint!(
    canvas_create,
    ApiKind::Canvas,
    Action::Create,
    Permission::CanvasTriggerScheduleCreate
);
endpoint!(
    canvas_update,
    ApiKind::Canvas,
    Action::Update,
    Permission::CanvasTriggerScheduleUpdate
);
endpoint!(
    canvas_delete,
    ApiKind::Canvas,
    Action::Delete,
    Permission::CanvasTriggerScheduleDelete
);

/// At most this many schedules in one `/messages/scheduled_broadcasts` answer.
const MAX_LISTED: u32 = 1000;

/// `GET /messages/scheduled_broadcasts?end_time=…`: the API-created schedules that first
/// send between now and `end_time` (leadwire has no dashboard-scheduled campaigns).
pub async fn scheduled_broadcasts(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, caller, Permission::MessagesScheduleBroadcasts)?;
    let invalid =
        |message: String| ApiError::bad_request(ErrorItem::new(message).field("end_time"));
    let end = match params.get("end_time") {
        None => {
            return Err(invalid(
                "end_time is required: an ISO 8601 time such as 2030-01-31T00:00:00Z".into(),
            ));
        }
        Some(text) => parse_date(text).ok_or_else(|| {
            invalid(format!(
                "end_time `{text}` is not an ISO 8601 time such as 2030-01-31T00:00:00Z"
            ))
        })?,
    };
    let due = state.store.schedules_due_by(end, MAX_LISTED).await?;
    let listed: Vec<Value> = due.iter().map(|row| listed(&state, row)).collect();
    Ok(Json(
        json!({"scheduled_broadcasts": listed, "message": "success"}),
    ))
}

fn listed(state: &AppState, row: &ApiSchedule) -> Value {
    let id = row.target.clone().unwrap_or_default();
    let config = state.journeys.as_ref().map(|journeys| journeys.config());
    let (kind, name) = match row.kind {
        ScheduleKind::Canvas => (
            "Canvas",
            config
                .and_then(|config| config.canvas_by_api_id(&id))
                .map(|canvas| canvas.name.clone()),
        ),
        ScheduleKind::Campaign | ScheduleKind::Messages => (
            "Campaign",
            config
                .and_then(|config| config.campaign_by_api_id(&id))
                .map(|campaign| campaign.name.clone()),
        ),
    };
    let next_send_time = if row.schedule.is_local() {
        row.schedule.time.format("%Y-%m-%dT%H:%M:%S").to_string()
    } else {
        row.schedule
            .time
            .and_utc()
            .to_rfc3339_opts(SecondsFormat::Secs, true)
    };
    json!({
        "name": name.unwrap_or_else(|| id.clone()),
        "id": id,
        "type": kind,
        "tags": [],
        "next_send_time": next_send_time,
        "schedule_type": row.schedule.schedule_type(),
        "schedule_id": row.id,
    })
}
