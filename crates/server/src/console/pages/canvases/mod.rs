//! `/console/canvases`: each configured canvas with its entries and the users in it now;
//! `/console/canvases/{api_id}` draws one canvas with its numbers ([`detail`]), and
//! `/console/canvases/{api_id}/steps/{step}` is one step ([`step`]). Step and path counts
//! come from the canvas counters (by api id), sends from the activity counters (entries
//! name a canvas by its name).

mod detail;
mod settings;
mod step;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use leadwire_core::campaign::DeliveryType;
use leadwire_core::canvas::{Canvas, Step};
use leadwire_store::{CanvasCounts, Store};
use maud::{Markup, html};

use super::canvas_graph::{CanvasFigures, StepFigures};
use super::describe;
use super::outcomes::{Range, Scope, Timeline};
use super::paths;
use super::widgets::{console, empty};
use crate::console::Console;
use crate::console::error::ConsoleError;
use crate::console::layout::{self, Section};
use crate::console::session::Operator;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/canvases", get(list))
        .route("/console/canvases/{api_id}", get(detail::page))
        .route("/console/canvases/{api_id}/steps/{step}", get(step::page))
}

fn canvas_href(canvas: &Canvas) -> String {
    paths::canvas(canvas.api_id())
}

fn step_href(canvas: &Canvas, step: &Step) -> String {
    paths::canvas_step(canvas.api_id(), step.name())
}

/// The configured canvas with this api id.
fn find<'a>(console: &'a Console, api_id: &str) -> Result<&'a Canvas, ConsoleError> {
    console
        .context
        .config
        .canvases
        .iter()
        .find(|canvas| canvas.api_id() == api_id)
        .ok_or_else(|| ConsoleError::NotFound(format!("canvas `{api_id}` in the config")))
}

/// How users enter, in words.
fn entry(canvas: &Canvas) -> Markup {
    html! {
        (describe::delivery(canvas.entry_schedule))
        @match canvas.entry_schedule {
            DeliveryType::ApiTriggered | DeliveryType::Api => span.muted { ": entered by POST /canvas/trigger/send" },
            DeliveryType::ActionBased => { ", when a user does any of:" (describe::triggers(&canvas.entry_triggers)) },
        }
    }
}

/// The canvas's step and path counters.
fn step_figures(counts: CanvasCounts) -> CanvasFigures {
    let mut figures = CanvasFigures::default();
    for step in counts.steps {
        figures.steps.insert(
            step.step,
            StepFigures {
                entered: step.entered,
                present: step.present,
                exited: step.exited,
            },
        );
    }
    for path in counts.paths {
        figures.paths.insert((path.step, path.path), path.taken);
    }
    figures
}

/// Every number drawn on `canvas`: its counters, and the sends of each Message step in
/// `range`.
async fn figures(
    store: &dyn Store,
    canvas: &Canvas,
    range: Range,
    now: DateTime<Utc>,
) -> Result<CanvasFigures, ConsoleError> {
    let mut figures = step_figures(store.canvas_counts(canvas.api_id()).await?);
    for step in &canvas.steps {
        if let Step::Message(message) = step {
            let sends = Timeline::load(store, range, now, step_scope(canvas, step)).await?;
            figures.sends.insert(message.name.clone(), sends.totals());
        }
    }
    Ok(figures)
}

/// Which activity entries are the step's.
fn step_scope(canvas: &Canvas, step: &Step) -> Scope {
    Scope {
        canvas: Some(canvas.name.clone()),
        step: Some(step.name().to_owned()),
        ..Scope::default()
    }
}

/// Entries into the canvas (arrivals at its first step) and entries in it now.
fn totals(canvas: &Canvas, figures: &CanvasFigures) -> (u64, u64) {
    let entered = canvas
        .first_step_name()
        .map_or(0, |first| figures.step(first).entered);
    let present = figures.steps.values().map(|step| step.present).sum();
    (entered, present)
}

async fn list(State(state): State<AppState>, operator: Operator) -> Result<Markup, ConsoleError> {
    let console = console(&state)?;
    let canvases = &console.context.config.canvases;
    let mut rows = Vec::with_capacity(canvases.len());
    for canvas in canvases {
        let figures = step_figures(state.store.canvas_counts(canvas.api_id()).await?);
        rows.push((canvas, totals(canvas, &figures)));
    }
    let body = html! {
        @if rows.is_empty() {
            (empty("No canvases are configured: add a [[canvases]] table with its [[canvases.steps]] to the config file and restart the node."))
        } @else {
            div.scroll { table #canvases data-testid="canvases" {
                thead { tr {
                    th scope="col" { "Canvas" } th scope="col" { "Entry" } th.num scope="col" { "Steps" }
                    th.num scope="col" { "Entered" } th.num scope="col" { "In the canvas now" }
                } }
                tbody { @for (canvas, (entered, present)) in &rows {
                    tr data-testid={ "canvas-" (canvas.api_id()) } {
                        th scope="row" {
                            a href=(canvas_href(canvas)) { (canvas.name) }
                            @if canvas.api_id() != canvas.name { br; code.muted { (canvas.api_id()) } }
                        }
                        td { (entry(canvas)) }
                        td.num { (canvas.steps.len()) }
                        td.num.entered { (entered) }
                        td.num.present { (present) }
                    }
                } }
            } }
            p.muted { "Entered counts every entry since the node first ran this canvas; a user who re-enters counts again." }
        }
    };
    Ok(layout::page("Canvases", Section::Canvases, &operator, body))
}
