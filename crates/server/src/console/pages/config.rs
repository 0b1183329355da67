//! `/console/config`: the configuration page (being built).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use maud::{Markup, html};

use super::widgets::console;
use crate::console::error::ConsoleError;
use crate::console::layout::{self, Section};
use crate::console::session::Operator;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/config", get(page))
}

async fn page(State(state): State<AppState>, operator: Operator) -> Result<Markup, ConsoleError> {
    console(&state)?;
    let body = html! { p { "Configuration" } };
    Ok(layout::page(
        "Configuration",
        Section::Config,
        &operator,
        body,
    ))
}
