//! `POST /console/templates/{name}/test`: send the template for real to the form's user,
//! through the normal durable path (a send job the delivery worker delivers, retries and
//! records), logged as a test send; then `…/tests/{send_id}` shows the send and its
//! attempts so far, with a link to them in the activity log.

use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use leadwire_engine::delivery::test_send::{TestSend, send_test};
use leadwire_store::ActivityQuery;
use maud::{Markup, html};
use uuid::Uuid;

use super::form::Fields;
use super::preview::read_form;
use super::{NO_WORKER, find};
use crate::console::error::ConsoleError;
use crate::console::layout::{self, Section};
use crate::console::pages::paths;
use crate::console::pages::widgets::{badge, console, when};
use crate::console::session::Operator;
use crate::state::AppState;

/// The attempts listed on the sent page.
const ATTEMPTS_SHOWN: u32 = 20;

pub async fn send(
    State(state): State<AppState>,
    operator: Operator,
    Path(name): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, ConsoleError> {
    operator.require_write()?;
    let console = console(&state)?;
    let template = find(&console.context.config, &name)?;
    if console.context.delivery.is_none() {
        return Err(ConsoleError::Unavailable(NO_WORKER.into()));
    }
    let inputs = match read_form(&state, template, &operator, &fields).await? {
        Ok(inputs) => inputs,
        Err(page) => return Ok(page),
    };
    let test = TestSend {
        template: template.name.clone(),
        user_id: inputs.profile.id,
        operator: operator.key_name.clone(),
        event_properties: inputs.event_properties,
        api_trigger_properties: inputs.api_trigger_properties,
        canvas_entry_properties: inputs.canvas_entry_properties,
    };
    let sent = send_test(state.store.as_ref(), test, Utc::now()).await?;
    tracing::info!(key = %operator.key_name, template = %template.name, send_id = %sent.send_id, "console test send");
    let target = format!("{}/tests/{}", paths::template(&template.name), sent.send_id);
    Ok(Redirect::to(&target).into_response())
}

pub async fn sent(
    State(state): State<AppState>,
    operator: Operator,
    Path((name, send_id)): Path<(String, String)>,
) -> Result<Markup, ConsoleError> {
    let console = console(&state)?;
    let template = find(&console.context.config, &name)?;
    let send_id = Uuid::parse_str(&send_id)
        .map_err(|_| ConsoleError::NotFound(format!("test send `{send_id}`")))?;
    let query = ActivityQuery {
        send_id: Some(send_id),
        limit: ATTEMPTS_SHOWN,
        ..ActivityQuery::default()
    };
    let attempts = state.store.activity(&query).await?.entries;
    let now = Utc::now();
    let body = html! {
        p.notice role="status" { "Test send queued: the delivery worker sends it like any other send, and logs it as a test." }
        dl.facts {
            dt { "Send id" }
            dd { code data-testid="send-id" { (send_id) } }
            dt { "Template" }
            dd { a href=(paths::template(&template.name)) { (template.name) } }
        }
        p { a href=(paths::send_activity(send_id)) data-testid="send-log" { "This send in the activity log" } }
        h2 { "Attempts so far" }
        @if attempts.is_empty() {
            p.empty { "None recorded yet: the delivery worker takes the send from the queue within moments. Reload this page to see how it went." }
        } @else {
            div.scroll { table #attempts {
                thead { tr { th scope="col" { "Time" } th scope="col" { "Type" } th.num scope="col" { "Status" } th scope="col" { "Message" } } }
                tbody { @for entry in &attempts { tr {
                    td { a href=(paths::activity_entry(entry.id)) { (when(entry.time, now)) } }
                    td { (badge(entry.activity_type)) }
                    td.num { @if let Some(status) = entry.status { (status) } }
                    td { (entry.message) }
                } } }
            } }
        }
    };
    Ok(layout::page(
        "Test send",
        Section::Templates,
        &operator,
        body,
    ))
}
