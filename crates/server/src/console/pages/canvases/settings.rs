//! A canvas's settings and a step's configuration in words: entry, audience, re-entry and
//! exit criteria; each step kind's filters, groups, updates, template, delay or window,
//! with its next steps as links.

use leadwire_core::canvas::{ActionPaths, AudiencePaths, Canvas, Step, UserUpdateStep};
use maud::{Markup, html};

use super::{entry, step_href};
use crate::console::pages::describe;
use crate::console::pages::paths;

pub fn canvas(canvas: &Canvas) -> Markup {
    html! {
        dl.facts data-testid="canvas-settings" {
            dt { "API id" } dd { code { (canvas.api_id()) } }
            dt { "Entry" } dd { (entry(canvas)) }
            dt { "Audience" } dd { (describe::filters(&canvas.audience, "all users")) }
            dt { "Re-entry" } dd {
                @match canvas.allow_reentry_after {
                    Some(wait) if wait.seconds() == 0 => "on every trigger",
                    Some(wait) => { "again " (describe::interval(wait)) " after the last entry" },
                    None => "once per user",
                }
            }
            dt { "Exit when a user does" } dd { (describe::triggers(&canvas.exit_events)) }
            dt { "First step" } dd { (canvas.first_step_name().unwrap_or("none")) }
        }
    }
}

/// Where a path leads: a link to its step, or the exit.
pub fn next(canvas: &Canvas, target: Option<&str>) -> Markup {
    match target.and_then(|name| canvas.step(name)) {
        Some(step) => html! { a href=(step_href(canvas, step)) { (step.name()) } },
        None => html! { span.muted { "exit the canvas" } },
    }
}

/// The step's configuration.
pub fn step(canvas: &Canvas, step: &Step) -> Markup {
    html! {
        dl.facts data-testid="step-settings" {
            dt { "Kind" } dd { (describe::step_kind(step)) }
            @match step {
                Step::AudiencePaths(paths) => (audience_paths(canvas, paths)),
                Step::DecisionSplit(split) => {
                    dt { "Yes when" } dd { (describe::filters(&split.filters, "no filters")) }
                    dt { "Yes" } dd { (next(canvas, split.yes.as_deref())) }
                    dt { "No" } dd { (next(canvas, split.no.as_deref())) }
                },
                Step::UserUpdate(update) => (user_update(canvas, update)),
                Step::Message(message) => {
                    dt { "Template" } dd { a href=(paths::template(&message.template)) { (message.template) } }
                    dt { "Delivery validations" } dd { (describe::filters(&message.delivery_validations, "none")) }
                    dt { "Next" } dd { (next(canvas, message.next.as_deref())) }
                },
                Step::Delay(delay) => {
                    dt { "Wait" } dd { (describe::interval(delay.duration)) }
                    dt { "Next" } dd { (next(canvas, delay.next.as_deref())) }
                },
                Step::ActionPaths(paths) => (action_paths(canvas, paths)),
            }
        }
    }
}

fn audience_paths(canvas: &Canvas, paths: &AudiencePaths) -> Markup {
    html! {
        dt { "Groups, in priority order" }
        dd { div.scroll { table {
            thead { tr { th scope="col" { "Group" } th scope="col" { "Users who match" } th scope="col" { "Next" } } }
            tbody {
                @for group in &paths.groups {
                    tr { th scope="row" { (group.name) } td { (describe::filters(&group.filters, "everyone")) } td { (next(canvas, group.next.as_deref())) } }
                }
                tr { th scope="row" { (leadwire_core::canvas::EVERYONE_ELSE) } td.muted { "everyone who matched no group" } td { (next(canvas, paths.everyone_else.as_deref())) } }
            }
        } } }
    }
}

fn action_paths(canvas: &Canvas, paths: &ActionPaths) -> Markup {
    html! {
        dt { "Window" } dd { (describe::interval(paths.window)) }
        dt { "Advance" } dd {
            @if paths.ranked { "when the window ends, down the highest-ranked group with a matching action" }
            @else { "at the first matching action" }
        }
        dt { "Action groups, in rank order" }
        dd { div.scroll { table {
            thead { tr { th scope="col" { "Group" } th scope="col" { "Actions" } th scope="col" { "Next" } } }
            tbody {
                @for group in &paths.groups {
                    tr { th scope="row" { (group.name) } td { (describe::triggers(&group.triggers)) } td { (next(canvas, group.next.as_deref())) } }
                }
                tr { th scope="row" { (leadwire_core::canvas::EVERYONE_ELSE) } td.muted { "no matching action in the window" } td { (next(canvas, paths.everyone_else.as_deref())) } }
            }
        } } }
    }
}

fn user_update(canvas: &Canvas, update: &UserUpdateStep) -> Markup {
    html! {
        @if !update.updates.is_empty() {
            dt { "Updates" }
            dd { div.scroll { table {
                thead { tr { th scope="col" { "Attribute" } th scope="col" { "Action" } th scope="col" { "Value" } } }
                tbody { @for each in &update.updates {
                    tr { th scope="row" { code { (each.attribute) } } td { (describe::update_action(each.action)) } td { code { (each.value) } } }
                } }
            } } }
        }
        @if let Some(json) = &update.json {
            dt { "JSON composer" } dd { pre { (json) } }
        }
        dt { "Next" } dd { (next(canvas, update.next.as_deref())) }
    }
}
