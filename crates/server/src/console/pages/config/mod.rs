//! `/console/config`: the loaded configuration, read-only (config is code): where it came
//! from and when, what `leadwire check` warned about, the Salesforce connections' live
//! status, the domain config as a tree and the runtime settings. Secrets are never shown:
//! keys and client secrets appear by where they come from (an environment variable's
//! name, or "written in the file"), never by value.

mod runtime;
mod tree;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use maud::{Markup, html};

use super::salesforce;
use super::widgets::{console, when};
use crate::console::ConsoleContext;
use crate::console::error::ConsoleError;
use crate::console::layout::{self, Section};
use crate::console::session::Operator;
use crate::state::AppState;

/// What the page says when `check` found nothing.
pub const NO_WARNINGS: &str = "leadwire check found nothing to warn about";

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/config", get(page))
}

async fn page(State(state): State<AppState>, operator: Operator) -> Result<Markup, ConsoleError> {
    let console = console(&state)?;
    let context = &console.context;
    let now = Utc::now();
    let body = html! {
        section #source aria-labelledby="source-heading" {
            h2 #source-heading { "Source" }
            (source(context, now))
        }
        section #diagnostics aria-labelledby="diagnostics-heading" {
            h2 #diagnostics-heading { "Warnings" }
            (diagnostics(&context.diagnostics))
        }
        section aria-labelledby="salesforce-heading" {
            h2 #salesforce-heading { "Salesforce" }
            (salesforce::card(&state, now))
        }
        (tree::domain(&context.config))
        (runtime::settings(&state, &console.settings))
    };
    Ok(layout::page(
        "Configuration",
        Section::Config,
        &operator,
        body,
    ))
}

fn source(context: &ConsoleContext, now: DateTime<Utc>) -> Markup {
    html! {
        dl.facts {
            dt { "File" }
            dd data-testid="config-file" {
                @match &context.config_file {
                    Some(path) => code { (path.display()) },
                    None => span.muted { "none: the node runs on the compiled-in defaults" },
                }
            }
            dt { "Loaded" } dd { (when(context.loaded_at, now)) }
        }
        p.muted { "The configuration is read at start; change the file and restart the node to apply it." }
    }
}

fn diagnostics(warnings: &[String]) -> Markup {
    html! {
        @if warnings.is_empty() {
            p.notice { (NO_WARNINGS) }
        } @else {
            ul.warnings { @for warning in warnings { li { pre { (warning) } } } }
        }
    }
}
