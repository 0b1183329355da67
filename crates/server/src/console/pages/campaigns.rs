//! `/console/campaigns`: the campaigns page (being built).

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
    Router::new().route("/console/campaigns", get(page))
}

async fn page(State(state): State<AppState>, operator: Operator) -> Result<Markup, ConsoleError> {
    console(&state)?;
    let body = html! { p { "Campaigns" } };
    Ok(layout::page(
        "Campaigns",
        Section::Campaigns,
        &operator,
        body,
    ))
}
