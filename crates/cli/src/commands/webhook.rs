//! `leadwire webhook preview`: render one webhook template for one user and print the
//! request it would send, like the Test tab of Braze's webhook composer. It renders with
//! delivery's own [`Renderer`] (the same render context, URL policy and token rules):
//! `connected_content` calls are made for real, and `connection.access_token` /
//! `connections.<name>.access_token` are fetched with the connection's client credentials.
//! Exit codes: 0 rendered, 2 render error (a connection's token that cannot be had is
//! one), 3 aborted.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use leadwire_core::activity::MessageSource;
use leadwire_core::config::{Config, RenderedRequest};
use leadwire_engine::delivery::DeliverySettings;
use leadwire_engine::delivery::concurrency::InFlightLimits;
use leadwire_engine::delivery::http::{HttpSettings, build_client};
use leadwire_engine::delivery::render::{RenderInputs, RenderProblem, Renderer};
use leadwire_engine::delivery::tokens::TokenRegistry;
use leadwire_engine::delivery::url_policy::Allowlist;
use leadwire_engine::metrics::Metrics;
use serde_json::{Map, Value};

use super::check::load_valid_config;
use crate::config::load_settings;

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
    let settings = load_settings(Some(&args.config))?;
    let renderer = renderer(&config, &settings.delivery)?;
    let compiled = renderer.template(&args.template).with_context(|| {
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
    let event = args.event.as_deref().map(read_object).transpose()?;
    let context = args.context.as_deref().map(read_object).transpose()?;
    let inputs = RenderInputs {
        user: read_object(&args.user)?,
        event_properties: event.as_ref(),
        api_trigger_properties: None,
        canvas_entry_properties: context.as_ref(),
        source: &MessageSource::Manual,
        now: chrono::Utc::now(),
    };
    let rendered = match renderer.render(compiled, &inputs).await {
        Ok(rendered) => rendered,
        Err(problem) => return Ok(report(&config, problem)),
    };
    let mut token_failed = false;
    for failure in &rendered.connected_content_failures {
        match &failure.connection {
            Some(connection) => {
                token_failed = true;
                eprintln!("error: {}", failure.message);
                eprintln!("fix: {}", token_fix(&config, connection));
            }
            None => eprintln!("warning: connected_content: {}", failure.message),
        }
    }
    if token_failed {
        return Ok(ExitCode::from(EXIT_RENDER_ERROR));
    }
    print!("{}", format_request(&rendered.request));
    Ok(ExitCode::SUCCESS)
}

/// Delivery's renderer for this config: its `[delivery]` URL policy and CA file, a short
/// timeout, and client secrets from the environment.
fn renderer(config: &Config, settings: &DeliverySettings) -> anyhow::Result<Renderer> {
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
    let env = |name: &str| std::env::var(name).ok();
    Renderer::new(config, client, allowlist, tokens, in_flight, &env)
        .context("the template does not compile")
}

/// Prints why the template did not render; the exit code says which kind of failure.
fn report(config: &Config, problem: RenderProblem) -> ExitCode {
    match problem {
        RenderProblem::Aborted { field, reason } => {
            println!("aborted in {field}: {reason}");
            return ExitCode::from(EXIT_ABORTED);
        }
        RenderProblem::ConnectedContent { field, message } => {
            eprintln!("error: {field}: {message}");
        }
        RenderProblem::Token {
            connection,
            message,
            ..
        } => {
            eprintln!("error: {message}");
            eprintln!("fix: {}", token_fix(config, &connection));
        }
        RenderProblem::Error(message) => eprintln!("error: {message}"),
    }
    ExitCode::from(EXIT_RENDER_ERROR)
}

/// How to get `name`'s token: set its client secret, or check its credentials.
fn token_fix(config: &Config, name: &str) -> String {
    let Some(connection) = config
        .salesforce_connections
        .iter()
        .find(|connection| connection.name == name)
    else {
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
    if connection
        .client_secret(&|name| std::env::var(name).ok())
        .is_none()
    {
        return format!("{variable} is not set: export it with {app}");
    }
    format!(
        "check that {variable} holds {app}, and that {} (login_url, or instance_url when unset) answers token requests",
        connection.login_url()
    )
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
