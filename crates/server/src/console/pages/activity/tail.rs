//! The live tail of the log's newest page: with `live=1`, htmx asks `GET /console/log/tail`
//! every 5 seconds for the entries after the newest one shown, and puts them at the top of
//! the table. Each answer carries the next poll (with its new cursor) out of band; nothing
//! new is a 204, which htmx leaves alone. Without JavaScript the page is the plain newest
//! page, to reload by hand.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use leadwire_store::ActivityCursor;
use maud::{Markup, html};
use serde::Deserialize;

use super::links::{Names, query};
use super::rows;
use super::window::{Position, Window, window};
use crate::activity_filter::{ActivityFilter, cursor};
use crate::console::error::ConsoleError;
use crate::console::pages::widgets::console;
use crate::console::session::Operator;
use crate::state::AppState;

/// The tail's query string: the page's filters and the newest entry already shown.
#[derive(Debug, Default, Deserialize)]
pub struct TailParams {
    #[serde(flatten)]
    filter: ActivityFilter,
    after: Option<String>,
}

/// The switch that turns the tail on or off (a plain link), and the poller when it is on.
pub fn switch(filter: &ActivityFilter, window: &Window, live: bool) -> Markup {
    let mut pairs = filter.pairs();
    if !live {
        pairs.push(("live", "1"));
    }
    let href = match pairs.is_empty() {
        true => "/console/log".to_owned(),
        false => format!("/console/log?{}", query(&pairs)),
    };
    let newest = window.entries.first().map(ActivityCursor::of);
    html! {
        p.live {
            @if live {
                "Live tail is on: new entries appear at the top every 5 seconds. "
                a #live-toggle href=(href) { "Turn it off" }
                noscript { " (it needs JavaScript; reload the page to see new entries)" }
            } @else {
                a #live-toggle href=(href) { "Turn the live tail on" }
            }
        }
        @if live { (poller(filter, newest, false)) }
    }
}

/// The element that polls for entries after `after`; `out_of_band` when it replaces the
/// one that asked.
fn poller(filter: &ActivityFilter, after: Option<ActivityCursor>, out_of_band: bool) -> Markup {
    let mut pairs = filter.pairs();
    let after = after.map(|at| at.to_string());
    if let Some(after) = &after {
        pairs.push(("after", after));
    }
    html! {
        div #log-tail data-testid="log-tail" hidden
            hx-get={ "/console/log/tail?" (query(&pairs)) }
            hx-trigger="every 5s" hx-target="#log-rows" hx-swap="afterbegin"
            hx-swap-oob=[out_of_band.then_some("true")] {}
    }
}

/// `GET /console/log/tail`: the rows newer than `after` (the newest page's rows when it is
/// absent, as on an empty log), newest first, and the next poll.
pub async fn rows(
    State(state): State<AppState>,
    _operator: Operator,
    params: Result<Query<TailParams>, QueryRejection>,
) -> Result<Response, ConsoleError> {
    let config = console(&state)?.context.config.clone();
    let Query(params) =
        params.map_err(|rejection| ConsoleError::BadRequest(rejection.body_text()))?;
    let invalid =
        |error: crate::activity_filter::FilterError| ConsoleError::BadRequest(error.message);
    let query = params.filter.query().map_err(invalid)?;
    let position = match params.after.as_deref().filter(|text| !text.is_empty()) {
        Some(text) => Position::After(cursor("after", text).map_err(invalid)?),
        None => Position::Newest,
    };
    let window = window(state.store.as_ref(), query, position).await?;
    // The newest row sent; more than a page since the last poll, and the next poll takes
    // the rest.
    let Some(next) = window.entries.first().map(ActivityCursor::of) else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let names = Names::of(&config);
    let was_empty = matches!(position, Position::Newest);
    Ok(html! {
        (rows::rows(&window.entries, &names, Utc::now()))
        (poller(&params.filter, Some(next), true))
        @if was_empty { div #log-empty hx-swap-oob="delete" {} }
    }
    .into_response())
}
