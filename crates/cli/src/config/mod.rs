//! The one layered settings loader, for every section the process reads outside the domain
//! config: the compiled-in `config.default.toml` (which holds every default), then the
//! `--config` file, then `LEADWIRE_<SECTION>__<KEY>` environment variables. `[server]` and
//! `[store]` are typed in their crates, `[delivery]` and `[workers]` in the engine,
//! `[emulator]` beside the embedded emulator and `[log]` beside the tracing setup. The rest
//! of the file (API keys, Salesforce connections, templates, campaigns, canvases) is
//! `leadwire_core::config::Config`, read and validated by `leadwire check`.

use std::path::Path;

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use leadwire_engine::delivery::DeliverySettings;
use leadwire_engine::workers::WorkerOptions;
use leadwire_server::ServerConfig;
use leadwire_server::console::ConsoleSettings;
use leadwire_store::StoreConfig;
use serde::de::DeserializeOwned;

use crate::embedded_emulator::EmulatorSection;
use crate::logging::LogSettings;

/// The annotated defaults, compiled in.
pub const DEFAULTS: &str = include_str!("../../../../config.default.toml");

/// The prefix of the environment layer: `LEADWIRE_DELIVERY__TIMEOUT=30s` sets
/// `[delivery] timeout`.
pub const ENV_PREFIX: &str = "LEADWIRE_";

/// Every layered section, read and validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub delivery: DeliverySettings,
    pub workers: WorkerOptions,
    pub emulator: EmulatorSection,
    pub log: LogSettings,
    pub console: ConsoleSettings,
}

/// A problem with one section: which section, and what is wrong (naming the key).
#[derive(Debug, Clone, PartialEq)]
pub struct SectionProblem {
    pub section: &'static str,
    pub message: String,
}

/// The layers for `file` (the defaults alone without it).
pub fn layers(file: Option<&Path>) -> anyhow::Result<Figment> {
    let mut figment = Figment::from(Toml::string(DEFAULTS));
    if let Some(file) = file {
        anyhow::ensure!(
            file.exists(),
            "the config file {} does not exist",
            file.display()
        );
        // Checked once here: otherwise every section would report the same syntax error.
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read the config file {}", file.display()))?;
        if let Err(error) = toml::from_str::<toml::Table>(&text) {
            anyhow::bail!(
                "the config file {} is not valid TOML: {error}",
                file.display()
            );
        }
        figment = figment.merge(Toml::file(file));
    }
    let environment = Env::prefixed(ENV_PREFIX).split("__");
    if let Some((key, _)) = environment
        .iter()
        .find(|(_, value)| misread_by_figment(value))
    {
        let name = format!("{ENV_PREFIX}{}", key.as_str().replace('.', "__")).to_uppercase();
        anyhow::bail!(
            "the environment variable {name} cannot be read: inside double quotes, a backslash escape follows a non-ASCII character; write those characters as \\uXXXX escapes"
        );
    }
    Ok(figment.merge(environment))
}

/// Whether figment (0.10) could misread `value`: decoding the escapes of a double-quoted
/// string, it cuts the text before the first backslash at a count of characters taken for
/// a count of bytes, so a non-ASCII character before that backslash makes it panic or drop
/// characters. Errs on the side of refusing (any `"` is taken to open a string).
fn misread_by_figment(value: &str) -> bool {
    let mut chars = value.chars();
    while chars.any(|c| c == '"') {
        let mut wide = false;
        for c in chars.by_ref() {
            match c {
                '\\' if wide => return true,
                // Past the first escape figment decodes correctly; skip to the closing quote.
                '\\' => {
                    let mut escaped = true;
                    for c in chars.by_ref() {
                        match (escaped, c) {
                            (true, _) => escaped = false,
                            (false, '\\') => escaped = true,
                            (false, '"') => break,
                            _ => {}
                        }
                    }
                    break;
                }
                '"' => break,
                c if !c.is_ascii() => wide = true,
                _ => {}
            }
        }
    }
    false
}

/// Reads and validates every section; an error lists every problem.
pub fn load_settings(file: Option<&Path>) -> anyhow::Result<Settings> {
    Settings::from_layers(&layers(file)?).map_err(|problems| {
        let lines: Vec<String> = problems
            .iter()
            .map(|problem| format!("  {}", problem.message))
            .collect();
        anyhow::anyhow!("invalid settings:\n{}", lines.join("\n"))
    })
}

impl Settings {
    /// Every section of `figment`, or every problem found.
    pub fn from_layers(figment: &Figment) -> Result<Self, Vec<SectionProblem>> {
        let mut problems = Vec::new();
        let server = section(figment, "server", &mut problems, ServerConfig::validate);
        let store = section(figment, "store", &mut problems, |store: &StoreConfig| {
            store
                .location()
                .and_then(|_| store.attribute_limits())
                .map(|_| ())
                .map_err(|error| error.to_string())
        });
        let delivery = section(
            figment,
            "delivery",
            &mut problems,
            DeliverySettings::validate,
        );
        let workers = section(figment, "workers", &mut problems, WorkerOptions::validate);
        let emulator = section(figment, "emulator", &mut problems, |_| Ok(()));
        let log = section(figment, "log", &mut problems, LogSettings::validate);
        let console = section(figment, "console", &mut problems, ConsoleSettings::validate);
        match (server, store, delivery, workers, emulator, log, console) {
            (
                Some(server),
                Some(store),
                Some(delivery),
                Some(workers),
                Some(emulator),
                Some(log),
                Some(console),
            ) if problems.is_empty() => Ok(Self {
                server,
                store,
                delivery,
                workers,
                emulator,
                log,
                console,
            }),
            _ => Err(problems),
        }
    }
}

/// Extracts and validates one section, noting its problem.
fn section<T: DeserializeOwned>(
    figment: &Figment,
    name: &'static str,
    problems: &mut Vec<SectionProblem>,
    validate: impl Fn(&T) -> Result<(), String>,
) -> Option<T> {
    let checked = figment
        .extract_inner::<T>(name)
        .map_err(|error| describe(&error, name))
        .and_then(|value| validate(&value).map(|()| value));
    checked
        .map_err(|message| {
            problems.push(SectionProblem {
                section: name,
                message,
            })
        })
        .ok()
}

/// A figment error as one line: the key, what is wrong, and the layer it came from.
fn describe(error: &figment::Error, section: &str) -> String {
    // figment 0.10 lists an `extract_inner` path with the section last; keep the key part.
    let mut keys: Vec<&str> = error.path.iter().map(String::as_str).collect();
    if keys.last() == Some(&section) {
        keys.pop();
    }
    let what = match &error.kind {
        figment::error::Kind::UnknownField(found, expected) => format!(
            "unknown field `{found}`; the keys are {}",
            expected
                .iter()
                .map(|key| format!("`{key}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        kind => kind.to_string(),
    };
    let mut message = match keys.as_slice() {
        // The whole section: e.g. `delivery = 0` where a table belongs.
        [] => format!("{section}: {what}"),
        keys => format!("{section}.{}: {what}", keys.join(".")),
    };
    if let Some(metadata) = &error.metadata {
        let origin = match &metadata.source {
            Some(figment::Source::File(path)) => path.display().to_string(),
            _ => metadata.name.to_string(),
        };
        message = format!("{message} (from {origin})");
    }
    message
}

#[cfg(test)]
mod tests;
