//! The canvas graph as inline SVG: each step a linked box with its kind and numbers, each
//! path a curve down to its next step or an exit marker, labelled with its name and count.
//! Colours come from CSS classes; full names and numbers are in `<title>` tooltips.

use leadwire_core::canvas::Step;
use maud::{Markup, html};

use super::layout::{Point, Rect, Route};
use super::{CanvasFigures, CanvasGraph, PathEdge};
use crate::console::pages::describe;

/// Characters that fit on one line of a step box.
const BOX_CHARS: usize = 30;
/// Characters of a path name shown on an edge.
const LABEL_CHARS: usize = 18;
/// About how wide one character of the 12 px font is.
const CHAR_WIDTH: f64 = 6.8;
const LINE_HEIGHT: f64 = 16.0;

/// `text` cut to `chars` characters, with "…" when it was longer.
fn truncate(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let kept: String = text.chars().take(chars.saturating_sub(1)).collect();
    format!("{kept}…")
}

fn number(value: f64) -> String {
    format!("{value:.1}")
}

/// A cubic curve through `points`, vertical where it leaves and enters a box; straight
/// through the layers a long edge crosses and along the side for a back edge.
fn path_data(route: &Route) -> String {
    let Some(first) = route.points.first() else {
        return String::new();
    };
    let mut data = format!("M{},{}", number(first.x), number(first.y));
    for pair in route.points.windows(2) {
        let (from, to) = (pair[0], pair[1]);
        if route.back || from.x == to.x {
            data.push_str(&format!(" L{},{}", number(to.x), number(to.y)));
        } else {
            let middle = number((from.y + to.y) / 2.0);
            data.push_str(&format!(
                " C{},{middle} {},{middle} {},{}",
                number(from.x),
                number(to.x),
                number(to.x),
                number(to.y)
            ));
        }
    }
    data
}

/// Where an edge's label goes: on its first curve, nearer the child than the parent, so
/// the labels of sibling paths spread apart.
fn label_point(route: &Route) -> Option<Point> {
    let (from, to) = (route.points.first()?, route.points.get(1)?);
    if route.back {
        return Some(Point {
            x: to.x,
            y: (route.points.get(2).map_or(to.y, |end| end.y) + to.y) / 2.0,
        });
    }
    let t: f64 = 0.65;
    let along = 3.0 * t * t - 2.0 * t * t * t;
    Some(Point {
        x: from.x + (to.x - from.x) * along,
        y: from.y + (to.y - from.y) * along,
    })
}

/// "Group A: 12", or the bare count for a step's single `next` path.
fn edge_label(edge: &PathEdge<'_>, taken: u64) -> String {
    if edge.path == "next" {
        taken.to_string()
    } else {
        format!("{}: {taken}", truncate(edge.path, LABEL_CHARS))
    }
}

/// The graph of `graph.canvas` with `figures`, each step linking to `link(step)`.
pub fn draw(
    graph: &CanvasGraph<'_>,
    figures: &CanvasFigures,
    link: impl Fn(&Step) -> String,
) -> Markup {
    let layout = &graph.layout;
    let steps = &graph.canvas.steps;
    html! {
        svg.canvas-graph viewBox=(format!("0 0 {} {}", number(layout.width), number(layout.height)))
            width=(number(layout.width)) role="group" aria-labelledby="graph-caption" data-testid="canvas-graph" {
            defs {
                marker #arrow viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto" {
                    path.arrow d="M0,0 L10,5 L0,10 z" {}
                }
            }
            @for route in &layout.routes {
                path class=(if route.back { "edge back" } else { "edge" }) d=(path_data(route)) marker-end="url(#arrow)" {}
            }
            @for (step, rect) in steps.iter().zip(&layout.boxes) {
                (step_box(step, *rect, figures, &link(step)))
            }
            @for rect in layout.boxes.iter().skip(steps.len()) {
                g.exit {
                    rect x=(number(rect.x)) y=(number(rect.y)) width=(number(rect.width)) height=(number(rect.height)) rx="13" {}
                    text x=(number(rect.centre_x())) y=(number(rect.y + rect.height / 2.0)) text-anchor="middle" dominant-baseline="middle" { "Exit" }
                }
            }
            @for (edge, route) in graph.paths.iter().zip(&layout.routes) {
                @if let Some(point) = label_point(route) {
                    (label(edge, figures.path(edge.step.name(), edge.path), point))
                }
            }
        }
    }
}

fn label(edge: &PathEdge<'_>, taken: u64, at: Point) -> Markup {
    let text = edge_label(edge, taken);
    let width = text.chars().count() as f64 * CHAR_WIDTH + 8.0;
    let to = edge.next.map_or("exit", Step::name);
    html! {
        g.label {
            title { (edge.step.name()) " → " (edge.path) " → " (to) ": " (taken) }
            rect x=(number(at.x - width / 2.0)) y=(number(at.y - 9.0)) width=(number(width)) height="18" rx="3" {}
            text x=(number(at.x)) y=(number(at.y)) text-anchor="middle" dominant-baseline="middle" { (text) }
        }
    }
}

fn step_box(step: &Step, rect: Rect, figures: &CanvasFigures, href: &str) -> Markup {
    let numbers = figures.step(step.name());
    let sends = figures.sends(step);
    let summary = format!(
        "{} ({}): entered {}, in it now {}, exited here {}{}",
        step.name(),
        describe::step_kind(step),
        numbers.entered,
        numbers.present,
        numbers.exited,
        sends.map_or(String::new(), |sends| format!(
            ", sent {}, errors {}",
            sends.sent(),
            sends.errors()
        )),
    );
    let left = number(rect.x + 10.0);
    let line = |index: f64| number(rect.y + 20.0 + LINE_HEIGHT * index);
    html! {
        a href=(href) aria-label=(summary) {
            g class={ "node " (step.type_name()) } data-testid={ "node-" (step.name()) } {
                title { (summary) }
                rect x=(number(rect.x)) y=(number(rect.y)) width=(number(rect.width)) height=(number(rect.height)) rx="6" {}
                text.name x=(left) y=(line(0.0)) { (truncate(step.name(), BOX_CHARS - 4)) }
                text.kind x=(left) y=(line(1.0)) { (describe::step_kind(step)) }
                text x=(left) y=(line(2.0)) { "entered " (numbers.entered) " · now " (numbers.present) }
                text x=(left) y=(line(3.0)) { "exited here " (numbers.exited) }
                @if let Some(sends) = sends {
                    text x=(left) y=(line(4.0)) {
                        "sent " (sends.sent()) " · "
                        tspan class=(if sends.errors() > 0 { "errors err" } else { "errors" }) { "errors " (sends.errors()) }
                    }
                }
            }
        }
    }
}
