//! Rendering a template for a person to read, without sending it: `leadwire webhook
//! preview` and the console's template page both call [`preview`], with delivery's own
//! [`Renderer`], so what they show is what a send would render. `connected_content` calls
//! are made for real, and connections' tokens are fetched with their client credentials.
//!
//! A connection's token that cannot be had fails the preview (with how to fix it), even
//! when the render carried on without it: the request shown would not be the one sent.

use std::sync::Arc;
use std::time::Duration;

use leadwire_core::config::{Config, RenderedRequest};

use super::concurrency::InFlightLimits;
use super::http::{HttpSettings, build_client};
use super::redact::Redactor;
use super::render::{RenderInputs, RenderProblem, Renderer};
use super::settings::DeliverySettings;
use super::tokens::TokenRegistry;
use super::url_policy::Allowlist;
use super::worker::{DeliveryBuildError, DeliveryWorker};
use crate::metrics::Metrics;

/// What a template renders to for one user.
#[derive(Debug)]
pub struct Preview {
    pub outcome: PreviewOutcome,
    /// `connected_content` calls that failed without failing the render.
    pub warnings: Vec<String>,
}

#[derive(Debug)]
pub enum PreviewOutcome {
    /// The request a send would make.
    Rendered(Box<PreviewedRequest>),
    /// `abort_message` in `field`: a send would be logged as aborted and not made.
    Aborted { field: String, reason: String },
    /// The template did not render; a send would be logged as an error.
    Failed(Vec<PreviewProblem>),
}

/// A rendered request, as delivery would send it (secrets in the clear).
#[derive(Debug)]
pub struct PreviewedRequest {
    pub request: RenderedRequest,
    /// Whether the body is the JSON it means to be.
    pub body: BodyCheck,
    /// The live secrets the request holds (tokens, client secrets), to redact by value.
    pub secrets: Vec<String>,
}

impl PreviewedRequest {
    /// The request with its secrets redacted by `redactor` and by value.
    pub fn redacted(&self, redactor: &Redactor) -> RenderedRequest {
        let redactor = redactor.knowing(&self.secrets);
        RenderedRequest {
            method: self.request.method,
            url: redactor.url(&self.request.url),
            headers: self
                .request
                .headers
                .iter()
                .map(|(name, value)| (name.clone(), redactor.header(name, value)))
                .collect(),
            body: self.request.body.as_deref().map(|body| redactor.body(body)),
        }
    }
}

/// Why a preview failed, and how to fix it when that is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewProblem {
    pub message: String,
    pub fix: Option<String>,
}

/// Whether a rendered body is valid JSON. Liquid that breaks the JSON it builds is a
/// common webhook failure, found here before a receiver refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyCheck {
    /// No body (none in the template, or a GET).
    Empty,
    /// Valid JSON.
    Json,
    /// Meant as JSON (a JSON `Content-Type`, or none and it opens with `{` or `[`) but it
    /// does not parse.
    InvalidJson(JsonError),
    /// Not meant as JSON: its `Content-Type` says something else.
    NotJson { content_type: String },
}

impl BodyCheck {
    pub fn of(request: &RenderedRequest) -> Self {
        let Some(body) = request.body.as_deref() else {
            return Self::Empty;
        };
        let content_type = request
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
            .map(|(_, value)| value.as_str());
        let meant_as_json = match content_type {
            Some(value) => value.to_ascii_lowercase().contains("json"),
            None => body.trim_start().starts_with(['{', '[']),
        };
        if !meant_as_json {
            return Self::NotJson {
                content_type: content_type.unwrap_or("none").to_owned(),
            };
        }
        match serde_json::from_str::<serde_json::Value>(body) {
            Ok(_) => Self::Json,
            Err(error) => Self::InvalidJson(JsonError::from(&error)),
        }
    }
}

/// Where JSON text stops parsing and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Counted from 1.
    pub line: usize,
    /// Counted from 1; 0 when the text ended early.
    pub column: usize,
    /// What is wrong, without the position.
    pub message: String,
}

impl From<&serde_json::Error> for JsonError {
    fn from(error: &serde_json::Error) -> Self {
        let (line, column) = (error.line(), error.column());
        let text = error.to_string();
        let suffix = format!(" at line {line} column {column}");
        Self {
            line,
            column,
            message: text.strip_suffix(&suffix).unwrap_or(&text).to_owned(),
        }
    }
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

/// The config has no template of that name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no webhook template named `{name}`; the config has: {known}")]
pub struct UnknownTemplate {
    pub name: String,
    pub known: String,
}

/// Renders template `name` with `renderer` (built from `config`) for `inputs`, with the
/// Content Blocks the renderer last read (refresh them first).
pub async fn preview(
    renderer: &Renderer,
    config: &Config,
    name: &str,
    inputs: &RenderInputs<'_>,
) -> Result<Preview, UnknownTemplate> {
    let compiled = renderer.template(name).ok_or_else(|| UnknownTemplate {
        name: name.to_owned(),
        known: config
            .webhook_templates
            .iter()
            .map(|template| template.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    let rendered = match renderer.render(compiled, inputs).await {
        Ok(rendered) => rendered,
        Err(problem) => {
            let outcome = failure(config, renderer, problem);
            return Ok(Preview {
                outcome,
                warnings: Vec::new(),
            });
        }
    };
    let mut warnings = Vec::new();
    let mut problems = Vec::new();
    for failure in rendered.connected_content_failures {
        match &failure.connection {
            Some(connection) => problems.push(PreviewProblem {
                fix: Some(token_fix(config, renderer, connection)),
                message: failure.message,
            }),
            None => warnings.push(failure.message),
        }
    }
    let outcome = if problems.is_empty() {
        PreviewOutcome::Rendered(Box::new(PreviewedRequest {
            body: BodyCheck::of(&rendered.request),
            request: rendered.request,
            secrets: rendered.secrets,
        }))
    } else {
        PreviewOutcome::Failed(problems)
    };
    Ok(Preview { outcome, warnings })
}

fn failure(config: &Config, renderer: &Renderer, problem: RenderProblem) -> PreviewOutcome {
    let problem = match problem {
        RenderProblem::Aborted { field, reason } => {
            return PreviewOutcome::Aborted { field, reason };
        }
        RenderProblem::ConnectedContent { field, message } => PreviewProblem {
            message: format!("{field}: {message}"),
            fix: None,
        },
        RenderProblem::Token {
            connection,
            message,
            ..
        } => PreviewProblem {
            fix: Some(token_fix(config, renderer, &connection)),
            message,
        },
        RenderProblem::Error(message) => PreviewProblem { message, fix: None },
    };
    PreviewOutcome::Failed(vec![problem])
}

impl DeliveryWorker {
    /// Renders template `name` for `inputs` with this worker's renderer (its token caches,
    /// URL policy and client secrets), without sending anything.
    pub async fn preview(
        &self,
        name: &str,
        inputs: &RenderInputs<'_>,
    ) -> Result<Preview, UnknownTemplate> {
        self.renderer
            .content_blocks()
            .refresh_or_warn(&*self.store)
            .await;
        preview(&self.renderer, &self.config, name, inputs).await
    }

    /// The redactor every entry is written through (secret names from config, client
    /// secrets by value).
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }
}

/// How to get connection `name`'s token: set its client secret, or check its credentials.
fn token_fix(config: &Config, renderer: &Renderer, name: &str) -> String {
    let Some(connection) = config.connection(name) else {
        return format!("check the connection `{name}` in the config");
    };
    let variable = connection
        .client_secret_env
        .as_deref()
        .unwrap_or("the variable named by client_secret_env");
    let app = format!(
        "the Consumer Secret of the connected app whose Consumer Key is `{}`",
        connection.client_id
    );
    if !renderer.client_secrets().contains_key(name) {
        return format!("{variable} is not set: export it with {app}");
    }
    format!(
        "check that {variable} holds {app}, and that {} (login_url, or instance_url when unset) answers token requests",
        connection.login_url()
    )
}

/// A renderer of its own for a process that sends nothing (`leadwire webhook preview`):
/// the `[delivery]` URL policy and CA file, a 10-second timeout, client secrets from `env`.
pub fn standalone_renderer(
    config: &Config,
    settings: &DeliverySettings,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Renderer, DeliveryBuildError> {
    let allowlist = Arc::new(Allowlist::new(
        settings.allowed_hosts.iter().map(String::as_str),
    ));
    let client = build_client(&HttpSettings {
        timeout: Duration::from_secs(10),
        extra_ca_file: settings.extra_ca_file.clone(),
        allowlist: allowlist.clone(),
    })?;
    let tokens = Arc::new(TokenRegistry::new(
        client.clone(),
        Duration::from_secs(60),
        Arc::new(Metrics::new()),
        &config.salesforce_connections,
    ));
    let in_flight = Arc::new(InFlightLimits::from_settings(settings));
    Ok(Renderer::new(
        config, client, allowlist, tokens, in_flight, env,
    )?)
}

#[cfg(test)]
mod tests {
    use leadwire_core::config::HttpMethod;

    use super::*;

    fn request(content_type: Option<&str>, body: Option<&str>) -> RenderedRequest {
        RenderedRequest {
            method: HttpMethod::POST,
            url: "https://example.com".into(),
            headers: content_type
                .map(|value| vec![("Content-Type".to_owned(), value.to_owned())])
                .unwrap_or_default(),
            body: body.map(str::to_owned),
        }
    }

    #[test]
    fn bodies_meant_as_json_are_checked_with_the_error_position() {
        assert_eq!(BodyCheck::of(&request(None, None)), BodyCheck::Empty);
        assert_eq!(
            BodyCheck::of(&request(Some("application/json"), Some(r#"{"a": 1}"#))),
            BodyCheck::Json
        );
        assert_eq!(
            BodyCheck::of(&request(None, Some("{\n  \"a\": 1,\n}"))),
            BodyCheck::InvalidJson(JsonError {
                line: 3,
                column: 1,
                message: "trailing comma".into()
            })
        );
        assert_eq!(
            BodyCheck::of(&request(Some("text/plain"), Some("{not json"))),
            BodyCheck::NotJson {
                content_type: "text/plain".into()
            }
        );
        assert!(matches!(
            BodyCheck::of(&request(
                Some("application/json; charset=utf-8"),
                Some("stage=MQL")
            )),
            BodyCheck::InvalidJson(JsonError {
                line: 1,
                column: 1,
                ..
            })
        ));
    }

    #[test]
    fn a_redacted_request_hides_headers_and_live_secrets() {
        let previewed = PreviewedRequest {
            request: RenderedRequest {
                method: HttpMethod::POST,
                url: "https://example.com/hook?token=tok-123456".into(),
                headers: vec![
                    ("Authorization".into(), "Bearer tok-123456".into()),
                    ("X-Trace".into(), "tok-123456".into()),
                ],
                body: Some(r#"{"session":"tok-123456","name":"Ada"}"#.into()),
            },
            body: BodyCheck::Json,
            secrets: vec!["tok-123456".into()],
        };
        let shown = previewed.redacted(&Redactor::default());
        let text = format!("{shown:?}");
        assert!(!text.contains("tok-123456"), "{text}");
        assert_eq!(shown.headers[0].1, "Bearer [redacted]");
        assert!(text.contains("Ada"), "{text}");
    }
}
