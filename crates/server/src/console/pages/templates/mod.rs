//! `/console/templates`: the webhook templates of the config; each one's Liquid source, a
//! preview for a real user (rendered exactly as delivery would, without sending), and a
//! test send through the normal durable path.

mod form;
mod preview;
mod request;
mod source;
mod test_send;

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use leadwire_core::config::{Config, WebhookTemplate};
use maud::{Markup, html};

use super::paths;
use super::widgets::{console, empty};
use crate::console::error::ConsoleError;
use crate::console::layout::{self, Section};
use crate::console::session::Operator;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/templates", get(list))
        .route("/console/templates/{name}", get(preview::page))
        .route("/console/templates/{name}/preview", post(preview::render))
        .route("/console/templates/{name}/test", post(test_send::send))
        .route(
            "/console/templates/{name}/tests/{send_id}",
            get(test_send::sent),
        )
}

/// Why previews and test sends are off on a node without a delivery worker.
pub const NO_WORKER: &str = "This node runs no delivery worker (leadwire serve starts one when the config has webhook templates), so it can neither preview nor send a template.";

/// The template named `name`, or the page's 404.
pub fn find<'a>(config: &'a Config, name: &str) -> Result<&'a WebhookTemplate, ConsoleError> {
    config
        .template(name)
        .ok_or_else(|| ConsoleError::NotFound(format!("webhook template `{name}`")))
}

async fn list(State(state): State<AppState>, operator: Operator) -> Result<Markup, ConsoleError> {
    let config = &console(&state)?.context.config;
    let body = html! {
        @if config.webhook_templates.is_empty() {
            (empty("The config has no webhook templates: add a [[webhook_templates]] section (examples/salesforce-leads.toml has two) and restart the node."))
        } @else {
            div.scroll { table #templates {
                thead { tr {
                    th scope="col" { "Template" } th scope="col" { "Method" } th scope="col" { "URL" }
                    th scope="col" { "Connection" } th scope="col" { "Sent by" }
                } }
                tbody { @for template in &config.webhook_templates { tr {
                    th scope="row" { a href=(paths::template(&template.name)) { (template.name) } }
                    td { code { (template.method) } }
                    td { code.url { (template.url) } }
                    td { @match &template.connection { Some(name) => (name), None => span.muted { "none" } } }
                    td { (source::uses(config, &template.name)) }
                } } }
            } }
        }
    };
    Ok(layout::page(
        "Templates",
        Section::Templates,
        &operator,
        body,
    ))
}
