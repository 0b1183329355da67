//! The console's pages; each module owns its routes.

mod activity;
mod campaigns;
mod canvas_graph;
mod canvases;
mod chart;
mod config;
mod describe;
mod outcomes;
mod overview;
pub mod paths;
mod recent;
pub mod salesforce;
mod templates;
pub mod users;
pub mod widgets;

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(overview::routes())
        .merge(activity::routes())
        .merge(campaigns::routes())
        .merge(canvases::routes())
        .merge(users::routes())
        .merge(templates::routes())
        .merge(config::routes())
}
