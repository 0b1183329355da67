//! `/console/canvases/{api_id}/steps/{step}`: one step's configuration, its counts and
//! paths, for a Message step its sends over the range, the entries at the step now
//! (newest arrival first, from an index) and its newest activity entries.

use axum::extract::{Path, Query, State};
use chrono::{DateTime, Utc};
use leadwire_core::canvas::{Canvas, Step};
use leadwire_store::ActivityQuery;
use leadwire_store::CanvasEntry;
use maud::{Markup, html};

use super::{canvas_href, find, settings, step_figures, step_href, step_scope};
use crate::console::error::{ConsoleError, encode};
use crate::console::layout::{self, Section};
use crate::console::pages::canvas_graph::CanvasFigures;
use crate::console::pages::outcomes::{RangeQuery, Timeline, range_links, totals_cards};
use crate::console::pages::paths;
use crate::console::pages::recent::recent_activity;
use crate::console::pages::widgets::{console, empty, when};
use crate::console::session::Operator;
use crate::state::AppState;

/// How many entries and activity entries the page lists.
const RECENT: u32 = 20;

pub async fn page(
    State(state): State<AppState>,
    operator: Operator,
    Path((api_id, step_name)): Path<(String, String)>,
    Query(query): Query<RangeQuery>,
) -> Result<Markup, ConsoleError> {
    let console = console(&state)?;
    let canvas = find(console, &api_id)?;
    let step = canvas.step(&step_name).ok_or_else(|| {
        ConsoleError::NotFound(format!("step `{step_name}` in canvas `{}`", canvas.name))
    })?;
    let range = query.range()?;
    let now = Utc::now();
    let store = state.store.as_ref();
    let figures = step_figures(store.canvas_counts(canvas.api_id()).await?);
    let entries = store
        .canvas_entries_at(canvas.api_id(), step.name(), RECENT)
        .await?;
    let sends = match step {
        Step::Message(_) => {
            let timeline = Timeline::load(store, range, now, step_scope(canvas, step)).await?;
            let recent = store
                .activity(&ActivityQuery {
                    canvas: Some(canvas.name.clone()),
                    step: Some(step.name().to_owned()),
                    limit: RECENT,
                    ..ActivityQuery::default()
                })
                .await?
                .entries;
            let all = format!(
                "/console/log?canvas={}&step={}",
                encode(&canvas.name),
                encode(step.name())
            );
            html! {
                h2 { "Sends in the " (range.label()) }
                (range_links(&step_href(canvas, step), range))
                (totals_cards(&timeline.totals(), "step-sends"))
                (timeline.chart("step-chart", &format!("Sends by outcome, {}", range.label())))
                h2 { "Recent activity" }
                (recent_activity(&recent, now, &all, "No activity yet: nobody has reached this step, or its entries were pruned."))
            }
        }
        _ => html! {},
    };
    let body = html! {
        p { a href=(canvas_href(canvas)) { "Canvas " (canvas.name) } }
        h2 { "Configuration" }
        (settings::step(canvas, step))
        h2 { "Counts" }
        (counts(canvas, step, &figures))
        (sends)
        h2 { "At this step now" }
        (present(&entries, now))
    };
    let title = format!("Step {} of {}", step.name(), canvas.name);
    Ok(layout::page(&title, Section::Canvases, &operator, body))
}

fn counts(canvas: &Canvas, step: &Step, figures: &CanvasFigures) -> Markup {
    let numbers = figures.step(step.name());
    html! {
        div.scroll { table data-testid="step-counts" {
            thead { tr { th.num scope="col" { "Entered" } th.num scope="col" { "In it now" } th.num scope="col" { "Exited here" } } }
            tbody { tr {
                td.num.entered { (numbers.entered) } td.num.present { (numbers.present) } td.num.exited { (numbers.exited) }
            } }
        } }
        h3 { "Paths" }
        div.scroll { table data-testid="step-paths" {
            thead { tr { th scope="col" { "Path" } th scope="col" { "To" } th.num scope="col" { "Taken" } } }
            tbody { @for (path, target) in step.paths() {
                tr data-testid={ "path-" (step.name()) "-" (path) } {
                    th scope="row" { (path) }
                    td { (settings::next(canvas, target)) }
                    td.num.taken { (figures.path(step.name(), path)) }
                }
            } }
        } }
    }
}

fn present(entries: &[CanvasEntry], now: DateTime<Utc>) -> Markup {
    html! {
        @if entries.is_empty() {
            (empty("Nobody is at this step now."))
        } @else {
            div.scroll { table data-testid="step-entries" {
                caption { "Newest arrivals first" }
                thead { tr { th scope="col" { "User" } th scope="col" { "At this step since" } th scope="col" { "Entered the canvas" } th scope="col" { "Waiting for an action" } } }
                tbody { @for entry in entries { tr data-testid={ "entry-" (entry.id) } {
                    td { a href=(paths::user(entry.user_id)) { (entry.user_id) } }
                    td { (when(entry.state.arrived_at, now)) }
                    td { (when(entry.state.entered_at, now)) }
                    td { @if entry.awaiting_action { "yes" } @else { "no" } }
                } } }
            } }
        }
    }
}
