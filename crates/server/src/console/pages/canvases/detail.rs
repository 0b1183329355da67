//! `/console/canvases/{api_id}`: the canvas drawn as a graph with its numbers, and the same
//! numbers as two tables (steps, paths) for screen readers and tests.

use axum::extract::{Path, Query, State};
use chrono::Utc;
use leadwire_core::canvas::{Canvas, Step};
use maud::{Markup, html};

use super::{canvas_href, figures, find, settings, step_href, totals};
use crate::console::error::ConsoleError;
use crate::console::layout::{self, Section};
use crate::console::pages::canvas_graph::{CanvasFigures, CanvasGraph, draw};
use crate::console::pages::describe;
use crate::console::pages::outcomes::{Range, RangeQuery, range_links};
use crate::console::pages::widgets::console;
use crate::console::session::Operator;
use crate::state::AppState;

pub async fn page(
    State(state): State<AppState>,
    operator: Operator,
    Path(api_id): Path<String>,
    Query(query): Query<RangeQuery>,
) -> Result<Markup, ConsoleError> {
    let console = console(&state)?;
    let canvas = find(console, &api_id)?;
    let range = query.range()?;
    let figures = figures(state.store.as_ref(), canvas, range, Utc::now()).await?;
    let graph = CanvasGraph::new(canvas);
    let (entered, present) = totals(canvas, &figures);
    let body = html! {
        p { a href="/console/canvases" { "All canvases" } }
        h2 { "Settings" }
        (settings::canvas(canvas))
        h2 { "Journey" }
        p data-testid="canvas-totals" {
            strong.entered { (entered) } " entries, " strong.present { (present) } " in the canvas now."
        }
        p #graph-caption {
            "Steps top to bottom; each box links to its step. Entered, now and exited here count since the node first ran the canvas; sends count the " (range.label()) "."
        }
        (range_links(&canvas_href(canvas), range))
        (draw(&graph, &figures, |step| step_href(canvas, step)))
        h2 #steps { "Steps" }
        (steps_table(canvas, &graph, &figures, range))
        h2 #paths { "Paths" }
        (paths_table(canvas, &graph, &figures))
    };
    Ok(layout::page(
        &format!("Canvas {}", canvas.name),
        Section::Canvases,
        &operator,
        body,
    ))
}

fn steps_table(
    canvas: &Canvas,
    graph: &CanvasGraph<'_>,
    figures: &CanvasFigures,
    range: Range,
) -> Markup {
    html! {
        div.scroll { table data-testid="canvas-steps" {
            thead { tr {
                th scope="col" { "Step" } th scope="col" { "Kind" } th.num scope="col" { "Entered" }
                th.num scope="col" { "In it now" } th.num scope="col" { "Exited here" }
                th.num scope="col" { "Sent (" (range.label()) ")" } th.num scope="col" { "Errors (" (range.label()) ")" }
            } }
            tbody { @for step in graph.reading_order() {
                @let numbers = figures.step(step.name());
                tr data-testid={ "step-" (step.name()) } {
                    th scope="row" { a href=(step_href(canvas, step)) { (step.name()) } }
                    td { (describe::step_kind(step)) }
                    td.num.entered { (numbers.entered) }
                    td.num.present { (numbers.present) }
                    td.num.exited { (numbers.exited) }
                    @match figures.sends(step) {
                        Some(sends) => {
                            td.num.sent { (sends.sent()) }
                            td.num.errors.err[sends.errors() > 0] { (sends.errors()) }
                        },
                        None => { td.num.sent.muted { "–" } td.num.errors.muted { "–" } },
                    }
                }
            } }
        } }
    }
}

fn paths_table(canvas: &Canvas, graph: &CanvasGraph<'_>, figures: &CanvasFigures) -> Markup {
    html! {
        div.scroll { table data-testid="canvas-paths" {
            thead { tr {
                th scope="col" { "From step" } th scope="col" { "Path" } th scope="col" { "To" } th.num scope="col" { "Taken" }
            } }
            tbody { @for edge in &graph.paths {
                tr data-testid={ "path-" (edge.step.name()) "-" (edge.path) } {
                    td { a href=(step_href(canvas, edge.step)) { (edge.step.name()) } }
                    th scope="row" { (edge.path) }
                    td { (settings::next(canvas, edge.next.map(Step::name))) }
                    td.num.taken { (figures.path(edge.step.name(), edge.path)) }
                }
            } }
        } }
    }
}
