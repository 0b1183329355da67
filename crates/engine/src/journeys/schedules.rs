//! Scheduled API sends: `POST /campaigns/trigger/schedule/{create,update,delete}`,
//! `POST /canvas/trigger/schedule/{create,update,delete}` and
//! `POST /messages/schedule/{create,update,delete}`.
//!
//! A schedule is a row ([`ApiSchedule`]) holding the request as sent, written in the
//! transaction that enqueues its first job on the schedules queue, due at its time. When
//! the job runs it parses the stored request again and carries it out through the send
//! endpoint's own path ([`api::dispatch_in`], [`messages::send_in`]) in the job's
//! transaction, which also removes the row and completes the job: a restart repeats the
//! job at most, never its sends.
//!
//! An update replaces the whole `schedule` and bumps the row's version; a delete removes
//! the row. Either way the jobs already enqueued find no row of their version and do
//! nothing.
//!
//! A message's update may also replace its whole `messages` object.
//!
//! A local-time schedule (`in_local_time`, `at_optimal_time`) first runs when its wall
//! clock is reached in the zone furthest ahead; that job sends to the recipients already
//! due and enqueues one part per later instant, each with its recipients. A broadcast (or
//! a segment or audience send) starts its pages then, and each page reaches each profile
//! at its own instant (see `journeys::broadcast`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use leadwire_core::profile::Profile;
use leadwire_core::queue::ScheduleTask;
use leadwire_core::schedule::Schedule;
use leadwire_core::track::UserIdentifier;
use leadwire_store::{
    ApiSchedule, ClaimedJob, NewTask, ScheduleKind, StoreError, StoreTransaction,
};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::api::{self, ApiKind, ApiTrigger, ApiTriggerError, new_dispatch};
use super::context::Journeys;
use super::error::JourneyError;
use super::messages::{self, MessageError, MessageSend, Sent};

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

/// Why a schedule endpoint refuses a request, before it is mapped to its endpoint's error.
enum Refusal {
    BadRequest(String),
    Store(StoreError),
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

impl From<Refusal> for ApiTriggerError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::BadRequest(message) => Self::BadRequest(message),
            Refusal::Store(error) => Self::Store(error),
        }
    }
}

impl From<Refusal> for MessageError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::BadRequest(message) => Self::BadRequest(message),
            Refusal::Store(error) => Self::Store(error),
        }
    }
}

/// A new schedule row for `request_body` (the body without its `schedule`).
fn new_row(
    kind: ScheduleKind,
    target: Option<String>,
    send_id: Option<String>,
    request_body: Map<String, Value>,
    schedule: Schedule,
    now: DateTime<Utc>,
) -> ApiSchedule {
    ApiSchedule {
        id: Uuid::now_v7().simple().to_string(),
        kind,
        target,
        dispatch_id: new_dispatch().dispatch_id,
        send_id,
        body: request_body,
        schedule,
        version: 1,
        parts_left: 1,
        created_at: now,
    }
}

/// Stores `row` and enqueues its first job in one transaction.
async fn create_row(journeys: &Journeys, row: &ApiSchedule) -> Result<Created, StoreError> {
    let mut tx = journeys.store.begin().await?;
    save_and_enqueue(tx.as_mut(), row).await?;
    tx.commit().await?;
    tracing::info!(schedule_id = %row.id, kind = row.kind.as_str(), target = ?row.target, first = %row.schedule.first(), "API send scheduled");
    Ok(Created {
        dispatch_id: row.dispatch_id.clone(),
        schedule_id: row.id.clone(),
    })
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
    let row = new_row(
        store_kind(kind),
        Some(request.id.clone()),
        request.send_id.clone(),
        request_body,
        schedule,
        now,
    );
    Ok(create_row(journeys, &row).await?)
}

/// `POST /messages/schedule/create`: checks the request as `/messages/send` would, then
/// stores it and enqueues its first job in one transaction.
pub async fn create_message(
    journeys: &Journeys,
    body: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<Created, MessageError> {
    let schedule = Schedule::parse(body.get("schedule"), now).map_err(MessageError::BadRequest)?;
    let mut request_body = body.clone();
    request_body.remove("schedule");
    let request = MessageSend::parse(&request_body, &journeys.config, now)?;
    let target = match body.get("campaign_id") {
        Some(Value::String(id)) => Some(id.clone()),
        _ => None,
    };
    let row = new_row(
        ScheduleKind::Messages,
        target,
        request.send_id,
        request_body,
        schedule,
        now,
    );
    Ok(create_row(journeys, &row).await?)
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

/// The body's `schedule_id` and the stored schedule of `kind` it names, which `belongs`
/// must accept (a trigger schedule must be of the body's campaign or canvas).
async fn named_schedule(
    tx: &mut dyn StoreTransaction,
    kind: ScheduleKind,
    body: &Map<String, Value>,
    belongs: impl Fn(&ApiSchedule) -> Result<(), String>,
) -> Result<ApiSchedule, Refusal> {
    let Some(Value::String(id)) = body.get("schedule_id") else {
        return Err(Refusal::BadRequest(
            "schedule_id is required: the id the create call answered".into(),
        ));
    };
    let row = tx.schedule(id).await?.filter(|row| row.kind == kind);
    let refused = |whose: String| {
        Refusal::BadRequest(format!(
            "schedule_id `{id}` names no pending schedule{whose}; it may have been sent or deleted already"
        ))
    };
    match row {
        None => Err(refused(String::new())),
        Some(row) => match belongs(&row) {
            Ok(()) => Ok(row),
            Err(whose) => Err(refused(whose)),
        },
    }
}

/// The schedule a trigger schedule's update or delete names, for the body's campaign or
/// canvas.
async fn named_trigger_schedule(
    tx: &mut dyn StoreTransaction,
    kind: ApiKind,
    body: &Map<String, Value>,
) -> Result<ApiSchedule, ApiTriggerError> {
    let (id_key, _) = keys(kind);
    let target = match body.get(id_key) {
        Some(Value::String(target)) if !target.is_empty() => target.clone(),
        _ => {
            return Err(bad(format!(
                "{id_key} is required and must be a non-empty string"
            )));
        }
    };
    let belongs = |row: &ApiSchedule| {
        if row.target.as_ref() == Some(&target) {
            Ok(())
        } else {
            Err(format!(" of {id_key} `{target}`"))
        }
    };
    Ok(named_schedule(tx, store_kind(kind), body, belongs).await?)
}

/// Refuses to change a local-time schedule that has started sending somewhere.
fn still_changeable(row: &ApiSchedule, now: DateTime<Utc>) -> Result<(), Refusal> {
    if row.schedule.is_local() && row.schedule.first() <= now {
        return Err(Refusal::BadRequest(
            "schedule_id: this local-time schedule has started sending in some time zones, so it can no longer be updated".into(),
        ));
    }
    Ok(())
}

/// Stores `row` as a new version and enqueues its first job, in `tx`.
async fn replace(tx: &mut dyn StoreTransaction, row: &mut ApiSchedule) -> Result<(), StoreError> {
    row.version += 1;
    row.parts_left = 1;
    save_and_enqueue(tx, row).await
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
    let mut row = named_trigger_schedule(tx.as_mut(), kind, body).await?;
    still_changeable(&row, now)?;
    row.schedule = schedule;
    replace(tx.as_mut(), &mut row).await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /messages/schedule/update`: a new `schedule` and a new `messages` object, each
/// replacing the old one whole; at least one is required.
pub async fn update_message(
    journeys: &Journeys,
    body: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<(), MessageError> {
    let given = |key: &str| body.get(key).filter(|value| !value.is_null());
    let (schedule, messages) = (given("schedule"), given("messages"));
    if schedule.is_none() && messages.is_none() {
        return Err(MessageError::BadRequest(
            "give schedule, messages or both: what replaces the schedule's own".into(),
        ));
    }
    let schedule = schedule
        .map(|schedule| Schedule::parse(Some(schedule), now))
        .transpose()
        .map_err(MessageError::BadRequest)?;
    let mut tx = journeys.store.begin().await?;
    let mut row = named_schedule(tx.as_mut(), ScheduleKind::Messages, body, |_| Ok(())).await?;
    still_changeable(&row, now)?;
    if let Some(messages) = messages {
        row.body.insert("messages".into(), messages.clone());
        MessageSend::parse(&row.body, &journeys.config, now)?;
    }
    if let Some(schedule) = schedule {
        row.schedule = schedule;
    }
    replace(tx.as_mut(), &mut row).await?;
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
    let row = named_trigger_schedule(tx.as_mut(), kind, body).await?;
    tx.delete_schedule(&row.id).await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /messages/schedule/delete`.
pub async fn delete_message(
    journeys: &Journeys,
    body: &Map<String, Value>,
) -> Result<(), MessageError> {
    let mut tx = journeys.store.begin().await?;
    let row = named_schedule(tx.as_mut(), ScheduleKind::Messages, body, |_| Ok(())).await?;
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
        match row.kind {
            ScheduleKind::Campaign => {
                run_trigger(journeys, tx.as_mut(), row, ApiKind::Campaign, task, now).await?
            }
            ScheduleKind::Canvas => {
                run_trigger(journeys, tx.as_mut(), row, ApiKind::Canvas, task, now).await?
            }
            ScheduleKind::Messages => run_message(journeys, tx.as_mut(), row, task, now).await?,
        }
    }
    tx.complete_job(job).await?;
    tx.commit().await?;
    Ok(())
}

/// What part of a schedule a job sends.
enum Part {
    /// A UTC schedule: everyone, now.
    Whole,
    /// A local-time broadcast: its pages, each reaching a profile at its own instant.
    LocalBroadcast,
    /// A local-time schedule's named recipients due now (their indices).
    Recipients(Vec<usize>),
}

/// The part of `row` that `task` sends: for a local-time schedule's first job, the
/// recipients due now, after enqueueing one part per later instant (and counting them in
/// `row.parts_left`).
async fn due_part<'a>(
    tx: &mut dyn StoreTransaction,
    row: &mut ApiSchedule,
    task: &ScheduleTask,
    broadcast: bool,
    recipients: impl Iterator<Item = (&'a UserIdentifier, Option<&'a Value>)>,
    now: DateTime<Utc>,
) -> Result<Part, StoreError> {
    if !row.schedule.is_local() {
        return Ok(Part::Whole);
    }
    if let Some(part) = &task.recipients {
        return Ok(Part::Recipients(part.clone()));
    }
    if broadcast {
        return Ok(Part::LocalBroadcast);
    }
    let (due, later) = split_by_instant(tx, recipients, &row.schedule, now).await?;
    for (at, part) in &later {
        let part = ScheduleTask {
            recipients: Some(part.clone()),
            ..task.clone()
        };
        tx.enqueue(&NewTask::new(part, *at)).await?;
    }
    row.parts_left = i64::try_from(later.len()).unwrap_or(i64::MAX) + 1;
    Ok(Part::Recipients(due))
}

/// Counts a part sent: the row goes with its last part.
async fn part_sent(tx: &mut dyn StoreTransaction, row: &mut ApiSchedule) -> Result<(), StoreError> {
    row.parts_left -= 1;
    if row.parts_left <= 0 {
        tx.delete_schedule(&row.id).await?;
    } else {
        tx.save_schedule(row).await?;
    }
    Ok(())
}

async fn run_trigger(
    journeys: &Journeys,
    tx: &mut dyn StoreTransaction,
    mut row: ApiSchedule,
    kind: ApiKind,
    task: &ScheduleTask,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
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
    let recipients = request.recipients.iter().map(|recipient| {
        let zone = recipient
            .attributes
            .as_ref()
            .and_then(|attributes| attributes.get("time_zone"));
        (&recipient.user, zone)
    });
    let part = due_part(tx, &mut row, task, request.broadcast, recipients, now).await?;
    let (due, local) = match part {
        Part::Whole => (request, None),
        Part::LocalBroadcast => (request, Some(row.schedule)),
        Part::Recipients(indices) => (
            ApiTrigger {
                recipients: pick(&request.recipients, &indices),
                ..request.clone()
            },
            None,
        ),
    };
    if !due.recipients.is_empty() || due.broadcast {
        api::dispatch_in(journeys, tx, target, &due, &mut dispatch, local, now).await?;
    }
    part_sent(tx, &mut row).await?;
    tracing::info!(schedule_id = %row.id, dispatch_id = %dispatch.dispatch_id, accepted = dispatch.accepted, skipped = dispatch.skipped, parts_left = row.parts_left, "scheduled API trigger sent");
    Ok(())
}

async fn run_message(
    journeys: &Journeys,
    tx: &mut dyn StoreTransaction,
    mut row: ApiSchedule,
    task: &ScheduleTask,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let request = match MessageSend::parse(&row.body, &journeys.config, now) {
        Ok(request) => request,
        Err(error) => {
            tracing::warn!(schedule_id = %row.id, %error, "a scheduled message no longer fits the config; dropped");
            tx.delete_schedule(&row.id).await?;
            return Ok(());
        }
    };
    let mut sent = Sent {
        dispatch_id: row.dispatch_id.clone(),
        accepted: 0,
        skipped: 0,
        send_id: None,
    };
    let users = request.users.iter().map(|user| (user, None));
    let part = due_part(tx, &mut row, task, request.broadcast, users, now).await?;
    let (due, local) = match part {
        Part::Whole => (request, None),
        Part::LocalBroadcast => (request, Some(row.schedule)),
        Part::Recipients(indices) => (
            MessageSend {
                users: pick(&request.users, &indices),
                ..request.clone()
            },
            None,
        ),
    };
    if !due.users.is_empty() || due.broadcast {
        let store = &*journeys.store;
        let result =
            messages::send_in(store, &journeys.config, tx, &due, &mut sent, local, now).await;
        match result {
            Ok(()) => {}
            Err(messages::SendError::Store(error)) => return Err(error),
            Err(messages::SendError::Audience(error)) => {
                tracing::warn!(schedule_id = %row.id, %error, "a scheduled message's audience no longer fits the config; dropped");
            }
        }
    }
    part_sent(tx, &mut row).await?;
    tracing::info!(schedule_id = %row.id, dispatch_id = %sent.dispatch_id, accepted = sent.accepted, skipped = sent.skipped, parts_left = row.parts_left, "scheduled message sent");
    Ok(())
}

/// The items of `items` at `indices`.
fn pick<T: Clone>(items: &[T], indices: &[usize]) -> Vec<T> {
    indices
        .iter()
        .filter_map(|index| items.get(*index).cloned())
        .collect()
}

/// The indices of the recipients due by `now`, and those due later grouped by instant.
/// Each recipient is a user and the `time_zone` its request gives it, if any (a recipient's
/// own `attributes` apply to the send, so their zone does too).
async fn split_by_instant<'a>(
    tx: &mut dyn StoreTransaction,
    recipients: impl Iterator<Item = (&'a UserIdentifier, Option<&'a Value>)>,
    schedule: &Schedule,
    now: DateTime<Utc>,
) -> Result<(Vec<usize>, BTreeMap<DateTime<Utc>, Vec<usize>>), StoreError> {
    let mut due = Vec::new();
    let mut later: BTreeMap<DateTime<Utc>, Vec<usize>> = BTreeMap::new();
    for (index, (user, zone)) in recipients.enumerate() {
        let mut profile = tx
            .find_profile(user)
            .await?
            .unwrap_or_else(|| Profile::new(Uuid::nil(), now));
        if let Some(zone) = zone {
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
