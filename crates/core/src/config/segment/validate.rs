//! `check`'s segment rules: ids and names present and unique (and no id that is another
//! segment's name, so a reference is never ambiguous), every `{ segment = ... }` known, no
//! segment reaching itself through others, and nesting no deeper than [`MAX_DEPTH`].

use std::collections::HashSet;

use super::{MAX_DEPTH, position};
use crate::canvas::Step;
use crate::config::{Config, ConfigPath, Diagnostic};
use crate::filters::Filter;

/// Reports every segment problem of `config`.
pub fn validate(config: &Config, problems: &mut Vec<Diagnostic>) {
    identities(config, problems);
    let mut references = Vec::new();
    for (path, list) in filter_lists(config) {
        collect(&path, list, &mut references);
    }
    for (path, reference) in &references {
        if position(&config.segments, reference).is_none() {
            problems.push(unknown(path.clone(), reference, config));
        }
    }
    let edges = edges(config);
    let mut cyclic = HashSet::new();
    for (from, out) in edges.iter().enumerate() {
        for (path, to) in out {
            if reaches(&edges, *to, from) {
                cyclic.insert(from);
                problems.push(Diagnostic::error(
                    path.clone(),
                    format!(
                        "segment `{}` refers back to itself through segment `{}`",
                        name(config, from),
                        name(config, *to)
                    ),
                    "remove one of the segment filters that close the loop",
                ));
            }
        }
    }
    let mut depths = vec![None; edges.len()];
    for index in 0..edges.len() {
        if !cyclic.contains(&index) && depth(&edges, index, &mut depths, 0) > MAX_DEPTH {
            problems.push(Diagnostic::error(
                ConfigPath::default()
                    .key("segments")
                    .index(index)
                    .key("filters"),
                format!(
                    "segment `{}` nests segments more than {MAX_DEPTH} deep",
                    name(config, index)
                ),
                "refer to fewer segments in a chain (copy some filters instead)",
            ));
        }
    }
}

fn name(config: &Config, index: usize) -> &str {
    config
        .segments
        .get(index)
        .map_or("", |segment| segment.name.as_str())
}

fn identities(config: &Config, problems: &mut Vec<Diagnostic>) {
    let list = ConfigPath::default().key("segments");
    let mut ids = HashSet::new();
    let mut names = HashSet::new();
    for (index, segment) in config.segments.iter().enumerate() {
        let path = list.index(index);
        for (key, value, seen) in [
            ("id", &segment.id, &mut ids),
            ("name", &segment.name, &mut names),
        ] {
            if value.trim().is_empty() {
                problems.push(Diagnostic::error(
                    path.key(key),
                    format!("the segment's {key} is empty"),
                    format!("give the segment a {key}"),
                ));
            } else if !seen.insert(value.as_str()) {
                problems.push(Diagnostic::error(
                    path.key(key),
                    format!("segment {key} `{value}` is declared twice"),
                    format!("give each segment its own {key}"),
                ));
            }
        }
    }
    for (index, segment) in config.segments.iter().enumerate() {
        if !segment.id.is_empty() && !is_id(&segment.id) {
            problems.push(Diagnostic::error(
                list.index(index).key("id"),
                format!(
                    "segment id `{}` has characters other than letters, digits, `-` and `_`",
                    segment.id
                ),
                "use an id like \"mql\" or \"3e0d2c1a-segment\": it names export folders and URLs",
            ));
        }
        let clash = config
            .segments
            .iter()
            .enumerate()
            .any(|(other, named)| other != index && named.name == segment.id);
        if clash {
            problems.push(Diagnostic::error(
                list.index(index).key("id"),
                format!(
                    "segment id `{}` is another segment's name, so a reference to it is ambiguous",
                    segment.id
                ),
                "rename the segment or change the id",
            ));
        }
    }
}

/// Whether `id` is safe in a file path and a URL: ASCII letters, digits, `-` and `_`.
pub fn is_id(id: &str) -> bool {
    id.bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

fn unknown(path: ConfigPath, reference: &str, config: &Config) -> Diagnostic {
    let known: Vec<String> = config
        .segments
        .iter()
        .map(|segment| format!("`{}` ({})", segment.id, segment.name))
        .collect();
    let fix = if known.is_empty() {
        "declare it under [[segments]] with that id or name".to_owned()
    } else {
        format!(
            "declare it under [[segments]] or use one of the ids {}",
            known.join(", ")
        )
    };
    Diagnostic::error(path, format!("unknown segment `{reference}`"), fix)
}

/// Every filter list in the config, with its path.
fn filter_lists(config: &Config) -> Vec<(ConfigPath, &[Filter])> {
    let root = ConfigPath::default();
    let mut lists: Vec<(ConfigPath, &[Filter])> = Vec::new();
    for (index, segment) in config.segments.iter().enumerate() {
        lists.push((
            root.key("segments").index(index).key("filters"),
            &segment.filters,
        ));
    }
    for (index, campaign) in config.campaigns.iter().enumerate() {
        lists.push((
            root.key("campaigns").index(index).key("audience"),
            &campaign.audience,
        ));
    }
    for (index, canvas) in config.canvases.iter().enumerate() {
        let path = root.key("canvases").index(index);
        lists.push((path.key("audience"), &canvas.audience));
        for (position, step) in canvas.steps.iter().enumerate() {
            let step_path = path.key("steps").index(position);
            match step {
                Step::AudiencePaths(paths) => {
                    for (group, members) in paths.groups.iter().enumerate() {
                        lists.push((
                            step_path.key("groups").index(group).key("filters"),
                            &members.filters,
                        ));
                    }
                }
                Step::DecisionSplit(split) => {
                    lists.push((step_path.key("filters"), &split.filters));
                }
                Step::Message(message) => lists.push((
                    step_path.key("delivery_validations"),
                    &message.delivery_validations,
                )),
                Step::UserUpdate(_) | Step::Delay(_) | Step::ActionPaths(_) => {}
            }
        }
    }
    lists
}

/// The segment references in `filters`, groups included, with their paths.
fn collect<'c>(path: &ConfigPath, filters: &'c [Filter], out: &mut Vec<(ConfigPath, &'c str)>) {
    for (index, filter) in filters.iter().enumerate() {
        match filter {
            Filter::Segment(segment) => {
                out.push((path.index(index).key("segment"), &segment.reference));
            }
            Filter::All(members) => collect(&path.index(index).key("all"), members, out),
            Filter::Any(members) => collect(&path.index(index).key("any"), members, out),
            Filter::Attribute { .. }
            | Filter::EmailAvailable(_)
            | Filter::CustomEventCount { .. } => {}
        }
    }
}

/// For each segment, the segments its filters name directly (with the reference's path).
fn edges(config: &Config) -> Vec<Vec<(ConfigPath, usize)>> {
    let root = ConfigPath::default().key("segments");
    config
        .segments
        .iter()
        .enumerate()
        .map(|(index, segment)| {
            let mut references = Vec::new();
            collect(
                &root.index(index).key("filters"),
                &segment.filters,
                &mut references,
            );
            references
                .into_iter()
                .filter_map(|(path, reference)| {
                    position(&config.segments, reference).map(|to| (path, to))
                })
                .collect()
        })
        .collect()
}

/// Whether `target` is reachable from `start` (iteratively, so no input nests the stack).
fn reaches(edges: &[Vec<(ConfigPath, usize)>], start: usize, target: usize) -> bool {
    let mut seen = HashSet::new();
    let mut next = vec![start];
    while let Some(node) = next.pop() {
        if node == target {
            return true;
        }
        if seen.insert(node) {
            next.extend(edges.get(node).into_iter().flatten().map(|(_, to)| *to));
        }
    }
    false
}

/// The longest chain of segments from `index` (1 for a segment naming none); stops counting
/// past [`MAX_DEPTH`], so a cycle or a long chain ends the recursion.
fn depth(
    edges: &[Vec<(ConfigPath, usize)>],
    index: usize,
    depths: &mut Vec<Option<usize>>,
    level: usize,
) -> usize {
    if let Some(known) = depths.get(index).copied().flatten() {
        return known;
    }
    if level > MAX_DEPTH {
        return MAX_DEPTH + 1;
    }
    let mut deepest = 0;
    for (_, to) in edges.get(index).into_iter().flatten() {
        deepest = deepest.max(depth(edges, *to, depths, level + 1));
    }
    let result = deepest + 1;
    if let Some(slot) = depths.get_mut(index) {
        *slot = Some(result);
    }
    result
}
