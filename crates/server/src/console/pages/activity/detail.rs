//! `GET /console/log/{id}`: one entry: its facts, what went wrong, the request and the
//! response as kept, every attempt of its send (oldest first), and its replay. Two indexed
//! reads: the entry by id, the attempts by send id.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Utc};
use leadwire_core::activity::ActivityEntry;
use leadwire_store::ActivityQuery;
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::links::{self, Names};
use super::{exchange, replay};
use crate::console::error::ConsoleError;
use crate::console::layout::{self, Section};
use crate::console::pages::paths;
use crate::console::pages::widgets::{badge, console, when};
use crate::console::session::Operator;
use crate::state::AppState;

/// The most attempts of one send listed on an entry's page.
const MAX_ATTEMPTS: u32 = 100;

/// The entry page's query string: the send a replay just enqueued, to name it.
#[derive(Debug, Default, Deserialize)]
pub struct EntryParams {
    replayed: Option<String>,
}

/// The entry id of a console path, or a 404 that says what an id looks like.
pub fn entry_id(text: &str) -> Result<Uuid, ConsoleError> {
    text.parse().map_err(|_| {
        ConsoleError::NotFound(format!(
            "activity entry `{text}` (an entry id is a UUID; open entries from the log)"
        ))
    })
}

/// Entry `id`, or a 404 naming it.
pub async fn load(state: &AppState, id: Uuid) -> Result<ActivityEntry, ConsoleError> {
    state.store.activity_entry(id).await?.ok_or_else(|| {
        ConsoleError::NotFound(format!("activity entry {id} (it may have been pruned)"))
    })
}

pub async fn page(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    params: Result<Query<EntryParams>, QueryRejection>,
) -> Result<Markup, ConsoleError> {
    let config = console(&state)?.context.config.clone();
    let entry = load(&state, entry_id(&id)?).await?;
    let attempts = attempts(&state, entry.send_id).await?;
    let replayed = params
        .ok()
        .and_then(|Query(params)| params.replayed)
        .and_then(|text| text.parse::<Uuid>().ok());
    let now = Utc::now();
    let names = Names::of(&config);
    let body = html! {
        @if let Some(send_id) = replayed {
            p.notice #replayed role="status" {
                "Replayed as the new send " code { (send_id) } ". "
                a href=(paths::send_activity(send_id)) { "Follow it in the log" }
            }
        }
        (facts(&entry, &names, now))
        (exchange::error(&entry))
        section aria-labelledby="request-heading" {
            h2 #request-heading { "Request" }
            (exchange::request(entry.request.as_ref()))
        }
        section aria-labelledby="response-heading" {
            h2 #response-heading { "Response" }
            (exchange::response(entry.response.as_ref()))
        }
        (attempt_table(&entry, &attempts, now))
        (replay::section(&entry, &operator, &config))
    };
    let title = format!("Log entry {}", entry.id);
    Ok(layout::page(&title, Section::Activity, &operator, body))
}

/// Every attempt of `send_id`, oldest first.
async fn attempts(state: &AppState, send_id: Uuid) -> Result<Vec<ActivityEntry>, ConsoleError> {
    let query = ActivityQuery {
        send_id: Some(send_id),
        limit: MAX_ATTEMPTS,
        ..ActivityQuery::default()
    };
    let mut attempts = state.store.activity(&query).await?.entries;
    attempts.reverse();
    Ok(attempts)
}

fn facts(entry: &ActivityEntry, names: &Names, now: DateTime<Utc>) -> Markup {
    html! {
        dl.facts #facts {
            dt { "Type" } dd { (badge(entry.activity_type)) }
            dt { "Time" } dd { (when(entry.time, now)) }
            dt { "Template" } dd { (links::template(&entry.template)) }
            dt { "Sent by" } dd { (names.source(&entry.source)) }
            dt { "User" } dd {
                (links::user(entry))
                @if entry.external_id.is_some() { " " span.muted { "(internal id " code { (entry.user_id) } ")" } }
            }
            dt { "Send id" } dd { a #send-id href=(paths::send_activity(entry.send_id)) { code { (entry.send_id) } } }
            dt { "Attempt" } dd { (entry.attempt) }
            dt { "Status" } dd #status { @match entry.status { Some(status) => (status), None => span.muted { "none (no request)" } } }
            dt { "Duration" } dd { (entry.duration_ms) " ms" }
            dt { "Entry id" } dd { code { (entry.id) } }
        }
    }
}

fn attempt_table(entry: &ActivityEntry, attempts: &[ActivityEntry], now: DateTime<Utc>) -> Markup {
    html! {
        section aria-labelledby="attempts-heading" {
            h2 #attempts-heading { "Attempts of this send" }
            div.scroll { table #attempts {
                caption.muted { "Oldest first." @if attempts.len() == MAX_ATTEMPTS as usize { " Only the latest " (MAX_ATTEMPTS) " are listed." } }
                thead { tr {
                    th.num scope="col" { "Attempt" } th scope="col" { "Time" } th scope="col" { "Type" }
                    th.num scope="col" { "Status" } th.num scope="col" { "Duration" } th scope="col" { "Message" }
                } }
                tbody { @for each in attempts {
                    tr data-id=(each.id) aria-current=[(each.id == entry.id).then_some("true")] {
                        td.num { (each.attempt) }
                        td { a href=(paths::activity_entry(each.id)) { (when(each.time, now)) } }
                        td { (badge(each.activity_type)) }
                        td.num { @if let Some(status) = each.status { (status) } }
                        td.num { (each.duration_ms) " ms" }
                        td { (super::rows::short(&each.message)) }
                    }
                } }
            } }
        }
    }
}
