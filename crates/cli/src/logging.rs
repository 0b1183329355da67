//! The `[log]` section and the process's tracing setup: plain text, coloured only on a
//! terminal, or JSON lines for log collectors.

use std::io::IsTerminal;

use serde::Deserialize;
use tracing_subscriber::EnvFilter;

/// How the process logs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `text` (human-readable; colours only when standard output is a terminal) or `json`
    /// (one object per line).
    pub format: LogFormat,
    /// Which events are written, as a tracing filter (`info`, `leadwire_engine=debug`, …).
    /// `RUST_LOG`, when set, takes its place.
    pub filter: String,
}

/// The shape of each log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: "info,sqlx=warn".into(),
        }
    }
}

impl LogSettings {
    /// Whether `filter` is a valid tracing filter.
    pub fn validate(&self) -> Result<(), String> {
        EnvFilter::try_new(&self.filter).map(|_| ()).map_err(|error| {
            format!(
                "log.filter `{}` is not a tracing filter ({error}); write e.g. \"info\" or \"info,leadwire_engine=debug\"",
                self.filter
            )
        })
    }
}

/// Installs the global subscriber; a second call (tests start several nodes) changes nothing.
pub fn init_tracing(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match settings.format {
        LogFormat::Json => builder.json().try_init().ok(),
        LogFormat::Text => builder
            .with_ansi(std::io::stdout().is_terminal())
            .try_init()
            .ok(),
    };
}
