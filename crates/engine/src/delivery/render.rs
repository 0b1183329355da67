//! Rendering a send at send time: the profile as it is now, the trigger's properties, and
//! the live tokens of the connections the template reads, into the HTTP request.
//!
//! Fields render in the order [`WebhookTemplate::render_request`] reads them, and the first
//! failure stops the send: an `abort_message` aborts it, a `connected_content` error or a
//! token that cannot be had is a Connected Content error, anything else a render error.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use leadwire_core::activity::MessageSource;
use leadwire_core::config::{FieldFailure, RenderedRequest, SalesforceConnection};
use leadwire_core::profile::Profile;
use leadwire_liquid::{Engine, Globals, Outcome, RenderError, ResponseCache};
use leadwire_salesforce::token_client::{AccessToken, ClientCredentials, TokenError};
use serde_json::{Map, Value, json};

use super::fetcher::{HttpFetcher, SendFetcher};
use super::templates::{CompiledTemplate, template_fields};
use super::tokens::{TokenRegistry, token_url};
use crate::send_task::SendTask;

/// Why a send did not render into a request.
#[derive(Debug, Clone, PartialEq)]
pub enum RenderProblem {
    /// `abort_message` (or exhausted `:retry` calls): the reason.
    Aborted(String),
    /// A `connected_content` call failed the render.
    ConnectedContent(String),
    /// A connection's token could not be had; `transient` ones are retried.
    Token { message: String, transient: bool },
    /// Any other render error, with the field it happened in.
    Error(String),
}

/// A rendered request and what the render learned on the way.
#[derive(Debug)]
pub struct Rendered {
    pub request: RenderedRequest,
    /// `connected_content` calls that failed without failing the render.
    pub connected_content_failures: Vec<String>,
    /// Secret values used in the request (tokens, client secrets), to redact by value.
    pub secrets: Vec<String>,
}

/// The shared pieces a render needs.
pub struct RenderContext<'a> {
    pub engine: &'a Engine,
    pub fetcher: &'a HttpFetcher,
    pub cache: &'a dyn ResponseCache,
    pub tokens: &'a TokenRegistry,
    pub connections: &'a [SalesforceConnection],
    /// Client secrets by connection name, read from the environment at start-up.
    pub client_secrets: &'a HashMap<String, String>,
}

impl RenderContext<'_> {
    pub async fn render(
        &self,
        compiled: &CompiledTemplate,
        task: &SendTask,
        profile: &Profile,
        now: DateTime<Utc>,
    ) -> Result<Rendered, RenderProblem> {
        let mut secrets = Vec::new();
        let globals = self
            .globals(compiled, task, profile, now, &mut secrets)
            .await?;
        let fetcher = SendFetcher::new(self.fetcher);
        let mut rendered: HashMap<&str, String> = HashMap::new();
        for (field, source) in template_fields(&compiled.template) {
            if rendered.contains_key(source) {
                continue;
            }
            let Some(template) = compiled.fields.get(source) else {
                return Err(RenderProblem::Error(format!("{field}: not compiled")));
            };
            let outcome = self
                .engine
                .render_async(template, &globals, &fetcher, self.cache)
                .await;
            match outcome {
                Ok(Outcome::Rendered(text)) => {
                    rendered.insert(source, text);
                }
                Ok(Outcome::Aborted(abort)) => return Err(RenderProblem::Aborted(abort.reason)),
                Err(RenderError::ConnectedContent(message)) => {
                    return Err(RenderProblem::ConnectedContent(message));
                }
                Err(error) => return Err(RenderProblem::Error(format!("{field}: {error}"))),
            }
        }
        let request = compiled
            .template
            .render_request(&mut |source| {
                rendered
                    .get(source)
                    .cloned()
                    .ok_or_else(|| FieldFailure::Error("field was not rendered".into()))
            })
            .map_err(|failure| RenderProblem::Error(failure.to_string()))?;
        Ok(Rendered {
            request,
            connected_content_failures: fetcher.into_failures(),
            secrets,
        })
    }

    async fn globals(
        &self,
        compiled: &CompiledTemplate,
        task: &SendTask,
        profile: &Profile,
        now: DateTime<Utc>,
        secrets: &mut Vec<String>,
    ) -> Result<Globals, RenderProblem> {
        let mut globals = Globals::new()
            .with_now(now)
            .with_user(&profile.to_attributes_object());
        if let Some(properties) = &task.event_properties {
            globals = globals.with_event_properties(properties);
        }
        if let Some(properties) = &task.api_trigger_properties {
            globals = globals.with_api_trigger_properties(properties);
        }
        if let Some(properties) = &task.canvas_entry_properties {
            globals = globals.with_canvas_entry_properties(properties);
        }
        match &task.source {
            MessageSource::Campaign { campaign } => {
                globals = globals.with_campaign(&object(json!({"name": campaign})));
            }
            MessageSource::Canvas { canvas, step } => {
                globals = globals
                    .with_canvas(&object(json!({"name": canvas})))
                    .with_campaign(&object(json!({"name": step})));
            }
            MessageSource::Manual => {}
        }
        let mut connections = Map::new();
        let mut own = None;
        for connection in self.connections {
            let mut fields = object(json!({
                "name": connection.name,
                "instance_url": connection.instance_url,
                "login_url": connection.login_url(),
                "client_id": connection.client_id,
            }));
            let secret = self.client_secrets.get(&connection.name);
            if compiled.token_connections.contains(&connection.name) {
                let token = self.token(connection, secret).await?;
                secrets.push(token.access_token.clone());
                fields.insert("access_token".into(), Value::String(token.access_token));
                fields.insert("instance_url".into(), Value::String(token.instance_url));
                fields.insert("token_type".into(), Value::String(token.token_type));
            }
            if compiled.template.connection.as_deref() == Some(connection.name.as_str()) {
                let mut own_fields = fields.clone();
                if let Some(secret) = secret {
                    own_fields.insert("client_secret".into(), Value::String(secret.clone()));
                }
                own = Some(own_fields);
            }
            connections.insert(connection.name.clone(), Value::Object(fields));
        }
        let mut variables = Map::new();
        variables.insert("connections".into(), Value::Object(connections));
        if let Some(own) = own {
            variables.insert("connection".into(), Value::Object(own));
        }
        Ok(globals.with_variables(&variables))
    }

    async fn token(
        &self,
        connection: &SalesforceConnection,
        secret: Option<&String>,
    ) -> Result<AccessToken, RenderProblem> {
        let Some(secret) = secret else {
            return Err(RenderProblem::Token {
                message: format!(
                    "connection `{}` has no client secret: set the environment variable {}",
                    connection.name,
                    connection
                        .client_secret_env
                        .as_deref()
                        .unwrap_or("named by client_secret_env")
                ),
                transient: false,
            });
        };
        let credentials = ClientCredentials {
            token_url: token_url(connection.login_url()),
            client_id: connection.client_id.clone(),
            client_secret: secret.clone(),
        };
        self.tokens.token(&credentials).await.map_err(|error| {
            let transient = match &error {
                TokenError::Transport { .. } => true,
                TokenError::Refused { status, .. } | TokenError::Unreadable { status, .. } => {
                    *status >= 500 || *status == 429 || *status == 408
                }
            };
            RenderProblem::Token {
                message: format!("connection `{}`: {error}", connection.name),
                transient,
            }
        })
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
