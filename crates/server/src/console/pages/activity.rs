//! `/console/log`: the message activity log, newest first (being built).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::Utc;
use leadwire_store::ActivityQuery;
use maud::{Markup, html};

use super::widgets::{badge, console, empty, when};
use crate::console::error::ConsoleError;
use crate::console::layout::{self, Section};
use crate::console::session::Operator;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/log", get(page))
}

async fn page(State(state): State<AppState>, operator: Operator) -> Result<Markup, ConsoleError> {
    console(&state)?;
    let now = Utc::now();
    let query = ActivityQuery {
        limit: 50,
        ..ActivityQuery::default()
    };
    let entries = state.store.activity(&query).await?.entries;
    let body = html! {
        @if entries.is_empty() {
            (empty("No sends yet: post a user with an email to /users/track"))
        } @else {
            div.scroll { table #log {
                thead { tr { th { "Time" } th { "Type" } th { "Template" } th { "User" } th.num { "Status" } th { "Message" } } }
                tbody { @for entry in &entries { tr {
                    td { (when(entry.time, now)) }
                    td { (badge(entry.activity_type)) }
                    td { (entry.template) }
                    td { (entry.external_id.as_deref().unwrap_or("")) }
                    td.num { @if let Some(status) = entry.status { (status) } }
                    td { (entry.message) }
                } } }
            } }
        }
    };
    Ok(layout::page(
        "Activity log",
        Section::Activity,
        &operator,
        body,
    ))
}
