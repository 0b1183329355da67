//! [`Journeys`]: what every journey worker shares (store, config, attribute limits, the
//! Liquid template cache) and the event counts their filters read.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use leadwire_core::attributes::AttributeLimits;
use leadwire_core::config::Config;
use leadwire_core::filters::{EventCounts, Filter};
use leadwire_core::time::Interval;
use leadwire_store::{Queue, Store, StoreResult};
use uuid::Uuid;

use super::liquid::TemplateCache;

/// The campaign and Canvas runtime over one store and one config.
pub struct Journeys {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) config: Arc<Config>,
    pub(crate) limits: AttributeLimits,
    pub(crate) liquid: TemplateCache,
    /// Where segment exports are written (`[exports] dir`).
    pub(crate) exports_dir: PathBuf,
}

impl Journeys {
    /// The queues the journey workers consume.
    pub const QUEUES: [Queue; 6] = [
        Queue::Triggers,
        Queue::Canvas,
        Queue::Campaigns,
        Queue::Broadcasts,
        Queue::Exports,
        Queue::Schedules,
    ];

    /// The runtime over `store` and `config`. The caller sets the store's trigger interest
    /// (see [`Config::trigger_interest`]), so trigger jobs are written for what the config
    /// listens to.
    pub fn new(store: Arc<dyn Store>, config: Arc<Config>, limits: AttributeLimits) -> Self {
        Self {
            store,
            config,
            limits,
            liquid: TemplateCache::default(),
            exports_dir: PathBuf::from("exports"),
        }
    }

    /// Writes segment exports under `dir` (`exports` in the working directory otherwise).
    pub fn with_exports_dir(mut self, dir: PathBuf) -> Self {
        self.exports_dir = dir;
        self
    }

    /// Where segment exports are written.
    pub fn exports_dir(&self) -> &std::path::Path {
        &self.exports_dir
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Deletes canvas entries whose user exited longer than `retention` (`[workers]
    /// canvas_entry_retention`) before `now`, a batch at a time; returns how many went.
    pub async fn prune_exited_entries(
        &self,
        now: DateTime<Utc>,
        retention: Interval,
    ) -> StoreResult<u64> {
        const BATCH: u32 = 1000;
        let before = retention.before(now);
        let mut pruned = 0;
        loop {
            let batch = self.store.prune_canvas_entries(before, BATCH).await?;
            pruned += batch;
            if batch < u64::from(BATCH) {
                return Ok(pruned);
            }
        }
    }
}

/// The custom-event counts `filters` read, fetched from the store for one user at `now`.
pub(crate) async fn event_counts<'a>(
    store: &dyn Store,
    user_id: Uuid,
    filters: impl IntoIterator<Item = &'a Filter>,
    now: DateTime<Utc>,
) -> StoreResult<EventCounts> {
    let mut counts = EventCounts::default();
    for filter in filters {
        for (name, since) in filter.required_event_counts(now) {
            let count = store.count_events_since(user_id, &name, since).await?;
            counts.insert(&name, since, count);
        }
    }
    Ok(counts)
}
