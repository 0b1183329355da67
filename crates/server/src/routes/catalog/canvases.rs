//! `GET /canvas/list`, `/canvas/details`, `/canvas/data_series` and `/canvas/data_summary`.
//! A canvas is named by its api id and has one variant ([`Canvas::variant_id`], "Variant
//! 1"); a step is named by its name (unique in its canvas, and what the console and the
//! counters key it by), a Message step's webhook by [`MessageStep::message_variation_id`].
//! Entries come from the entries-per-day counters, a step's sends from the activity
//! entries naming the canvas and step (by name, as the console counts them).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chrono::{DateTime, NaiveDate, Utc};
use leadwire_core::activity::Outcomes;
use leadwire_core::canvas::{Canvas, MessageStep, Step};
use leadwire_core::config::Config;
use leadwire_core::permission::Permission;
use leadwire_engine::delivery::redact::Redactor;
use leadwire_store::{ActivityCountQuery, ConfigKind, Store, StoreResult};
use serde_json::{Map, Value, json};

use super::campaigns::schedule_type;
use super::listing::page;
use super::params::{ListQuery, Params, flag, read, required};
use super::series::{DayRange, canvas_range, entries_by_day, outcomes_by_day, webhook_stats};
use super::{config, iso, version, webhook};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorItem};
use crate::routes::authorize;
use crate::state::AppState;

type QueryParams = Result<Query<Params>, QueryRejection>;

/// The name of a canvas's one variant.
const VARIANT_NAME: &str = "Variant 1";

pub(crate) async fn canvas_list(
    State(state): State<AppState>,
    caller: Caller,
    params: QueryParams,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, caller, Permission::CanvasList)?;
    let query = ListQuery::parse(&read(params)?)?;
    let canvases = config(&state).map_or(&[][..], |config| &config.canvases);
    let versions = state.store.config_versions(ConfigKind::Canvas).await?;
    let configured: Vec<(&str, &str)> = canvases
        .iter()
        .map(|canvas| (canvas.api_id(), canvas.name.as_str()))
        .collect();
    let listed: Vec<Value> = page(&configured, &versions, &query)
        .into_iter()
        .map(|item| {
            json!({
                "id": item.api_id,
                "last_edited": iso(item.last_edited),
                "name": item.name,
                "tags": [],
            })
        })
        .collect();
    Ok(Json(json!({"canvases": listed, "message": "success"})))
}

pub(crate) async fn canvas_details(
    State(state): State<AppState>,
    caller: Caller,
    params: QueryParams,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, caller, Permission::CanvasDetails)?;
    let params = read(params)?;
    let (config, canvas) = find(&state, &params)?;
    let store = state.store.as_ref();
    let (created_at, updated_at) = version(store, ConfigKind::Canvas, canvas.api_id()).await?;
    let (first_entry, last_entry) = entry_span(store, canvas).await?;
    let first_steps: Vec<&str> = canvas.first_step_name().into_iter().collect();
    let has_messages = canvas
        .steps
        .iter()
        .any(|step| matches!(step, Step::Message(_)));
    let steps: Vec<Value> = canvas
        .steps
        .iter()
        .map(|step| step_object(config, step, &state.redactor))
        .collect();
    Ok(Json(json!({
        "message": "success",
        "created_at": iso(created_at),
        "updated_at": iso(updated_at),
        "first_entry": first_entry.map(iso),
        "last_entry": last_entry.map(iso),
        "archived": false,
        "draft": false,
        "enabled": true,
        "has_post_launch_draft": false,
        "name": canvas.name,
        "description": "",
        "schedule_type": schedule_type(canvas.entry_schedule),
        "channels": if has_messages { vec!["webhook"] } else { Vec::new() },
        "tags": [],
        "teams": [],
        "variants": [{
            "name": VARIANT_NAME,
            "id": canvas.variant_id(),
            "first_step_ids": first_steps,
            "first_step_id": first_steps.first(),
        }],
        "steps": steps,
    })))
}

pub(crate) async fn canvas_data_series(
    State(state): State<AppState>,
    caller: Caller,
    params: QueryParams,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, caller, Permission::CanvasDataSeries)?;
    let params = read(params)?;
    let (_, canvas) = find(&state, &params)?;
    let figures = Figures::load(state.store.as_ref(), canvas, &params).await?;
    let stats: Vec<Value> = figures
        .range
        .days()
        .into_iter()
        .enumerate()
        .map(|(index, day)| {
            let mut stats = figures.stats(
                canvas,
                |days| days.get(index).copied().unwrap_or_default(),
                |days| days.get(index).copied().unwrap_or_default(),
            );
            stats.insert("time".into(), Value::String(day.to_string()));
            Value::Object(stats)
        })
        .collect();
    Ok(Json(
        json!({"data": {"name": canvas.name, "stats": stats}, "message": "success"}),
    ))
}

pub(crate) async fn canvas_data_summary(
    State(state): State<AppState>,
    caller: Caller,
    params: QueryParams,
) -> Result<Json<Value>, ApiError> {
    authorize(&state, caller, Permission::CanvasDataSummary)?;
    let params = read(params)?;
    let (_, canvas) = find(&state, &params)?;
    let figures = Figures::load(state.store.as_ref(), canvas, &params).await?;
    let mut data = figures.stats(
        canvas,
        |days| days.iter().sum(),
        |days| {
            let mut total = Outcomes::default();
            for day in days {
                total.merge(day);
            }
            total
        },
    );
    data.insert("name".into(), Value::String(canvas.name.clone()));
    Ok(Json(json!({"data": data, "message": "success"})))
}

/// A canvas's numbers over a range of days: entries per day and, with
/// `include_step_breakdown`, each Message step's sends per day.
struct Figures {
    range: DayRange,
    variants: bool,
    entries: Vec<u64>,
    /// Each step with its sends per day (`None` for a step that sends nothing); empty
    /// without the step breakdown.
    steps: Vec<(String, Option<Vec<Outcomes>>)>,
}

impl Figures {
    async fn load(store: &dyn Store, canvas: &Canvas, params: &Params) -> Result<Self, ApiError> {
        let range = canvas_range(params, Utc::now())?;
        let variants = flag(params, "include_variant_breakdown")?;
        let with_steps = flag(params, "include_step_breakdown")?;
        flag(params, "include_deleted_step_data")?;
        let entries = entries_by_day(store, range, canvas.api_id()).await?;
        let mut steps = Vec::new();
        for step in canvas.steps.iter().filter(|_| with_steps) {
            let sends = match step {
                Step::Message(message) => {
                    Some(outcomes_by_day(store, range, step_scope(canvas, message)).await?)
                }
                _ => None,
            };
            steps.push((step.name().to_owned(), sends));
        }
        Ok(Self {
            range,
            variants,
            entries,
            steps,
        })
    }

    /// `total_stats`, and `variant_stats` and `step_stats` when asked for, each from the
    /// days `entries` and `sends` pick out.
    fn stats(
        &self,
        canvas: &Canvas,
        entries: impl Fn(&[u64]) -> u64,
        sends: impl Fn(&[Outcomes]) -> Outcomes,
    ) -> Map<String, Value> {
        let total = entries(&self.entries);
        let mut stats = Map::new();
        stats.insert("total_stats".into(), json!({"entries": total}));
        if self.variants {
            let mut variants = Map::new();
            variants.insert(
                canvas.variant_id(),
                json!({"name": VARIANT_NAME, "entries": total}),
            );
            stats.insert("variant_stats".into(), Value::Object(variants));
        }
        if !self.steps.is_empty() {
            let mut steps = Map::new();
            for (name, days) in &self.steps {
                let messages = match days {
                    Some(days) => json!({"webhook": [webhook_stats(&sends(days))]}),
                    None => json!({}),
                };
                steps.insert(name.clone(), json!({"name": name, "messages": messages}));
            }
            stats.insert("step_stats".into(), Value::Object(steps));
        }
        stats
    }
}

/// A step as `/canvas/details` shows it: where it leads (`next_paths` named by the group
/// or answer of a split's path, `null` for a step with one way on; paths that exit the
/// canvas are left out) and the webhook of a Message step.
fn step_object(config: &Config, step: &Step, redactor: &Redactor) -> Value {
    let named = matches!(
        step,
        Step::AudiencePaths(_) | Step::DecisionSplit(_) | Step::ActionPaths(_)
    );
    let mut next_step_ids: Vec<&str> = Vec::new();
    let mut next_paths = Vec::new();
    for (label, next) in step.paths() {
        let Some(next) = next else { continue };
        if !next_step_ids.contains(&next) {
            next_step_ids.push(next);
        }
        next_paths.push(json!({"name": named.then_some(label), "next_step_id": next}));
    }
    let mut messages = Map::new();
    let mut channels = Vec::new();
    if let Step::Message(message) = step {
        channels.push("webhook");
        messages.insert(
            message.message_variation_id(),
            webhook::message(
                &message.template,
                config.template(&message.template),
                redactor,
            ),
        );
    }
    json!({
        "name": step.name(),
        "type": step.type_name(),
        "id": step.name(),
        "next_step_ids": next_step_ids,
        "next_paths": next_paths,
        "channels": channels,
        "messages": messages,
    })
}

/// The activity entries of a Message step.
fn step_scope(canvas: &Canvas, step: &MessageStep) -> ActivityCountQuery {
    ActivityCountQuery {
        canvas: Some(canvas.name.clone()),
        step: Some(step.name.clone()),
        ..ActivityCountQuery::since(DateTime::UNIX_EPOCH)
    }
}

/// The start of the first and of the last day with an entry.
async fn entry_span(
    store: &dyn Store,
    canvas: &Canvas,
) -> StoreResult<(Option<DateTime<Utc>>, Option<DateTime<Utc>>)> {
    let today = Utc::now().date_naive();
    let days = store
        .canvas_entry_days(
            canvas.api_id(),
            NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(today),
            today,
        )
        .await?;
    let start = |day: NaiveDate| day.and_time(chrono::NaiveTime::MIN).and_utc();
    Ok((
        days.first().map(|day| start(day.day)),
        days.last().map(|day| start(day.day)),
    ))
}

/// The configured canvas `canvas_id` names; 400 `Invalid Canvas ID` when none does.
fn find<'a>(state: &'a AppState, params: &Params) -> Result<(&'a Config, &'a Canvas), ApiError> {
    let api_id = required(params, "canvas_id")?;
    config(state)
        .and_then(|config| Some((config, config.canvas_by_api_id(api_id)?)))
        .ok_or_else(|| ApiError::Fatal {
            message: "Invalid Canvas ID",
            errors: vec![
                ErrorItem::new(format!(
                    "no canvas in the config has api id `{api_id}`; GET /canvas/list lists them"
                ))
                .field("canvas_id"),
            ],
        })
}
