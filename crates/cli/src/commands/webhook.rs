//! `leadwire webhook preview`: render one webhook template for one user and print the
//! request it would send, like the Test tab of Braze's webhook composer. `connected_content`
//! calls are made for real, and `connection.access_token` / `connections.<name>.access_token`
//! are fetched with the connection's client credentials, as delivery does. Exit codes: 0
//! rendered, 2 render error, 3 aborted.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use leadwire_core::config::{
    Config, FieldFailure, RenderFailure, RenderedRequest, WebhookTemplate,
};
use leadwire_engine::delivery::templates::CompiledTemplates;
use leadwire_engine::delivery::tokens::token_url;
use leadwire_liquid::http_fetcher::ReqwestFetcher;
use leadwire_liquid::{Engine, Globals, MemoryCache, Outcome};
use leadwire_salesforce::token_client::{ClientCredentials, TokenCache};
use serde_json::{Map, Value, json};

use super::check::load_valid_config;

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Print the request a template renders to for a user.
    Preview(PreviewArgs),
}

#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// The config file holding the template.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// The webhook template's name.
    #[arg(long, value_name = "NAME")]
    template: String,
    /// The user in `/users/track` attribute shape, e.g. {"external_id": "…", "first_name": "Ada"}.
    #[arg(long, value_name = "FILE.json")]
    user: PathBuf,
    /// Event properties (`event_properties.${…}`).
    #[arg(long, value_name = "FILE.json")]
    event: Option<PathBuf>,
    /// Canvas entry properties (`canvas_entry_properties.${…}`, `context.${…}`).
    #[arg(long, value_name = "FILE.json")]
    context: Option<PathBuf>,
}

const EXIT_RENDER_ERROR: u8 = 2;
const EXIT_ABORTED: u8 = 3;

pub async fn run(command: WebhookCommand) -> anyhow::Result<ExitCode> {
    match command {
        WebhookCommand::Preview(args) => preview(args).await,
    }
}

async fn preview(args: PreviewArgs) -> anyhow::Result<ExitCode> {
    let config = load_valid_config(&args.config)?;
    let template = config.template(&args.template).with_context(|| {
        let names: Vec<&str> = config
            .webhook_templates
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        format!(
            "no webhook template named `{}`; the config has: {}",
            args.template,
            names.join(", ")
        )
    })?;
    let mut globals = Globals::new().with_user(&read_object(&args.user)?);
    if let Some(path) = &args.event {
        globals = globals.with_event_properties(&read_object(path)?);
    }
    if let Some(path) = &args.context {
        globals = globals.with_canvas_entry_properties(&read_object(path)?);
    }
    globals = globals.with_variables(&connection_variables(&config, template).await?);
    let rendered = render_fields(template, &globals).await?;
    let request = template.render_request(&mut |text| {
        rendered
            .get(text)
            .cloned()
            .unwrap_or_else(|| Err(FieldFailure::Error("the field was not rendered".into())))
    });
    match request {
        Ok(request) => {
            print!("{}", format_request(&request));
            Ok(ExitCode::SUCCESS)
        }
        Err(RenderFailure::Abort { field, reason }) => {
            println!("aborted in {field}: {reason}");
            Ok(ExitCode::from(EXIT_ABORTED))
        }
        Err(RenderFailure::Error { field, message }) => {
            eprintln!("error: {field}: {message}");
            Ok(ExitCode::from(EXIT_RENDER_ERROR))
        }
    }
}

/// Renders each Liquid text of the template once, performing `connected_content` calls.
async fn render_fields(
    template: &WebhookTemplate,
    globals: &Globals,
) -> anyhow::Result<HashMap<String, Result<String, FieldFailure>>> {
    let engine = Engine::default();
    let fetcher = ReqwestFetcher::new().context("cannot build the HTTP client")?;
    let cache = MemoryCache::default();
    let mut rendered = HashMap::new();
    for text in template.liquid_texts() {
        if rendered.contains_key(text) {
            continue;
        }
        let outcome = match engine.parse(text) {
            Err(error) => Err(FieldFailure::Error(error.to_string())),
            Ok(parsed) => match engine
                .render_async(&parsed, globals, &fetcher, &cache)
                .await
            {
                Ok(Outcome::Rendered(output)) => Ok(output),
                Ok(Outcome::Aborted(abort)) => Err(FieldFailure::Abort(abort.reason)),
                Err(error) => Err(FieldFailure::Error(error.to_string())),
            },
        };
        rendered.insert(text.to_owned(), outcome);
    }
    Ok(rendered)
}

/// `connections.<name>.*` for every connection and `connection.*` for the template's own,
/// as delivery provides them: the client secret from its environment variable (empty, with a
/// warning, when unset), and a live `access_token` for the connections the template reads
/// tokens from.
async fn connection_variables(
    config: &Config,
    template: &WebhookTemplate,
) -> anyhow::Result<Map<String, Value>> {
    let engine = Engine::default();
    let compiled =
        CompiledTemplates::compile(&engine, config).context("the template does not compile")?;
    let token_connections = compiled
        .get(&template.name)
        .map(|compiled| compiled.token_connections.clone())
        .unwrap_or_default();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .context("cannot build the HTTP client")?;
    let mut connections = Map::new();
    let mut own = None;
    for connection in &config.salesforce_connections {
        let secret = connection.client_secret(&|name| std::env::var(name).ok());
        let is_own = template.connection.as_deref() == Some(connection.name.as_str());
        if secret.is_none() && (is_own || token_connections.contains(&connection.name)) {
            eprintln!(
                "warning: {} is not set; the client secret of `{}` is empty",
                connection
                    .client_secret_env
                    .as_deref()
                    .unwrap_or("the client secret variable"),
                connection.name
            );
        }
        let mut fields = Map::new();
        fields.insert("name".into(), json!(connection.name));
        fields.insert("instance_url".into(), json!(connection.instance_url));
        fields.insert("login_url".into(), json!(connection.login_url()));
        fields.insert("client_id".into(), json!(connection.client_id));
        if token_connections.contains(&connection.name) {
            let credentials = ClientCredentials {
                token_url: token_url(connection.login_url()),
                client_id: connection.client_id.clone(),
                client_secret: secret.clone().unwrap_or_default(),
            };
            let token = TokenCache::new(http.clone(), credentials, Duration::from_secs(60))
                .token()
                .await
                .with_context(|| format!("no access token for connection `{}`", connection.name))?;
            fields.insert("access_token".into(), json!(token.access_token));
            fields.insert("instance_url".into(), json!(token.instance_url));
            fields.insert("token_type".into(), json!(token.token_type));
        }
        if is_own {
            let mut own_fields = fields.clone();
            own_fields.insert("client_secret".into(), json!(secret.unwrap_or_default()));
            own = Some(own_fields);
        }
        connections.insert(connection.name.clone(), Value::Object(fields));
    }
    let mut variables = Map::new();
    variables.insert("connections".into(), Value::Object(connections));
    if let Some(own) = own {
        variables.insert("connection".into(), Value::Object(own));
    }
    Ok(variables)
}

/// The request as HTTP/1.1 text: request line, headers, blank line, body.
pub fn format_request(request: &RenderedRequest) -> String {
    let mut text = format!("{} {}\n", request.method, request.url);
    for (name, value) in &request.headers {
        text.push_str(&format!("{name}: {value}\n"));
    }
    if let Some(body) = &request.body {
        text.push('\n');
        text.push_str(body);
        text.push('\n');
    }
    text
}

fn read_object(path: &Path) -> anyhow::Result<Map<String, Value>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    match serde_json::from_str::<Value>(&text)
        .with_context(|| format!("{} is not valid JSON", path.display()))?
    {
        Value::Object(map) => Ok(map),
        _ => anyhow::bail!("{} must hold a JSON object", path.display()),
    }
}
