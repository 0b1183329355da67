//! Replaying a failed or aborted send from its entry: the form on the entry's page, and
//! `POST /console/log/{id}/replay` (console.write), which enqueues a new send as
//! `POST /activity/{id}/replay` does and comes back to the entry naming the new send.
//!
//! A replay of a POST that creates a Salesforce Lead can make a duplicate when the original
//! reached Salesforce after all (a timeout leaves that unknown), so its form says so and asks
//! to be confirmed.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use leadwire_core::activity::{ActivityEntry, ActivityType};
use leadwire_core::config::Config;
use leadwire_engine::delivery::replay::{ReplayError, replay};
use maud::{Markup, html};
use serde::Deserialize;

use super::detail::{entry_id, load};
use super::links::template;
use crate::console::error::ConsoleError;
use crate::console::pages::paths;
use crate::console::pages::widgets::console;
use crate::console::session::Operator;
use crate::state::AppState;

/// The field that confirms a replay which may duplicate a Lead.
const CONFIRM: &str = "duplicate_ok";

/// What the replay form sends (its CSRF token is checked before the handler).
#[derive(Debug, Default, Deserialize)]
pub struct ReplayForm {
    duplicate_ok: Option<String>,
}

/// Whether the send created a Salesforce Lead with a POST (to `…/sobjects/Lead`): by its
/// recorded request, or, when none was made, by its template in the loaded config.
pub fn creates_lead(entry: &ActivityEntry, config: &Config) -> bool {
    let (method, url) = match &entry.request {
        Some(request) => (request.method.clone(), request.url.clone()),
        None => match config
            .webhook_templates
            .iter()
            .find(|each| each.name == entry.template)
        {
            Some(each) => (each.method.as_str().to_owned(), each.url.clone()),
            None => return false,
        },
    };
    let path = url.split(['?', '#']).next().unwrap_or_default();
    method.eq_ignore_ascii_case("POST")
        && path
            .trim_end_matches('/')
            .to_ascii_lowercase()
            .ends_with("/sobjects/lead")
}

/// The replay section of an entry's page: nothing for a delivered send, a disabled button
/// for a read-only key, else the form.
pub fn section(entry: &ActivityEntry, operator: &Operator, config: &Config) -> Markup {
    if entry.activity_type == ActivityType::Success {
        return html! {};
    }
    let lead = creates_lead(entry, config);
    html! {
        section #replay aria-labelledby="replay-heading" {
            h2 #replay-heading { "Replay" }
            p {
                "A replay sends " (template(&entry.template)) " to this user again now, as a new send with a new idempotency key, rendered from the profile as it is now and the original's trigger properties."
            }
            @if lead {
                p.warning #duplicate-warning role="note" {
                    "This send was a POST creating a Salesforce Lead. If the original request reached Salesforce after all (a timeout or a connection error leaves that unknown), a replay creates a duplicate Lead. Check Salesforce first, or send with an upsert template (PATCH by an external id), which cannot duplicate."
                }
            }
            @if operator.can_write {
                form method="post" action={ (paths::activity_entry(entry.id)) "/replay" } {
                    input type="hidden" name="csrf" value=(operator.csrf);
                    @if lead {
                        p { label {
                            input type="checkbox" name=(CONFIRM) value="yes" required;
                            " I have checked: replaying this cannot duplicate the Lead"
                        } }
                    }
                    button #replay-button type="submit" { "Replay" }
                }
            } @else {
                p {
                    button #replay-button type="button" disabled aria-describedby="replay-note" { "Replay" }
                    " " span #replay-note.muted { "Replaying needs the console.write permission; the key " strong { (operator.key_name) } " has console.read only." }
                }
            }
        }
    }
}

/// `POST /console/log/{id}/replay`.
pub async fn submit(
    State(state): State<AppState>,
    operator: Operator,
    Path(id): Path<String>,
    form: Result<Form<ReplayForm>, FormRejection>,
) -> Result<Response, ConsoleError> {
    operator.require_write()?;
    let config = console(&state)?.context.config.clone();
    let id = entry_id(&id)?;
    let Form(form) = form.map_err(|rejection| ConsoleError::BadRequest(rejection.body_text()))?;
    let entry = load(&state, id).await?;
    if creates_lead(&entry, &config)
        && entry.activity_type != ActivityType::Success
        && form.duplicate_ok.as_deref() != Some("yes")
    {
        return Err(ConsoleError::BadRequest(
            "this replay can create a duplicate Lead; tick the confirmation box on the entry's page to replay it anyway".into(),
        ));
    }
    match replay(state.store.as_ref(), id, Utc::now()).await {
        Ok(replayed) => {
            tracing::info!(key = %operator.key_name, entry = %id, send_id = %replayed.send_id, "send replayed from the console");
            let back = format!(
                "{}?replayed={}",
                paths::activity_entry(id),
                replayed.send_id
            );
            Ok(Redirect::to(&back).into_response())
        }
        Err(ReplayError::NotFound(_)) => {
            Err(ConsoleError::NotFound(format!("activity entry {id}")))
        }
        Err(error @ (ReplayError::Delivered(_) | ReplayError::DeliveredLater { .. })) => {
            Err(ConsoleError::BadRequest(error.to_string()))
        }
        Err(ReplayError::Store(error)) => Err(ConsoleError::Store(error)),
    }
}
