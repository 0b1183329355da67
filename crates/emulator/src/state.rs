//! The shared emulator state: configuration, the Lead catalogue and store, tokens, counters, faults and query cursors.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use chrono::Utc;
use serde_json::Value;

use super::bulk::BulkJobs;
use super::config::EmulatorConfig;
use super::families::ApiFamily;
use super::faults::{FaultSettings, FaultSettingsError, Faults};
use super::persist::PersistHandle;
use super::stats::{Stats, StatsSnapshot};
use super::store::{LeadRecord, LeadStore};
use super::tokens::TokenStore;
use leadwire_salesforce::fields::{FieldConfigError, LeadCatalog};
use leadwire_salesforce::ids::IdGenerator;

/// Why the emulator could not be set up or started.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("invalid custom field: {0}")]
    Field(#[from] FieldConfigError),
    #[error("invalid fault settings: {0}")]
    Faults(#[from] FaultSettingsError),
    #[error("duplicate rule on `{0}`: Lead has no such field")]
    DuplicateRuleField(String),
    #[error("client id and client secret must not be empty")]
    MissingCredentials,
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("lead storage failed: {0}")]
    Persist(#[from] sqlx::Error),
}

/// One page-able query result: rendered rows waiting to be fetched.
#[derive(Debug, Clone)]
pub(crate) struct QueryCursor {
    pub rows: Arc<Vec<Value>>,
    pub batch_size: usize,
}

pub(crate) struct Inner {
    pub config: EmulatorConfig,
    pub catalog: LeadCatalog,
    pub duplicate_rule_fields: Vec<usize>,
    pub leads: LeadStore,
    pub ids: IdGenerator,
    pub tokens: TokenStore,
    pub stats: Stats,
    pub faults: Faults,
    pub api_usage: AtomicU64,
    pub instance_url: RwLock<Option<String>>,
    pub persist: RwLock<Option<PersistHandle>>,
    /// Serialises the writes that must look at other records (upserts, duplicate rules).
    pub write_gate: Mutex<()>,
    pub cursors: Mutex<HashMap<String, QueryCursor>>,
    pub next_cursor: AtomicU64,
    /// Bulk API 2.0 ingest jobs (kept in memory only, never in `--data`).
    pub bulk: BulkJobs,
}

/// The emulator's state; cheap to clone, shared by every connection.
#[derive(Clone)]
pub struct EmulatorState {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for EmulatorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorState")
            .field("client_id", &self.inner.config.client_id)
            .field("leads", &self.inner.leads.len())
            .finish_non_exhaustive()
    }
}

impl EmulatorState {
    /// Validates `config` and builds an empty emulator.
    pub fn new(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        if config.client_id.is_empty() || config.client_secret.is_empty() {
            return Err(EmulatorError::MissingCredentials);
        }
        config.faults.validate()?;
        let catalog = LeadCatalog::new(&config.custom_fields)?;
        let duplicate_rule_fields = config
            .duplicate_rules
            .iter()
            .map(|rule| {
                catalog
                    .index_of(&rule.field)
                    .ok_or_else(|| EmulatorError::DuplicateRuleField(rule.field.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let faults = Faults::new(config.faults.clone());
        Ok(Self {
            inner: Arc::new(Inner {
                catalog,
                duplicate_rule_fields,
                leads: LeadStore::default(),
                ids: IdGenerator::leads(1),
                tokens: TokenStore::default(),
                stats: Stats::default(),
                faults,
                api_usage: AtomicU64::new(0),
                instance_url: RwLock::new(None),
                persist: RwLock::new(None),
                write_gate: Mutex::new(()),
                cursors: Mutex::new(HashMap::new()),
                next_cursor: AtomicU64::new(1),
                bulk: BulkJobs::default(),
                config,
            }),
        })
    }

    /// The configuration the emulator runs with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.inner.config
    }

    /// A copy of the request counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.inner
            .stats
            .snapshot(self.inner.api_usage.load(Ordering::Relaxed))
    }

    /// Charges one call of `family` to the daily API allocation; `false` (nothing charged)
    /// when the allocation is used up or the limit fault is on.
    pub(crate) fn charge_api_call(&self, family: ApiFamily) -> bool {
        if self.inner.faults.limit_exceeded() {
            return false;
        }
        let limit = self.inner.config.daily_api_limit;
        let charged = self
            .inner
            .api_usage
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                (used < limit).then_some(used + 1)
            })
            .is_ok();
        if charged {
            self.inner.stats.charge(family);
        }
        charged
    }

    /// The current fault settings.
    pub fn faults(&self) -> FaultSettings {
        self.inner.faults.settings()
    }

    /// Replaces the fault settings.
    pub fn set_faults(&self, settings: FaultSettings) -> Result<(), FaultSettingsError> {
        settings.validate()?;
        self.inner.faults.replace(settings);
        Ok(())
    }

    /// Makes the next `count` requests fail with `status` (500 or 503).
    pub fn fail_next(&self, count: u32, status: u16) -> Result<(), FaultSettingsError> {
        if !matches!(status, 500 | 503) {
            return Err(FaultSettingsError::Status(status));
        }
        self.inner.faults.fail_next(count, status);
        Ok(())
    }

    /// Drops the connections of the next `count` requests without an answer.
    pub fn drop_next(&self, count: u32) {
        self.inner.faults.drop_next(count);
    }

    /// Expires every token issued so far; returns how many were active.
    pub fn expire_tokens(&self) -> usize {
        self.inner.tokens.expire_all(Utc::now())
    }

    /// Sets the API requests counted today (`/limits` and `Sforce-Limit-Info` report it
    /// against `daily_api_limit`; at the limit every call gets `REQUEST_LIMIT_EXCEEDED`),
    /// e.g. to bring an org near its limit or give it room again.
    pub fn set_api_usage(&self, used: u64) {
        self.inner.api_usage.store(used, Ordering::Relaxed);
    }

    /// Forgets leads, tokens, counters, cursors, Bulk jobs and faults, and zeroes API usage.
    pub fn reset(&self) {
        self.inner.leads.clear();
        self.inner.bulk.clear();
        self.inner.tokens.clear();
        self.inner.stats.clear();
        self.inner.faults.replace(FaultSettings::default());
        self.inner.api_usage.store(0, Ordering::Relaxed);
        self.inner
            .cursors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        if let Some(persist) = self.persist_handle() {
            persist.clear();
        }
    }

    /// Runs closed Bulk API ingest jobs until `stop` is cancelled; [`super::spawn`] starts
    /// it. Only one may run: a second call returns at once.
    pub async fn process_bulk_jobs(&self, stop: tokio_util::sync::CancellationToken) {
        match self.inner.bulk.take_queue() {
            Some(queue) => super::bulk::run_processing(self.clone(), queue, stop).await,
            None => tracing::warn!("the Bulk processing task is already running"),
        }
    }

    /// How many leads are stored (deleted ones included).
    pub fn lead_count(&self) -> usize {
        self.inner.leads.len()
    }

    /// The URL clients are told to use (`instance_url`); set by [`super::spawn`].
    pub fn set_instance_url(&self, url: &str) {
        *self
            .inner
            .instance_url
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(url.trim_end_matches('/').to_owned());
    }

    pub(crate) fn instance_url(&self) -> Option<String> {
        self.inner
            .instance_url
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn persist_handle(&self) -> Option<PersistHandle> {
        self.inner
            .persist
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn attach_persist(&self, handle: PersistHandle) {
        *self
            .inner
            .persist
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(handle);
    }

    /// Stores a record in memory and, with `--data`, on disk.
    pub(crate) fn save(&self, record: LeadRecord) {
        if let Some(persist) = self.persist_handle() {
            persist.save(&self.inner.catalog, &record);
        }
        self.inner.leads.put(record);
    }

    /// Takes a record out entirely (rolling back a create).
    pub(crate) fn remove(&self, id: &leadwire_salesforce::ids::RecordId) {
        if let Some(persist) = self.persist_handle() {
            persist.remove(id);
        }
        self.inner.leads.remove(id);
    }

    /// Restores a record loaded from disk.
    pub(crate) fn restore(&self, record: LeadRecord) {
        self.inner.ids.observe(record.sequence);
        self.inner.leads.put(record);
    }
}
