//! Scheduled API triggers: `POST /campaigns/trigger/schedule/{create,update,delete}` and
//! `POST /canvas/trigger/schedule/{create,update,delete}`.
//!
//! A schedule is a row ([`ApiSchedule`]) holding the request as sent, written in the
//! transaction that enqueues its first job on the schedules queue, due at its time. When
//! the job runs it parses the stored request again and carries it out through the API
//! trigger's own path ([`api::dispatch_in`]) in the job's transaction, which also removes
//! the row and completes the job: a restart repeats the job at most, never its sends.
//!
//! An update replaces the whole `schedule` and bumps the row's version; a delete removes
//! the row. Either way the jobs already enqueued find no row of their version and do
//! nothing.
//!
//! A local-time schedule (`in_local_time`, `at_optimal_time`) first runs when its wall
//! clock is reached in the zone furthest ahead; that job sends to the recipients already
//! due and enqueues one part per later instant, each with its recipients. A broadcast has
//! one instant only, so it cannot be scheduled in local time.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use leadwire_core::profile::Profile;
use leadwire_core::queue::ScheduleTask;
use leadwire_core::schedule::Schedule;
use leadwire_store::{
    ApiSchedule, ClaimedJob, NewTask, ScheduleKind, StoreError, StoreTransaction,
};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::api::{self, ApiKind, ApiTrigger, ApiTriggerError, new_dispatch};
use super::context::Journeys;
use super::error::JourneyError;

/// What a create call answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub dispatch_id: String,
    pub schedule_id: String,
}

/// The body keys of a kind of schedule: its id and its request-wide properties.
fn keys(kind: ApiKind) -> (&'static str, &'static str) {
    match kind {
        ApiKind::Campaign => ("campaign_id", "trigger_properties"),
        ApiKind::Canvas => ("canvas_id", "canvas_entry_properties"),
    }
}

fn store_kind(kind: ApiKind) -> ScheduleKind {
    match kind {
        ApiKind::Campaign => ScheduleKind::Campaign,
        ApiKind::Canvas => ScheduleKind::Canvas,
    }
}

/// The trigger a stored or new body describes. Canvas schedules take
/// `canvas_entry_properties` (Braze's name on these endpoints) or `context`.
fn parse_request(kind: ApiKind, body: &Map<String, Value>) -> Result<ApiTrigger, ApiTriggerError> {
    let (id_key, properties_key) = keys(kind);
    let properties_key = match kind {
        ApiKind::Canvas if !body.contains_key(properties_key) && body.contains_key("context") => {
            "context"
        }
        _ => properties_key,
    };
    ApiTrigger::parse(body, id_key, properties_key)
}

fn bad(message: impl Into<String>) -> ApiTriggerError {
    ApiTriggerError::BadRequest(message.into())
}

/// `…/schedule/create`: checks the request as the trigger endpoint would, then stores it
/// and enqueues its first job in one transaction.
pub async fn create(
    journeys: &Journeys,
    kind: ApiKind,
    body: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<Created, ApiTriggerError> {
    let schedule = Schedule::parse(body.get("schedule"), now).map_err(bad)?;
    let mut request_body = body.clone();
    request_body.remove("schedule");
    let request = parse_request(kind, &request_body)?;
    api::target(journeys, kind, &request.id)?;
    if request.broadcast && schedule.is_local() {
        return Err(bad(
            "schedule: a broadcast is sent at one instant; in_local_time and at_optimal_time need recipients",
        ));
    }
    let row = ApiSchedule {
        id: Uuid::now_v7().simple().to_string(),
        kind: store_kind(kind),
        target: Some(request.id.clone()),
        dispatch_id: new_dispatch().dispatch_id,
        send_id: request.send_id.clone(),
        body: request_body,
        schedule,
        version: 1,
        parts_left: 1,
        created_at: now,
    };
    let mut tx = journeys.store.begin().await?;
    save_and_enqueue(tx.as_mut(), &row).await?;
    tx.commit().await?;
    tracing::info!(schedule_id = %row.id, id = %request.id, first = %schedule.first(), "API trigger scheduled");
    Ok(Created {
        dispatch_id: row.dispatch_id,
        schedule_id: row.id,
    })
}

async fn save_and_enqueue(
    tx: &mut dyn StoreTransaction,
    row: &ApiSchedule,
) -> Result<(), StoreError> {
    tx.save_schedule(row).await?;
    let task = ScheduleTask {
        schedule_id: row.id.clone(),
        version: row.version,
        recipients: None,
    };
    tx.enqueue(&NewTask::new(task, row.schedule.first()))
        .await?;
    Ok(())
}

/// The `schedule_id` of an update or delete body, and the stored schedule it names, which
/// must be of `kind` and for the body's campaign or canvas.
async fn named_schedule(
    tx: &mut dyn StoreTransaction,
    kind: ApiKind,
    body: &Map<String, Value>,
) -> Result<ApiSchedule, ApiTriggerError> {
    let (id_key, _) = keys(kind);
    let Some(Value::String(id)) = body.get("schedule_id") else {
        return Err(bad(
            "schedule_id is required: the id the create call answered",
        ));
    };
    let target = match body.get(id_key) {
        Some(Value::String(target)) if !target.is_empty() => target,
        _ => {
            return Err(bad(format!(
                "{id_key} is required and must be a non-empty string"
            )));
        }
    };
    tx.schedule(id)
        .await?
        .filter(|row| row.kind == store_kind(kind) && row.target.as_ref() == Some(target))
        .ok_or_else(|| {
            bad(format!(
                "schedule_id `{id}` names no pending schedule of {id_key} `{target}`; it may have been sent or deleted already"
            ))
        })
}

/// `…/schedule/update`: the new `schedule` replaces the old one whole.
pub async fn update(
    journeys: &Journeys,
    kind: ApiKind,
    body: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<(), ApiTriggerError> {
    let schedule = Schedule::parse(body.get("schedule"), now).map_err(bad)?;
    let mut tx = journeys.store.begin().await?;
    let mut row = named_schedule(tx.as_mut(), kind, body).await?;
    if row.schedule.is_local() && row.schedule.first() <= now {
        return Err(bad(
            "schedule_id: this local-time schedule has started sending in some time zones, so it can no longer be updated",
        ));
    }
    if row.body.get("broadcast") == Some(&Value::Bool(true)) && schedule.is_local() {
        return Err(bad(
            "schedule: a broadcast is sent at one instant; in_local_time and at_optimal_time need recipients",
        ));
    }
    row.schedule = schedule;
    row.version += 1;
    row.parts_left = 1;
    save_and_enqueue(tx.as_mut(), &row).await?;
    tx.commit().await?;
    Ok(())
}

/// `…/schedule/delete`: the schedule's jobs will find nothing to do.
pub async fn delete(
    journeys: &Journeys,
    kind: ApiKind,
    body: &Map<String, Value>,
) -> Result<(), ApiTriggerError> {
    let mut tx = journeys.store.begin().await?;
    let row = named_schedule(tx.as_mut(), kind, body).await?;
    tx.delete_schedule(&row.id).await?;
    tx.commit().await?;
    Ok(())
}

/// Runs a schedule job in a transaction of its own (see the module documentation).
pub(crate) async fn handle(
    journeys: &Journeys,
    job: &ClaimedJob,
    task: &ScheduleTask,
    now: DateTime<Utc>,
) -> Result<(), JourneyError> {
    let mut tx = journeys.store.begin().await?;
    let row = tx
        .schedule(&task.schedule_id)
        .await?
        .filter(|row| row.version == task.version);
    if let Some(row) = row {
        run(journeys, tx.as_mut(), row, task, now).await?;
    }
    tx.complete_job(job).await?;
    tx.commit().await?;
    Ok(())
}

async fn run(
    journeys: &Journeys,
    tx: &mut dyn StoreTransaction,
    mut row: ApiSchedule,
    task: &ScheduleTask,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let kind = match row.kind {
        ScheduleKind::Campaign => ApiKind::Campaign,
        ScheduleKind::Canvas => ApiKind::Canvas,
        ScheduleKind::Messages => {
            tracing::warn!(schedule_id = %row.id, "a scheduled message this version cannot send; dropped");
            tx.delete_schedule(&row.id).await?;
            return Ok(());
        }
    };
    let request = parse_request(kind, &row.body);
    let target = request
        .as_ref()
        .ok()
        .and_then(|request| api::target(journeys, kind, &request.id).ok());
    let (Ok(request), Some(target)) = (request, target) else {
        tracing::warn!(schedule_id = %row.id, target = ?row.target, "a schedule names a campaign or canvas no longer in the config; dropped");
        tx.delete_schedule(&row.id).await?;
        return Ok(());
    };
    let mut dispatch = api::Dispatch {
        dispatch_id: row.dispatch_id.clone(),
        accepted: 0,
        skipped: 0,
        send_id: None,
    };
    let due = match (&task.recipients, row.schedule.is_local()) {
        (_, false) => request,
        (Some(part), true) => part_of(&request, part),
        (None, true) => {
            let (due, later) = split_by_instant(tx, &request, &row.schedule, now).await?;
            for (at, part) in &later {
                let part = ScheduleTask {
                    recipients: Some(part.clone()),
                    ..task.clone()
                };
                tx.enqueue(&NewTask::new(part, *at)).await?;
            }
            row.parts_left = i64::try_from(later.len()).unwrap_or(i64::MAX) + 1;
            part_of(&request, &due)
        }
    };
    if !due.recipients.is_empty() || due.broadcast {
        api::dispatch_in(journeys, tx, target, &due, &mut dispatch, now).await?;
    }
    row.parts_left -= 1;
    if row.parts_left <= 0 {
        tx.delete_schedule(&row.id).await?;
    } else {
        tx.save_schedule(&row).await?;
    }
    tracing::info!(schedule_id = %row.id, dispatch_id = %dispatch.dispatch_id, accepted = dispatch.accepted, skipped = dispatch.skipped, parts_left = row.parts_left, "scheduled API trigger sent");
    Ok(())
}

/// `request` narrowed to the recipients at `indices`.
fn part_of(request: &ApiTrigger, indices: &[usize]) -> ApiTrigger {
    ApiTrigger {
        recipients: indices
            .iter()
            .filter_map(|index| request.recipients.get(*index).cloned())
            .collect(),
        ..request.clone()
    }
}

/// The indices of the recipients due by `now`, and those due later grouped by instant.
async fn split_by_instant(
    tx: &mut dyn StoreTransaction,
    request: &ApiTrigger,
    schedule: &Schedule,
    now: DateTime<Utc>,
) -> Result<(Vec<usize>, BTreeMap<DateTime<Utc>, Vec<usize>>), StoreError> {
    let mut due = Vec::new();
    let mut later: BTreeMap<DateTime<Utc>, Vec<usize>> = BTreeMap::new();
    for (index, recipient) in request.recipients.iter().enumerate() {
        let mut profile = tx
            .find_profile(&recipient.user)
            .await?
            .unwrap_or_else(|| Profile::new(Uuid::nil(), now));
        // A `time_zone` the recipient's own attributes set applies to this send.
        if let Some(zone) = recipient
            .attributes
            .as_ref()
            .and_then(|attributes| attributes.get("time_zone"))
        {
            profile.standard.insert("time_zone".into(), zone.clone());
        }
        let at = schedule.instant_for(&profile);
        if at <= now {
            due.push(index);
        } else {
            later.entry(at).or_default().push(index);
        }
    }
    Ok((due, later))
}
