//! Canvas checks: entry settings, step names, connections to unknown steps, unreachable
//! steps, loops, group counts, and the limits Braze puts on steps.

use std::collections::{HashMap, HashSet};

use super::Config;
use super::diagnostics::{ConfigPath, Diagnostic};
use super::validate::{
    entry_triggers, known, trigger_attribute_in_audience, triggers, unknown_template,
};
use crate::campaign::DeliveryType;
use crate::canvas::{
    Canvas, MAX_ACTION_WINDOW_SECONDS, MAX_AUDIENCE_GROUPS, MAX_COMPOSER_CHARS, MAX_STEPS, Step,
};

/// Action Paths may hold this many action groups, besides Everyone Else.
const MAX_ACTION_GROUPS: usize = 8;

pub fn validate_canvases(config: &Config, problems: &mut Vec<Diagnostic>) {
    for (index, canvas) in config.canvases.iter().enumerate() {
        validate_canvas(
            &ConfigPath::default().key("canvases").index(index),
            canvas,
            config,
            problems,
        );
    }
}

fn validate_canvas(
    path: &ConfigPath,
    canvas: &Canvas,
    config: &Config,
    problems: &mut Vec<Diagnostic>,
) {
    if canvas.entry_schedule == DeliveryType::Api {
        problems.push(Diagnostic::error(
            path.key("entry_schedule"),
            "a canvas has no API-campaign entry; \"api\" is for campaigns",
            "use entry_schedule = \"api_triggered\" or \"action_based\"",
        ));
    }
    entry_triggers(
        path,
        "entry_triggers",
        canvas.entry_schedule,
        &canvas.entry_triggers,
        problems,
    );
    triggers(&path.key("exit_events"), &canvas.exit_events, problems);
    trigger_attribute_in_audience(path, &canvas.entry_triggers, &canvas.audience, problems);
    if canvas.steps.is_empty() {
        problems.push(Diagnostic::error(
            path.key("name"),
            format!("canvas `{}` has no steps", canvas.name),
            "add a [[canvases.steps]] table",
        ));
        return;
    }
    if canvas.steps.len() > MAX_STEPS {
        problems.push(Diagnostic::error(
            path.key("steps"),
            format!(
                "canvas `{}` has {} steps; a canvas holds at most {MAX_STEPS}",
                canvas.name,
                canvas.steps.len()
            ),
            "split the journey into several canvases",
        ));
    }
    let mut positions: HashMap<&str, usize> = HashMap::new();
    for (index, step) in canvas.steps.iter().enumerate() {
        if positions.insert(step.name(), index).is_some() {
            problems.push(Diagnostic::error(
                path.key("steps").index(index).key("name"),
                format!(
                    "step `{}` is declared twice in canvas `{}`",
                    step.name(),
                    canvas.name
                ),
                "give each step its own name",
            ));
        }
    }
    let step_names = || canvas.steps.iter().map(Step::name);
    let first = canvas.first_step_name().unwrap_or_default();
    if !positions.contains_key(first) {
        problems.push(Diagnostic::error(
            path.key("first_step"),
            format!(
                "first_step `{first}` is not a step of canvas `{}`",
                canvas.name
            ),
            known("use one of", step_names()),
        ));
        return;
    }
    for (index, step) in canvas.steps.iter().enumerate() {
        let step_path = path.key("steps").index(index);
        step_rules(&step_path, step, config, problems);
        for (field, target) in next_fields(step) {
            if !positions.contains_key(target) {
                problems.push(Diagnostic::error(
                    field_path(&step_path, &field),
                    format!(
                        "step `{}` connects to `{}`, which is not a step of this canvas",
                        step.name(),
                        target
                    ),
                    known("connect it to one of", step_names()),
                ));
            }
        }
    }
    reachability(path, canvas, &positions, first, problems);
}

/// Where a `next` is written: a step field (`next`, `yes`, `everyone_else`) or a group's `next`.
enum NextField {
    Step(&'static str),
    Group(usize),
}

fn field_path(step_path: &ConfigPath, field: &NextField) -> ConfigPath {
    match field {
        NextField::Step(name) => step_path.key(name),
        NextField::Group(index) => step_path.key("groups").index(*index).key("next"),
    }
}

fn next_fields(step: &Step) -> Vec<(NextField, &str)> {
    let candidates: Vec<(NextField, Option<&str>)> = match step {
        Step::AudiencePaths(paths) => {
            let mut fields = group_nexts(paths.groups.iter().map(|group| group.next.as_deref()));
            fields.push((
                NextField::Step("everyone_else"),
                paths.everyone_else.as_deref(),
            ));
            fields
        }
        Step::ActionPaths(paths) => {
            let mut fields = group_nexts(paths.groups.iter().map(|group| group.next.as_deref()));
            fields.push((
                NextField::Step("everyone_else"),
                paths.everyone_else.as_deref(),
            ));
            fields
        }
        Step::DecisionSplit(split) => vec![
            (NextField::Step("yes"), split.yes.as_deref()),
            (NextField::Step("no"), split.no.as_deref()),
        ],
        Step::UserUpdate(step) => vec![(NextField::Step("next"), step.next.as_deref())],
        Step::Message(step) => vec![(NextField::Step("next"), step.next.as_deref())],
        Step::Delay(step) => vec![(NextField::Step("next"), step.next.as_deref())],
    };
    candidates
        .into_iter()
        .filter_map(|(field, next)| next.map(|next| (field, next)))
        .collect()
}

fn group_nexts<'a>(
    nexts: impl Iterator<Item = Option<&'a str>>,
) -> Vec<(NextField, Option<&'a str>)> {
    nexts
        .enumerate()
        .map(|(index, next)| (NextField::Group(index), next))
        .collect()
}

fn step_rules(path: &ConfigPath, step: &Step, config: &Config, problems: &mut Vec<Diagnostic>) {
    match step {
        Step::AudiencePaths(paths) => {
            if paths.groups.len() + 1 > MAX_AUDIENCE_GROUPS {
                problems.push(Diagnostic::error(
                    path.key("groups"),
                    format!(
                        "Audience Paths `{}` has {} groups plus Everyone Else; at most {MAX_AUDIENCE_GROUPS} groups are allowed",
                        paths.name,
                        paths.groups.len()
                    ),
                    format!("keep at most {} groups (Everyone Else is the last of the {MAX_AUDIENCE_GROUPS})", MAX_AUDIENCE_GROUPS - 1),
                ));
            }
            if paths.groups.is_empty() {
                problems.push(Diagnostic::error(
                    path.key("groups"),
                    format!("Audience Paths `{}` has no groups", paths.name),
                    "add at least one group with filters",
                ));
            }
            for (index, group) in paths.groups.iter().enumerate() {
                if group.filters.is_empty() {
                    problems.push(Diagnostic::warning(
                        path.key("groups").index(index).key("filters"),
                        format!("group `{}` has no filters, so it takes every user and the groups after it never run", group.name),
                        "add filters to the group",
                    ));
                }
            }
        }
        Step::DecisionSplit(split) if split.filters.is_empty() => problems.push(Diagnostic::error(
            path.key("filters"),
            format!("Decision Split `{}` has no filters", split.name),
            "add at least one filter",
        )),
        Step::DecisionSplit(_) => {}
        Step::UserUpdate(update) => {
            if update.updates.is_empty() && update.json.is_none() {
                problems.push(Diagnostic::error(
                    path.key("name"),
                    format!("User Update `{}` changes nothing", update.name),
                    "add updates = [...] or json = '''...'''",
                ));
            }
            if update
                .json
                .as_ref()
                .is_some_and(|json| json.chars().count() > MAX_COMPOSER_CHARS)
            {
                problems.push(Diagnostic::error(
                    path.key("json"),
                    format!("the JSON composer is longer than {MAX_COMPOSER_CHARS} characters"),
                    "split the update across several User Update steps",
                ));
            }
        }
        Step::Message(message) => {
            if config.template(&message.template).is_none() {
                problems.push(unknown_template(
                    path.key("template"),
                    &message.template,
                    config,
                ));
            }
        }
        Step::Delay(_) => {}
        Step::ActionPaths(paths) => {
            if paths.groups.is_empty() || paths.groups.len() > MAX_ACTION_GROUPS {
                problems.push(Diagnostic::error(
                    path.key("groups"),
                    format!(
                        "Action Paths `{}` has {} action groups",
                        paths.name,
                        paths.groups.len()
                    ),
                    format!("use 1 to {MAX_ACTION_GROUPS} action groups"),
                ));
            }
            if paths.window.seconds() > MAX_ACTION_WINDOW_SECONDS {
                problems.push(Diagnostic::error(
                    path.key("window"),
                    "the evaluation window is longer than 31 days",
                    "use a window of at most \"31d\"",
                ));
            }
            for (index, group) in paths.groups.iter().enumerate() {
                let group_path = path.key("groups").index(index);
                if group.triggers.is_empty() {
                    problems.push(Diagnostic::error(
                        group_path.key("triggers"),
                        format!("action group `{}` has no trigger actions", group.name),
                        "add triggers = [{ type = \"perform_custom_event\", event = \"...\" }]",
                    ));
                }
                triggers(&group_path.key("triggers"), &group.triggers, problems);
            }
        }
    }
}

/// Every step must be reachable from the first one, and no path may loop.
fn reachability(
    path: &ConfigPath,
    canvas: &Canvas,
    positions: &HashMap<&str, usize>,
    first: &str,
    problems: &mut Vec<Diagnostic>,
) {
    let successors = |name: &str| -> Vec<&str> {
        positions
            .get(name)
            .and_then(|index| canvas.steps.get(*index))
            .map(|step| {
                step.paths()
                    .into_iter()
                    .filter_map(|(_, next)| next)
                    .filter(|next| positions.contains_key(next))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut reached: HashSet<&str> = HashSet::from([first]);
    let mut queue = vec![first];
    while let Some(name) = queue.pop() {
        for next in successors(name) {
            if reached.insert(next) {
                queue.push(next);
            }
        }
    }
    for (index, step) in canvas.steps.iter().enumerate() {
        if !reached.contains(step.name()) {
            problems.push(Diagnostic::error(
                path.key("steps").index(index).key("name"),
                format!(
                    "step `{}` is unreachable from the first step `{first}`",
                    step.name()
                ),
                "connect a path to it with next = \"...\", or remove it",
            ));
        }
    }
    // Kahn's algorithm over the reachable steps: whatever cannot be ordered lies on a loop.
    let mut incoming: HashMap<&str, usize> = reached.iter().map(|name| (*name, 0)).collect();
    for name in &reached {
        let unique: HashSet<&str> = successors(name).into_iter().collect();
        for next in unique {
            *incoming.entry(next).or_default() += 1;
        }
    }
    let mut ready: Vec<&str> = incoming
        .iter()
        .filter(|(_, count)| **count == 0)
        .map(|(name, _)| *name)
        .collect();
    while let Some(name) = ready.pop() {
        incoming.remove(name);
        let unique: HashSet<&str> = successors(name).into_iter().collect();
        for next in unique {
            if let Some(count) = incoming.get_mut(next) {
                *count -= 1;
                if *count == 0 {
                    ready.push(next);
                }
            }
        }
    }
    let looping = canvas
        .steps
        .iter()
        .enumerate()
        .find(|(_, step)| incoming.contains_key(step.name()));
    if let Some((index, step)) = looping {
        problems.push(Diagnostic::error(
            path.key("steps").index(index).key("name"),
            format!(
                "step `{}` is on a path that loops back on itself",
                step.name()
            ),
            "end the path or connect it to a later step; a canvas cannot loop",
        ));
    }
}
