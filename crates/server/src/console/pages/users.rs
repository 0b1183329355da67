//! `/console/users`: the users page (being built).

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
    Router::new().route("/console/users", get(page))
}

async fn page(State(state): State<AppState>, operator: Operator) -> Result<Markup, ConsoleError> {
    console(&state)?;
    let body = html! { p { "Users" } };
    Ok(layout::page("Users", Section::Users, &operator, body))
}
