//! `/console/users`: find a user by any of their identifiers (one match opens the profile),
//! and `/console/users/{id}`: one profile with its history, journeys and messages.

mod journeys;
mod profile;
pub mod search;
mod sections;

use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;

use super::paths;
use super::widgets::console;
use crate::console::error::ConsoleError;
use crate::console::layout::{self, Section};
use crate::console::session::Operator;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/users", get(search_page))
        .route("/console/users/{user_id}", get(profile::page))
}

#[derive(Debug, Default, Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn search_page(
    State(state): State<AppState>,
    operator: Operator,
    Query(query): Query<SearchQuery>,
) -> Result<Response, ConsoleError> {
    console(&state)?;
    let text = query.q.trim();
    if text.is_empty() {
        return Ok(page(&operator, "", None).into_response());
    }
    match search::find(state.store.as_ref(), text).await? {
        (Some(profile), _) => Ok(Redirect::to(&paths::user(profile.id)).into_response()),
        (None, searched) => Ok(page(&operator, text, Some(&searched)).into_response()),
    }
}

fn page(operator: &Operator, text: &str, missed: Option<&search::Searched>) -> Markup {
    let body = html! {
        form.filters role="search" method="get" action="/console/users" {
            label for="q" {
                "User"
                input #q type="search" name="q" value=(text) required autofocus[text.is_empty()]
                    aria-describedby="search-help" data-testid="user-search";
            }
            button type="submit" { "Find" }
        }
        @if let Some(searched) = missed {
            p.error role="alert" data-testid="no-user" {
                "No user has " (searched.summary()) "."
            }
        }
        div #search-help {
            p { "Type one identifier; its kind is read from how it looks:" }
            ul {
                li { "an external_id, e.g. " code { "00Q5e00000AbCdEFGH" } }
                li { "an email address (any case), e.g. " code { "ada@example.com" } }
                li { "a phone number as it was stored: digits, with an optional leading " code { "+" } }
                li { "a user alias as " code { "label:name" } ", e.g. " code { "crm:42" } }
                li { "a braze_id (leadwire's internal UUID), e.g. from an activity entry" }
            }
            p.muted { "When a phone, email, alias or UUID finds no one, the same text is tried as an external_id. Users come from " code { "POST /users/track" } "." }
        }
    };
    layout::page("Users", Section::Users, operator, body)
}
