//! A layered (Sugiyama-style) layout of a small directed graph, top to bottom: back edges
//! found by a depth-first search are left out of the layering, each node's layer is its
//! longest path from a root, edges spanning several layers pass through narrow dummy slots,
//! layers start in depth-first (branch) order and are sorted by their parents' barycenter,
//! and x positions centre each node under its parents, then over its children, never
//! letting two boxes of a layer overlap.

mod order;
mod rank;

use order::{order_rows, place};
use rank::{add_dummies, depth_first, longest_path_layers};

/// Horizontal space between two boxes of a layer.
const H_GAP: f64 = 28.0;
/// Vertical space between two layers (room for edge labels).
const V_GAP: f64 = 64.0;
const MARGIN: f64 = 16.0;
/// The width a long edge takes in a layer it passes through.
const DUMMY_WIDTH: f64 = 14.0;
/// How far right of the drawing a back edge runs.
const BACK_EDGE_OFFSET: f64 = 24.0;

/// A point in SVG units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// A node's box, from its top-left corner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Rect {
    pub fn centre_x(&self) -> f64 {
        self.x + self.width / 2.0
    }

    pub fn bottom(&self) -> f64 {
        self.y + self.height
    }
}

/// What to lay out: node sizes (width, height), edges in branch order, and the entry node.
pub struct Graph {
    pub sizes: Vec<(f64, f64)>,
    pub edges: Vec<(usize, usize)>,
    pub root: usize,
}

/// An edge's way: from the parent's bottom centre to the child's top centre, through the
/// layers between; a back edge runs up along the right side.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub points: Vec<Point>,
    pub back: bool,
}

/// Where everything goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub boxes: Vec<Rect>,
    /// One per edge, in the graph's edge order.
    pub routes: Vec<Route>,
    pub layers: Vec<usize>,
    pub width: f64,
    pub height: f64,
}

/// The nodes and edges actually laid out: the graph's nodes, then one dummy per layer that
/// a long edge crosses.
struct Layered {
    layer: Vec<usize>,
    width: Vec<f64>,
    parents: Vec<Vec<usize>>,
    children: Vec<Vec<usize>>,
    /// Per graph edge: the nodes it passes through, or `None` for a back edge.
    chains: Vec<Option<Vec<usize>>>,
}

pub fn layout(graph: &Graph) -> Layout {
    let count = graph.sizes.len();
    if count == 0 {
        return Layout {
            boxes: Vec::new(),
            routes: Vec::new(),
            layers: Vec::new(),
            width: MARGIN * 2.0,
            height: MARGIN * 2.0,
        };
    }
    let search = depth_first(count, &graph.edges, graph.root);
    let layers = longest_path_layers(count, &graph.edges, &search);
    let layered = add_dummies(graph, &layers, &search.back);
    let rows = order_rows(&layered, &search.preorder, graph.root);
    let row_heights: Vec<f64> = rows
        .iter()
        .map(|row| {
            row.iter()
                .filter(|node| **node < count)
                .map(|node| graph.sizes[*node].1)
                .fold(0.0, f64::max)
        })
        .collect();
    let row_tops = row_tops(&row_heights);
    let centres = place(&layered, &rows);
    let left = centres
        .iter()
        .zip(&layered.width)
        .map(|(centre, width)| centre - width / 2.0)
        .fold(f64::INFINITY, f64::min);
    let shift = MARGIN - left;
    let boxes: Vec<Rect> = (0..count)
        .map(|node| Rect {
            x: centres[node] - graph.sizes[node].0 / 2.0 + shift,
            y: row_tops[layered.layer[node]],
            width: graph.sizes[node].0,
            height: graph.sizes[node].1,
        })
        .collect();
    let right = centres
        .iter()
        .zip(&layered.width)
        .map(|(centre, width)| centre + width / 2.0 + shift)
        .fold(0.0, f64::max);
    let has_back = search.back.iter().any(|back| *back);
    let width = right + MARGIN + if has_back { BACK_EDGE_OFFSET } else { 0.0 };
    let side = right + BACK_EDGE_OFFSET / 2.0;
    let routes = graph
        .edges
        .iter()
        .zip(&layered.chains)
        .map(
            |(edge, chain)| match (chain, boxes.get(edge.0), boxes.get(edge.1)) {
                (Some(chain), _, _) => forward_route(
                    chain,
                    &boxes,
                    &centres,
                    shift,
                    &layered,
                    &row_tops,
                    &row_heights,
                ),
                (None, Some(from), Some(to)) => back_route(from, to, side),
                (None, _, _) => Route {
                    points: Vec::new(),
                    back: true,
                },
            },
        )
        .collect();
    let height = row_tops.last().copied().unwrap_or(MARGIN)
        + row_heights.last().copied().unwrap_or(0.0)
        + MARGIN;
    Layout {
        boxes,
        routes,
        layers,
        width,
        height,
    }
}

fn row_tops(heights: &[f64]) -> Vec<f64> {
    let mut top = MARGIN;
    heights
        .iter()
        .map(|height| {
            let this = top;
            top += height + V_GAP;
            this
        })
        .collect()
}

fn forward_route(
    chain: &[usize],
    boxes: &[Rect],
    centres: &[f64],
    shift: f64,
    layered: &Layered,
    row_tops: &[f64],
    row_heights: &[f64],
) -> Route {
    let (Some(first), Some(last)) = (chain.first(), chain.last()) else {
        return Route {
            points: Vec::new(),
            back: false,
        };
    };
    let from = boxes[*first];
    let to = boxes[*last];
    let mut points = vec![Point {
        x: from.centre_x(),
        y: from.bottom(),
    }];
    for dummy in &chain[1..chain.len() - 1] {
        let x = centres[*dummy] + shift;
        let layer = layered.layer[*dummy];
        points.push(Point {
            x,
            y: row_tops[layer],
        });
        points.push(Point {
            x,
            y: row_tops[layer] + row_heights[layer],
        });
    }
    points.push(Point {
        x: to.centre_x(),
        y: to.y,
    });
    Route {
        points,
        back: false,
    }
}

fn back_route(from: &Rect, to: &Rect, side: f64) -> Route {
    let from_y = from.y + from.height / 2.0;
    let to_y = to.y + to.height / 2.0;
    Route {
        points: vec![
            Point {
                x: from.x + from.width,
                y: from_y,
            },
            Point { x: side, y: from_y },
            Point { x: side, y: to_y },
            Point {
                x: to.x + to.width,
                y: to_y,
            },
        ],
        back: true,
    }
}

#[cfg(test)]
mod tests;
