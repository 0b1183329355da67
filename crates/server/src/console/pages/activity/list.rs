//! `GET /console/log`: one page of the log, newest first (read by `window`), with the
//! filter form, the live tail's switch, and the Newer, Newest and Older links, which keep
//! the filters. No page numbers and no count.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use leadwire_store::ActivityCursor;
use maud::{Markup, html};
use serde::Deserialize;

use super::links::{Names, query};
use super::window::{Position, Window, window};
use super::{form, rows, tail};
use crate::activity_filter::{ActivityFilter, FilterError, cursor};
use crate::console::error::ConsoleError;
use crate::console::layout::{self, Section};
use crate::console::pages::widgets::{console, empty};
use crate::console::session::Operator;
use crate::state::AppState;

/// The page's query string: the filters, at most one cursor, and the live tail switch.
#[derive(Debug, Default, Deserialize)]
pub struct LogParams {
    #[serde(flatten)]
    pub filter: ActivityFilter,
    pub before: Option<String>,
    pub after: Option<String>,
    pub live: Option<String>,
}

impl LogParams {
    fn live(&self) -> bool {
        self.live.as_deref() == Some("1")
    }

    fn position(&self) -> Result<Position, FilterError> {
        let given = |value: &Option<String>| value.clone().filter(|text| !text.is_empty());
        match (given(&self.before), given(&self.after)) {
            (None, None) => Ok(Position::Newest),
            (Some(text), None) => Ok(Position::Before(cursor("before", &text)?)),
            (None, Some(text)) => Ok(Position::After(cursor("after", &text)?)),
            (Some(_), Some(_)) => Err(FilterError {
                field: "after",
                message: "give either `before` (older entries) or `after` (newer entries), not both; follow the Older and Newer links".into(),
            }),
        }
    }
}

pub async fn page(
    State(state): State<AppState>,
    operator: Operator,
    params: Result<Query<LogParams>, QueryRejection>,
) -> Result<Response, ConsoleError> {
    let config = console(&state)?.context.config.clone();
    let params = match params {
        Ok(Query(params)) => params,
        Err(rejection) => {
            let message = format!(
                "the query string is invalid: {}; filters are type, campaign, canvas, step, user, status, since and send_id",
                rejection.body_text()
            );
            let filters = form::filters(&ActivityFilter::default(), &config, false, None);
            let body = html! { (filters) (problem(&message)) };
            return Ok(bad_request(&operator, body));
        }
    };
    let live = params.live();
    let request = params
        .filter
        .query()
        .and_then(|query| Ok((query, params.position()?)));
    let (query, position) = match request {
        Ok(request) => request,
        Err(error) => {
            let filters = form::filters(&params.filter, &config, live, Some(error.field));
            let body = html! { (filters) (problem(&error.message)) };
            return Ok(bad_request(&operator, body));
        }
    };
    let filters = form::filters(&params.filter, &config, live, None);
    let window = window(state.store.as_ref(), query, position).await?;
    let now = Utc::now();
    let names = Names::of(&config);
    let newest = matches!(position, Position::Newest);
    let body = html! {
        (filters)
        @if newest { (tail::switch(&params.filter, &window, live)) }
        @if !window.entries.is_empty() || (newest && live) {
            (rows::table(&window.entries, &names, now))
        }
        @if window.entries.is_empty() { div #log-empty { (nothing(&params.filter, position)) } }
        (pager(&params.filter, &window))
    };
    let page = layout::page("Activity log", Section::Activity, &operator, body);
    Ok(page.into_response())
}

/// A 400 page of the log with `body` (the form and what is wrong).
fn bad_request(operator: &Operator, body: Markup) -> Response {
    let page = layout::page("Activity log", Section::Activity, operator, body);
    (StatusCode::BAD_REQUEST, page).into_response()
}

fn problem(message: &str) -> Markup {
    html! { p.error #filter-error role="alert" { (message) " (change the filter above and submit it again)" } }
}

/// What an empty page says, and what to do about it.
fn nothing(filter: &ActivityFilter, position: Position) -> Markup {
    let message = match position {
        Position::Before(_) => "No older entries match.",
        Position::After(_) => "No newer entries match.",
        Position::Newest if filter.pairs().is_empty() => {
            "No sends yet: post a user with an email to /users/track"
        }
        Position::Newest => "No entries match these filters; clear or widen them.",
    };
    empty(message)
}

/// The Newer, Newest and Older links, keeping the filters.
fn pager(filter: &ActivityFilter, window: &Window) -> Markup {
    let link = |direction: &str, at: ActivityCursor| {
        let mut pairs = filter.pairs();
        let at = at.to_string();
        pairs.push((direction, &at));
        format!("/console/log?{}", query(&pairs))
    };
    html! {
        nav.pager aria-label="Pages of the log" {
            @if let Some(at) = window.newer {
                a #newer rel="prev" href=(link("after", at)) { "← Newer" }
                a #newest href={ "/console/log" @if !filter.pairs().is_empty() { "?" (query(&filter.pairs())) } } { "Newest" }
            }
            @if let Some(at) = window.older {
                a #older rel="next" href=(link("before", at)) { "Older →" }
            }
        }
    }
}
