//! `leadwire liquid render`: render a template from stdin with the Braze-dialect engine.
//!
//! Exit codes: 0 rendered, 2 template error (message on stderr), 3 aborted (reason on
//! stderr). `connected_content` makes real HTTP requests through
//! `leadwire_liquid::http_fetcher::ReqwestFetcher`.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use leadwire_liquid::http_fetcher::ReqwestFetcher;
use leadwire_liquid::{Engine, EngineOptions, Globals, MemoryCache, Outcome};
use serde_json::{Map, Value};

#[derive(Debug, Subcommand)]
pub enum LiquidCommand {
    /// Render the template read from stdin and write the output to stdout.
    Render(RenderArgs),
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// JSON object of top-level variables.
    #[arg(long, value_name = "FILE.json")]
    context: Option<PathBuf>,
    /// The user profile in `/users/track` attribute shape (feeds `${…}` and `custom_attribute`).
    #[arg(long, value_name = "FILE.json")]
    user: Option<PathBuf>,
    /// JSON object of event properties (`event_properties.${…}`).
    #[arg(long, value_name = "FILE.json")]
    event: Option<PathBuf>,
    /// JSON object mapping partial names to sources, for `include` and `render`.
    #[arg(long, value_name = "FILE.json")]
    partials: Option<PathBuf>,
    /// Report unknown variables and filters as errors.
    #[arg(long)]
    strict: bool,
    /// Render this many times (printing once), to time rendering from outside.
    #[arg(long, default_value_t = 1, value_name = "N")]
    repeat: u32,
}

const EXIT_TEMPLATE_ERROR: u8 = 2;
const EXIT_ABORTED: u8 = 3;

pub async fn run(command: LiquidCommand) -> anyhow::Result<ExitCode> {
    match command {
        LiquidCommand::Render(args) => render(args).await,
    }
}

fn read_object(path: &Path) -> anyhow::Result<Map<String, Value>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", path.display()))?;
    match value {
        Value::Object(map) => Ok(map),
        _ => anyhow::bail!("{} must hold a JSON object", path.display()),
    }
}

fn read_partials(path: &Path) -> anyhow::Result<HashMap<String, String>> {
    read_object(path)?
        .into_iter()
        .map(|(name, source)| match source {
            Value::String(source) => Ok((name, source)),
            _ => anyhow::bail!("partial `{name}` in {} must be a string", path.display()),
        })
        .collect()
}

async fn render(args: RenderArgs) -> anyhow::Result<ExitCode> {
    let mut source = String::new();
    std::io::stdin()
        .read_to_string(&mut source)
        .context("cannot read the template from stdin")?;
    let options = if args.strict {
        EngineOptions::strict()
    } else {
        EngineOptions::default()
    };
    let mut engine = Engine::new(options);
    if let Some(path) = &args.partials {
        engine = engine.with_partials(Arc::new(read_partials(path)?));
    }
    let mut globals = Globals::new();
    if let Some(path) = &args.context {
        globals = globals.with_variables(&read_object(path)?);
    }
    if let Some(path) = &args.user {
        globals = globals.with_user(&read_object(path)?);
    }
    if let Some(path) = &args.event {
        globals = globals.with_event_properties(&read_object(path)?);
    }
    let template = match engine.parse(&source) {
        Ok(template) => template,
        Err(error) => {
            eprintln!("template error: {error}");
            return Ok(ExitCode::from(EXIT_TEMPLATE_ERROR));
        }
    };
    let fetcher = ReqwestFetcher::new().context("cannot build the HTTP client")?;
    let cache = MemoryCache::default();
    let mut last = None;
    for _ in 0..args.repeat.max(1) {
        match engine
            .render_async(&template, &globals, &fetcher, &cache)
            .await
        {
            Ok(outcome) => last = Some(outcome),
            Err(error) => {
                eprintln!("template error: {error}");
                return Ok(ExitCode::from(EXIT_TEMPLATE_ERROR));
            }
        }
    }
    match last {
        Some(Outcome::Rendered(output)) => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(output.as_bytes())
                .context("cannot write to stdout")?;
            stdout.flush().context("cannot write to stdout")?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Outcome::Aborted(abort)) => {
            eprintln!("aborted: {}", abort.reason);
            Ok(ExitCode::from(EXIT_ABORTED))
        }
        None => anyhow::bail!("nothing was rendered"),
    }
}
