//! `/console/log`: the message activity log, newest first, filtered and paged by keyset
//! cursors (`list`, with an optional live tail in `tail`); `/console/log/{id}`: one entry,
//! its request and response and every attempt of its send (`detail`); and its replay
//! (`replay`). Every query is a keyset page on one of the log's indexes or a lookup by id
//! or send id; nothing counts the log.

mod detail;
mod exchange;
mod form;
pub mod links;
mod list;
mod replay;
mod rows;
mod tail;
mod window;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub use rows::short as short_message;

/// Rows on one page of the log.
const PAGE: u32 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/log", get(list::page))
        .route("/console/log/tail", get(tail::rows))
        .route("/console/log/{id}", get(detail::page))
        .route("/console/log/{id}/replay", post(replay::submit))
}
