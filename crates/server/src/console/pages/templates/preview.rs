//! `/console/templates/{name}`: the preview form and the template's source; `POST
//! …/preview` renders the template for a user exactly as `leadwire webhook preview` and
//! delivery do (the engine's `preview`, through the delivery worker's renderer), and shows
//! the request with its secrets redacted, whether its body is valid JSON, and any abort or
//! error. A POST, because `connected_content` and token requests go out for real.

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use leadwire_core::activity::MessageSource;
use leadwire_core::config::WebhookTemplate;
use leadwire_engine::delivery::preview::{Preview, PreviewOutcome};
use leadwire_engine::delivery::redact::Redactor;
use leadwire_engine::delivery::render::RenderInputs;
use maud::{Markup, html};

use super::form::{self, Fields, Inputs, Problems, TestSends};
use super::{NO_WORKER, find, request, source};
use crate::console::Console;
use crate::console::error::ConsoleError;
use crate::console::layout::{self, Section};
use crate::console::pages::widgets::console;
use crate::console::session::Operator;
use crate::state::AppState;

pub async fn page(
    State(state): State<AppState>,
    operator: Operator,
    Path(name): Path<String>,
) -> Result<Markup, ConsoleError> {
    let console = console(&state)?;
    let template = find(&console.context.config, &name)?;
    let form = (&Fields::default(), &Problems::default());
    Ok(template_page(console, template, &operator, form, None))
}

pub async fn render(
    State(state): State<AppState>,
    operator: Operator,
    Path(name): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, ConsoleError> {
    let console = console(&state)?;
    let template = find(&console.context.config, &name)?;
    let inputs = match read_form(&state, template, &operator, &fields).await? {
        Ok(inputs) => inputs,
        Err(page) => return Ok(page),
    };
    let result = match &console.context.delivery {
        None => html! { p.error role="alert" data-testid="outcome" { (NO_WORKER) } },
        Some(worker) => {
            let source = MessageSource::Test {
                operator: operator.key_name.clone(),
            };
            let preview = worker
                .preview(&template.name, &render_inputs(&inputs, &source))
                .await
                .map_err(|unknown| ConsoleError::Unavailable(unknown.to_string()))?;
            outcome(&preview, worker.redactor())
        }
    };
    let form = (&fields, &Problems::default());
    Ok(template_page(console, template, &operator, form, Some(result)).into_response())
}

/// The form read, or the template's page showing what is wrong with it (422).
pub async fn read_form(
    state: &AppState,
    template: &WebhookTemplate,
    operator: &Operator,
    fields: &Fields,
) -> Result<Result<Inputs, Response>, ConsoleError> {
    let console = console(state)?;
    Ok(match form::read(state.store.as_ref(), fields).await? {
        Ok(inputs) => Ok(inputs),
        Err(problems) => {
            let page = template_page(console, template, operator, (fields, &problems), None);
            Err((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    })
}

/// What the template renders against: the profile as stored, and the form's properties.
pub fn render_inputs<'a>(inputs: &'a Inputs, source: &'a MessageSource) -> RenderInputs<'a> {
    RenderInputs {
        user: inputs.profile.to_attributes_object(),
        event_properties: inputs.event_properties.as_ref(),
        api_trigger_properties: inputs.api_trigger_properties.as_ref(),
        canvas_entry_properties: inputs.canvas_entry_properties.as_ref(),
        source,
        now: Utc::now(),
    }
}

/// The template's page: the form (filled as posted), the preview's result, the source.
pub fn template_page(
    console: &Console,
    template: &WebhookTemplate,
    operator: &Operator,
    (fields, problems): (&Fields, &Problems),
    result: Option<Markup>,
) -> Markup {
    let test_sends = if !operator.can_write {
        TestSends::Off("Sending a test needs a key with the console.write permission.")
    } else if console.context.delivery.is_none() {
        TestSends::Off(NO_WORKER)
    } else {
        TestSends::Allowed
    };
    let fallback = Redactor::default();
    let redactor = console
        .context
        .delivery
        .as_ref()
        .map_or(&fallback, |worker| worker.redactor());
    let body = html! {
        p { a href="/console/templates" { "All templates" } }
        h2 { "Preview and test" }
        (form::render(&template.name, fields, problems, operator, &test_sends))
        @if let Some(result) = result {
            section #preview-result aria-labelledby="preview-result-heading" {
                h2 #preview-result-heading { "Preview result" }
                (result)
            }
        }
        (source::section(&console.context.config, template, redactor))
    };
    let title = format!("Template {}", template.name);
    layout::page(&title, Section::Templates, operator, body)
}

/// A preview's outcome, secrets redacted.
fn outcome(preview: &Preview, redactor: &Redactor) -> Markup {
    html! {
        @match &preview.outcome {
            PreviewOutcome::Rendered(previewed) => {
                p.notice role="status" data-testid="outcome" { "Rendered: a send would make this request." }
                (request::shown(&previewed.redacted(redactor), &previewed.body))
            },
            PreviewOutcome::Aborted { field, reason } => {
                p.aborted role="status" data-testid="outcome" {
                    "Aborted by " code { "abort_message" } " in " code { (field) } ": "
                    strong { (redactor.text(reason)) }
                    ". A send would be logged as aborted_message, and no request made."
                }
            },
            PreviewOutcome::Failed(problems) => {
                div.error role="alert" data-testid="outcome" {
                    p { "The template did not render; a send would be logged as an error:" }
                    ul { @for problem in problems { li {
                        (redactor.text(&problem.message))
                        @if let Some(fix) = &problem.fix { br; "Fix: " (fix) }
                    } } }
                }
            },
        }
        @if !preview.warnings.is_empty() {
            h3 { "Warnings" }
            ul #preview-warnings { @for warning in &preview.warnings {
                li { "connected_content: " (redactor.text(warning)) }
            } }
        }
    }
}
