//! Rendering a webhook template: the user, the trigger's properties, and the live tokens of
//! the connections the template reads, into the HTTP request. Delivery renders every send
//! with a [`Renderer`] at send time, and `leadwire webhook preview` renders with one too, so
//! both see the same render context, Content Blocks included (`blocks`).
//!
//! Fields render in the order [`WebhookTemplate::render_request`] reads them, and the first
//! failure stops the render: an `abort_message` aborts it, a `connected_content` error or a
//! token that cannot be had is a Connected Content error, anything else a render error.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use leadwire_core::activity::MessageSource;
use leadwire_core::config::{Config, FieldFailure, RenderedRequest, SalesforceConnection};
use leadwire_core::profile::Profile;
use leadwire_core::queue::{AdHocWebhook, SendTask};
use leadwire_liquid::{Engine, Globals, MemoryCache, Outcome, RenderError};
use leadwire_salesforce::token_client::{AccessToken, ClientCredentials, TokenError};
use serde_json::{Map, Value, json};

use super::blocks::ContentBlocks;
use super::concurrency::InFlightLimits;
use super::fetcher::{CallFailure, HttpFetcher, SendFetcher};
use super::templates::{
    CompiledTemplate, CompiledTemplates, TemplateCompileError, compile_ad_hoc, template_fields,
};
use super::tokens::{TokenRegistry, token_url};
use super::url_policy::Allowlist;

/// Why a template did not render into a request.
#[derive(Debug, Clone, PartialEq)]
pub enum RenderProblem {
    /// `abort_message` (or exhausted `:retry` calls) in `field`.
    Aborted { field: String, reason: String },
    /// A `connected_content` call in `field` failed the render.
    ConnectedContent { field: String, message: String },
    /// `connection`'s token could not be had; `transient` ones are retried.
    Token {
        connection: String,
        message: String,
        transient: bool,
    },
    /// Any other render error, with the field it happened in.
    Error(String),
}

/// A rendered request and what the render learned on the way.
#[derive(Debug)]
pub struct Rendered {
    pub request: RenderedRequest,
    /// `connected_content` calls that failed without failing the render.
    pub connected_content_failures: Vec<CallFailure>,
    /// Secret values used in the request (tokens, client secrets), to redact by value.
    pub secrets: Vec<String>,
}

/// What a template renders against, besides the connections.
#[derive(Debug, Clone)]
pub struct RenderInputs<'a> {
    /// The user's attributes, in `/users/track` shape.
    pub user: Map<String, Value>,
    pub event_properties: Option<&'a Map<String, Value>>,
    pub api_trigger_properties: Option<&'a Map<String, Value>>,
    pub canvas_entry_properties: Option<&'a Map<String, Value>>,
    pub source: &'a MessageSource,
    pub now: DateTime<Utc>,
}

impl<'a> RenderInputs<'a> {
    /// The inputs of a send: its profile as it is now and its trigger's properties.
    pub fn of_send(task: &'a SendTask, profile: &Profile, now: DateTime<Utc>) -> Self {
        Self {
            user: profile.to_attributes_object(),
            event_properties: task.event_properties.as_ref(),
            api_trigger_properties: task.api_trigger_properties.as_ref(),
            canvas_entry_properties: task.canvas_entry_properties.as_ref(),
            source: &task.source,
            now,
        }
    }
}

/// Everything a render needs, built once from the config.
pub struct Renderer {
    engine: Engine,
    templates: CompiledTemplates,
    fetcher: HttpFetcher,
    cache: MemoryCache,
    tokens: Arc<TokenRegistry>,
    blocks: ContentBlocks,
    connections: Vec<SalesforceConnection>,
    /// Client secrets by connection name, read from the environment at start-up.
    client_secrets: HashMap<String, String>,
}

impl Renderer {
    /// Compiles the config's templates. `connected_content` calls go out on `client` within
    /// `allowlist` and its hosts' caps in `in_flight`; tokens come from `tokens`; client
    /// secrets are read through `env`.
    pub fn new(
        config: &Config,
        client: reqwest::Client,
        allowlist: Arc<Allowlist>,
        tokens: Arc<TokenRegistry>,
        in_flight: Arc<InFlightLimits>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, TemplateCompileError> {
        let engine = Engine::default();
        let templates = CompiledTemplates::compile(&engine, config)?;
        let client_secrets = config
            .salesforce_connections
            .iter()
            .filter_map(|connection| {
                let secret = connection.client_secret(env)?;
                Some((connection.name.clone(), secret))
            })
            .collect();
        Ok(Self {
            engine,
            templates,
            fetcher: HttpFetcher::new(client, allowlist, tokens.clone(), in_flight),
            cache: MemoryCache::default(),
            tokens,
            blocks: ContentBlocks::new(config),
            connections: config.salesforce_connections.clone(),
            client_secrets,
        })
    }

    /// The compiled template named `name`.
    pub fn template(&self, name: &str) -> Option<&Arc<CompiledTemplate>> {
        self.templates.get(name)
    }

    /// The Content Blocks renders include; refresh them before a batch or a preview.
    pub fn content_blocks(&self) -> &ContentBlocks {
        &self.blocks
    }

    /// A send's own webhook (`POST /messages/send`), compiled for that send.
    pub fn compile_ad_hoc(
        &self,
        name: &str,
        webhook: &AdHocWebhook,
    ) -> Result<Arc<CompiledTemplate>, TemplateCompileError> {
        compile_ad_hoc(&self.engine, name, webhook).map(Arc::new)
    }

    /// The client secrets read at start-up, by connection name.
    pub fn client_secrets(&self) -> &HashMap<String, String> {
        &self.client_secrets
    }

    pub async fn render(
        &self,
        compiled: &CompiledTemplate,
        inputs: &RenderInputs<'_>,
    ) -> Result<Rendered, RenderProblem> {
        let mut secrets = Vec::new();
        let globals = self.globals(compiled, inputs, &mut secrets).await?;
        let fetcher = SendFetcher::new(&self.fetcher);
        let mut rendered: HashMap<&str, String> = HashMap::new();
        for (field, source) in template_fields(&compiled.template) {
            if rendered.contains_key(source) {
                continue;
            }
            let template = match compiled.fields.get(source) {
                Some(template) => template.clone(),
                None => self
                    .blocks
                    .parse(&self.engine, source)
                    .map_err(|message| RenderProblem::Error(format!("{field}: {message}")))?,
            };
            let outcome = self
                .engine
                .render_async(&template, &globals, &fetcher, &self.cache)
                .await;
            match outcome {
                Ok(Outcome::Rendered(text)) => {
                    rendered.insert(source, text);
                }
                Ok(Outcome::Aborted(abort)) => {
                    let reason = abort.reason;
                    return Err(RenderProblem::Aborted { field, reason });
                }
                Err(RenderError::ConnectedContent(message)) => {
                    return Err(RenderProblem::ConnectedContent { field, message });
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

    /// The render context: user, properties, source, and the connections' variables.
    async fn globals(
        &self,
        compiled: &CompiledTemplate,
        inputs: &RenderInputs<'_>,
        secrets: &mut Vec<String>,
    ) -> Result<Globals, RenderProblem> {
        let mut globals = Globals::new().with_now(inputs.now).with_user(&inputs.user);
        if let Some(properties) = inputs.event_properties {
            globals = globals.with_event_properties(properties);
        }
        if let Some(properties) = inputs.api_trigger_properties {
            globals = globals.with_api_trigger_properties(properties);
        }
        if let Some(properties) = inputs.canvas_entry_properties {
            globals = globals.with_canvas_entry_properties(properties);
        }
        match inputs.source {
            MessageSource::Campaign { campaign } => {
                globals = globals.with_campaign(&object(json!({"name": campaign})));
            }
            MessageSource::Canvas { canvas, step } => {
                globals = globals
                    .with_canvas(&object(json!({"name": canvas})))
                    .with_campaign(&object(json!({"name": step})));
            }
            MessageSource::Manual | MessageSource::Api | MessageSource::Test { .. } => {}
        }
        let mut connections = Map::new();
        let mut own = None;
        for connection in &self.connections {
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

    /// A token of `connection`, from the shared cache (the `/limits` poller's).
    pub async fn connection_token(
        &self,
        connection: &SalesforceConnection,
    ) -> Result<AccessToken, RenderProblem> {
        let secret = self.client_secrets.get(&connection.name);
        self.token(connection, secret).await
    }

    async fn token(
        &self,
        connection: &SalesforceConnection,
        secret: Option<&String>,
    ) -> Result<AccessToken, RenderProblem> {
        let Some(secret) = secret else {
            return Err(RenderProblem::Token {
                connection: connection.name.clone(),
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
                connection: connection.name.clone(),
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
