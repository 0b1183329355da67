//! A canvas drawn as a graph: its steps as nodes, each path as an edge to its next step or
//! to an "Exit" marker, laid out top to bottom by [`layout`] and drawn by [`draw`] with the
//! numbers of [`CanvasFigures`] on every box and edge.

mod draw;
pub mod layout;

use std::collections::HashMap;

use leadwire_core::canvas::{Canvas, Step};

pub use draw::draw;
use layout::{Graph, Layout};

use super::outcomes::Outcomes;

/// A step's box.
const STEP_BOX: (f64, f64) = (220.0, 96.0);
/// An exit marker's box.
const EXIT_BOX: (f64, f64) = (64.0, 26.0);

/// One path of one step.
#[derive(Debug, Clone, PartialEq)]
pub struct PathEdge<'a> {
    pub step: &'a Step,
    /// The path's name: a group, `Everyone Else`, `Yes`, `No`, or `next`.
    pub path: &'a str,
    /// The next step, or `None` when users on this path exit.
    pub next: Option<&'a Step>,
}

/// The canvas's graph and its layout. Nodes `0..steps.len()` are the steps in config order;
/// each exit path adds its own exit marker after them.
pub struct CanvasGraph<'a> {
    pub canvas: &'a Canvas,
    pub paths: Vec<PathEdge<'a>>,
    pub layout: Layout,
}

impl<'a> CanvasGraph<'a> {
    pub fn new(canvas: &'a Canvas) -> Self {
        let steps = &canvas.steps;
        let index: HashMap<&str, usize> = steps
            .iter()
            .enumerate()
            .map(|(position, step)| (step.name(), position))
            .collect();
        let mut sizes = vec![STEP_BOX; steps.len()];
        let mut edges = Vec::new();
        let mut paths = Vec::new();
        for (from, step) in steps.iter().enumerate() {
            for (path, next) in step.paths() {
                let target = next.and_then(|next| index.get(next).copied());
                let to = target.unwrap_or_else(|| {
                    sizes.push(EXIT_BOX);
                    sizes.len() - 1
                });
                edges.push((from, to));
                paths.push(PathEdge {
                    step,
                    path,
                    next: target.map(|target| &steps[target]),
                });
            }
        }
        let root = canvas
            .first_step_name()
            .and_then(|first| index.get(first).copied())
            .unwrap_or(0);
        let layout = layout::layout(&Graph { sizes, edges, root });
        Self {
            canvas,
            paths,
            layout,
        }
    }

    /// The steps in the order a reader meets them: by layer, then left to right.
    pub fn reading_order(&self) -> Vec<&'a Step> {
        let mut order: Vec<usize> = (0..self.canvas.steps.len()).collect();
        order.sort_by(|a, b| {
            let (box_a, box_b) = (self.layout.boxes[*a], self.layout.boxes[*b]);
            box_a
                .y
                .total_cmp(&box_b.y)
                .then(box_a.x.total_cmp(&box_b.x))
        });
        order
            .into_iter()
            .map(|index| &self.canvas.steps[index])
            .collect()
    }
}

/// A step's numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepFigures {
    /// Entries that arrived at the step.
    pub entered: u64,
    /// Entries at the step now (waiting in a Delay or an Action Paths window).
    pub present: u64,
    /// Entries that left the canvas at this step.
    pub exited: u64,
}

/// The numbers drawn on a canvas: per step, per path, and sends of Message steps.
#[derive(Debug, Clone, Default)]
pub struct CanvasFigures {
    pub steps: HashMap<String, StepFigures>,
    /// (step, path) → entries that took it.
    pub paths: HashMap<(String, String), u64>,
    /// Message step → its send outcomes.
    pub sends: HashMap<String, Outcomes>,
}

impl CanvasFigures {
    pub fn step(&self, step: &str) -> StepFigures {
        self.steps.get(step).copied().unwrap_or_default()
    }

    pub fn path(&self, step: &str, path: &str) -> u64 {
        self.paths
            .get(&(step.to_owned(), path.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// A Message step's sends; `None` for other steps.
    pub fn sends(&self, step: &Step) -> Option<Outcomes> {
        matches!(step, Step::Message(_))
            .then(|| self.sends.get(step.name()).copied().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests;
