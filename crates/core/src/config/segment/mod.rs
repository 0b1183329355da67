//! Segments: named, reusable audiences (`[[segments]]`), each a stable `id` (what the REST
//! API's `segment_id` names), a `name`, an optional `description` and `tags`, and filters in
//! the audience filter language. A filter `{ segment = "..." }` in a campaign's or canvas's
//! audience, an Audience Paths group, a Decision Split or a delivery validation admits the
//! segment's users; it names the segment by id, or else by name.
//!
//! [`resolve`] looks every reference up once, when the config is checked, so evaluating a
//! filter never searches the config; `check` (in [`validate`]) reports unknown segments,
//! cycles and nesting deeper than [`MAX_DEPTH`].

mod validate;

pub use validate::{is_id, validate};

use std::sync::Arc;

use serde::Deserialize;

use crate::canvas::Step;
use crate::config::Config;
use crate::filters::Filter;

/// Segments may refer to segments this many levels deep.
pub const MAX_DEPTH: usize = 16;

/// One `[[segments]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// The stable API identifier (`segment_id`).
    pub id: String,
    pub name: String,
    /// Free text, answered as `text_description` by `GET /segments/details`.
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// All must hold; empty means all users.
    #[serde(default)]
    pub filters: Vec<Filter>,
}

impl Config {
    /// The segment a `{ segment = ... }` filter or a `segment_id` names: by id, else by name.
    pub fn segment(&self, reference: &str) -> Option<&Segment> {
        let position = position(&self.segments, reference)?;
        self.segments.get(position)
    }
}

fn position(segments: &[Segment], reference: &str) -> Option<usize> {
    segments
        .iter()
        .position(|segment| segment.id == reference)
        .or_else(|| {
            segments
                .iter()
                .position(|segment| segment.name == reference)
        })
}

/// Fills in every segment reference of `config` (in segments, campaigns and canvases) with
/// the named segment's filters, themselves resolved. An unknown reference, or one inside a
/// cycle or deeper than [`MAX_DEPTH`], stays unresolved and admits nobody; `check` reports it.
pub fn resolve(config: &mut Config) {
    let mut resolver = Resolver {
        segments: &config.segments,
        done: vec![None; config.segments.len()],
        stack: Vec::new(),
    };
    for index in 0..config.segments.len() {
        resolver.segment(index);
    }
    let resolved = resolver.done;
    for (segment, filters) in config.segments.iter_mut().zip(&resolved) {
        if let Some(filters) = filters {
            segment.filters = filters.as_ref().clone();
        }
    }
    let segments = config.segments.clone();
    let lookup = |reference: &str| {
        position(&segments, reference).and_then(|index| resolved.get(index).cloned().flatten())
    };
    for list in filter_lists_mut(config) {
        fill(list, &lookup);
    }
}

struct Resolver<'c> {
    segments: &'c [Segment],
    done: Vec<Option<Arc<Vec<Filter>>>>,
    stack: Vec<usize>,
}

impl Resolver<'_> {
    /// Segment `index`'s filters with their references resolved, computed once.
    fn segment(&mut self, index: usize) -> Option<Arc<Vec<Filter>>> {
        if let Some(done) = self.done.get(index).cloned().flatten() {
            return Some(done);
        }
        if self.stack.contains(&index) || self.stack.len() >= MAX_DEPTH {
            return None;
        }
        let mut filters = self.segments.get(index)?.filters.clone();
        self.stack.push(index);
        self.list(&mut filters);
        self.stack.pop();
        let filters = Arc::new(filters);
        if let Some(slot) = self.done.get_mut(index) {
            *slot = Some(filters.clone());
        }
        Some(filters)
    }

    fn list(&mut self, filters: &mut [Filter]) {
        for filter in filters {
            match filter {
                Filter::Segment(segment) => {
                    segment.resolved = position(self.segments, &segment.reference)
                        .and_then(|inner| self.segment(inner));
                }
                Filter::All(members) | Filter::Any(members) => self.list(members),
                Filter::Attribute { .. }
                | Filter::EmailAvailable(_)
                | Filter::CustomEventCount { .. } => {}
            }
        }
    }
}

/// Sets `resolved` on every segment reference in `filters`, groups included.
fn fill(filters: &mut [Filter], lookup: &dyn Fn(&str) -> Option<Arc<Vec<Filter>>>) {
    for filter in filters {
        match filter {
            Filter::Segment(segment) => segment.resolved = lookup(&segment.reference),
            Filter::All(members) | Filter::Any(members) => fill(members, lookup),
            Filter::Attribute { .. }
            | Filter::EmailAvailable(_)
            | Filter::CustomEventCount { .. } => {}
        }
    }
}

/// Every filter list of the campaigns and canvases.
fn filter_lists_mut(config: &mut Config) -> Vec<&mut Vec<Filter>> {
    let mut lists = Vec::new();
    for campaign in &mut config.campaigns {
        lists.push(&mut campaign.audience);
    }
    for canvas in &mut config.canvases {
        lists.push(&mut canvas.audience);
        for step in &mut canvas.steps {
            match step {
                Step::AudiencePaths(paths) => {
                    lists.extend(paths.groups.iter_mut().map(|group| &mut group.filters));
                }
                Step::DecisionSplit(split) => lists.push(&mut split.filters),
                Step::Message(message) => lists.push(&mut message.delivery_validations),
                Step::UserUpdate(_) | Step::Delay(_) | Step::ActionPaths(_) => {}
            }
        }
    }
    lists
}
