//! `leadwire webhook preview`: render one webhook template for one user and print the
//! request it would send, like the Test tab of Braze's webhook composer. It renders through
//! delivery's `preview` (as the console's template page does), with delivery's own renderer:
//! `connected_content` calls are made for real, and `connection.access_token` /
//! `connections.<name>.access_token` are fetched with the connection's client credentials.
//! Exit codes: 0 rendered, 2 render error (a connection's token that cannot be had is
//! one), 3 aborted.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use leadwire_core::activity::MessageSource;
use leadwire_core::config::{Config, RenderedRequest};
use leadwire_engine::delivery::preview::{self, BodyCheck, PreviewOutcome, standalone_renderer};
use leadwire_engine::delivery::render::RenderInputs;
use leadwire_engine::delivery::templates::template_fields;
use leadwire_liquid::content_block_names;
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
    let env = |name: &str| std::env::var(name).ok();
    let renderer = standalone_renderer(&config, &settings.delivery, &env)
        .context("the template does not compile")?;
    if needs_stored_blocks(&config, &args.template) {
        // Content Blocks created through the API live in the store `serve` uses.
        match leadwire_store::open(&settings.store).await {
            Ok(store) => {
                renderer.content_blocks().refresh_or_warn(&*store).await;
                store.close().await;
            }
            Err(error) => eprintln!(
                "warning: the store ({}) could not be opened, so only the config's Content Blocks are rendered: {error}",
                settings.store.describe()
            ),
        }
    }
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
    let preview = preview::preview(&renderer, &config, &args.template, &inputs).await?;
    for warning in &preview.warnings {
        eprintln!("warning: connected_content: {warning}");
    }
    Ok(report(preview.outcome))
}

/// Whether template `name` (or a config block) includes a Content Block the config does
/// not declare (one created through the API), so the store must be read.
fn needs_stored_blocks(config: &Config, name: &str) -> bool {
    let Some(template) = config.template(name) else {
        return false;
    };
    let fields = template_fields(template);
    let texts = fields.iter().map(|(_, source)| *source).chain(
        config
            .content_blocks
            .iter()
            .map(|block| block.content.as_str()),
    );
    texts.into_iter().any(|text| {
        content_block_names(text)
            .iter()
            .any(|block| config.content_block(block).is_none())
    })
}

/// Prints the request, or why there is none; the exit code says which.
fn report(outcome: PreviewOutcome) -> ExitCode {
    match outcome {
        PreviewOutcome::Rendered(previewed) => {
            if let BodyCheck::InvalidJson(error) = &previewed.body {
                eprintln!("warning: the body is not valid JSON: {error}");
            }
            print!("{}", format_request(&previewed.request));
            ExitCode::SUCCESS
        }
        PreviewOutcome::Aborted { field, reason } => {
            println!("aborted in {field}: {reason}");
            ExitCode::from(EXIT_ABORTED)
        }
        PreviewOutcome::Failed(problems) => {
            for problem in problems {
                eprintln!("error: {}", problem.message);
                if let Some(fix) = problem.fix {
                    eprintln!("fix: {fix}");
                }
            }
            ExitCode::from(EXIT_RENDER_ERROR)
        }
    }
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
