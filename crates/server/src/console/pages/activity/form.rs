//! The log's filter form: a GET form with every filter of `GET /activity` plus the send id,
//! showing the values it was submitted with; the campaign, canvas and step fields suggest
//! the names in the loaded config.

use leadwire_core::activity::ActivityType;
use leadwire_core::config::Config;
use maud::{Markup, html};

use crate::activity_filter::ActivityFilter;

/// The form, filled with `filter`; `live` keeps the live tail on across a submit, and the
/// field named `invalid` is marked as the one the error message is about.
pub fn filters(
    filter: &ActivityFilter,
    config: &Config,
    live: bool,
    invalid: Option<&str>,
) -> Markup {
    let field = |name: &'static str, value: &Option<String>| Field {
        name,
        value: value.clone().unwrap_or_default(),
        invalid: invalid == Some(name),
    };
    let chosen = filter.kind.as_deref().unwrap_or_default();
    let type_invalid = invalid == Some("type");
    html! {
        form.filters #filters method="get" action="/console/log" role="search" aria-label="Filter the log" {
            label for="f-type" { "Type"
                select #f-type name="type" aria-invalid=[type_invalid.then_some("true")] aria-describedby=[type_invalid.then_some("filter-error")] {
                    option value="" selected[chosen.is_empty()] { "any type" }
                    @for kind in ActivityType::ALL {
                        option value=(kind.as_str()) selected[chosen == kind.as_str()] { (kind.as_str()) }
                    }
                    @if !chosen.is_empty() && ActivityType::parse(chosen).is_none() {
                        option value=(chosen) selected { (chosen) }
                    }
                }
            }
            (text("Campaign", &field("campaign", &filter.campaign), Some("campaign-names")))
            (text("Canvas", &field("canvas", &filter.canvas), Some("canvas-names")))
            (text("Step", &field("step", &filter.step), Some("step-names")))
            (text("User (external or internal id)", &field("user", &filter.user), None))
            (text("Status", &field("status", &filter.status), None))
            (text("Since (UTC, 2026-11-29T10:00:00Z)", &field("since", &filter.since), None))
            (text("Send id", &field("send_id", &filter.send_id), None))
            @if live { input type="hidden" name="live" value="1"; }
            button type="submit" { "Filter" }
            a href="/console/log" { "Clear filters" }
        }
        (suggestions(config))
    }
}

/// A text field of the form: its query parameter, its value, and whether it is wrong.
struct Field {
    name: &'static str,
    value: String,
    invalid: bool,
}

fn text(label: &str, field: &Field, list: Option<&str>) -> Markup {
    let id = format!("f-{}", field.name);
    html! {
        label for=(id) { (label)
            input #(id) type="text" name=(field.name) value=(field.value) list=[list]
                aria-invalid=[field.invalid.then_some("true")]
                aria-describedby=[field.invalid.then_some("filter-error")];
        }
    }
}

/// The names the campaign, canvas and step fields suggest.
fn suggestions(config: &Config) -> Markup {
    let mut steps: Vec<&str> = config
        .canvases
        .iter()
        .flat_map(|canvas| canvas.steps.iter().map(|step| step.name()))
        .collect();
    steps.sort_unstable();
    steps.dedup();
    html! {
        datalist #campaign-names { @for campaign in &config.campaigns { option value=(campaign.name) {} } }
        datalist #canvas-names { @for canvas in &config.canvases { option value=(canvas.name) {} } }
        datalist #step-names { @for step in steps { option value=(step) {} } }
    }
}
