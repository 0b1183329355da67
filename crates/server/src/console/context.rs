//! What the console shows of the running node beside the store: the loaded config, where it
//! came from, its `check` diagnostics, and the delivery worker's live state.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use leadwire_core::config::Config;
use leadwire_engine::delivery::DeliveryWorker;

/// The node as the console sees it; built once by `serve`.
pub struct ConsoleContext {
    pub config: Arc<Config>,
    /// The config file, when one was given.
    pub config_file: Option<PathBuf>,
    pub loaded_at: DateTime<Utc>,
    /// `leadwire check`'s warnings for the loaded config (errors stop `serve` from starting).
    pub diagnostics: Vec<String>,
    /// The delivery worker, when the config has webhook templates.
    pub delivery: Option<Arc<DeliveryWorker>>,
}

impl ConsoleContext {
    pub fn new(config: Arc<Config>) -> Self {
        Self {
            config,
            config_file: None,
            loaded_at: Utc::now(),
            diagnostics: Vec::new(),
            delivery: None,
        }
    }
}
