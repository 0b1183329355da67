//! [`Journeys`]: what every journey worker shares (store, config, attribute limits, the
//! Liquid template cache), and the dispatch of a claimed job to its handler.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use leadwire_core::attributes::AttributeLimits;
use leadwire_core::config::Config;
use leadwire_core::filters::{EventCounts, Filter};
use leadwire_core::time::Interval;
use leadwire_store::{ClaimedJob, JobPayload, Store, StoreResult, StoreTransaction, TRIGGER_QUEUE};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::JourneyError;
use super::liquid::TemplateCache;
use super::tasks::{BROADCAST_QUEUE, CAMPAIGN_QUEUE, CANVAS_QUEUE};

/// The campaign and Canvas runtime over one store and one config.
pub struct Journeys {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) config: Arc<Config>,
    pub(crate) limits: AttributeLimits,
    pub(crate) liquid: TemplateCache,
}

impl Journeys {
    /// The queues the journey workers consume.
    pub const QUEUES: [&'static str; 4] =
        [TRIGGER_QUEUE, CANVAS_QUEUE, CAMPAIGN_QUEUE, BROADCAST_QUEUE];

    /// The runtime over `store` and `config`. The caller sets the store's trigger interest
    /// (see [`Config::trigger_interest`]), so trigger jobs are written for what the config
    /// listens to.
    pub fn new(store: Arc<dyn Store>, config: Arc<Config>, limits: AttributeLimits) -> Self {
        Self {
            store,
            config,
            limits,
            liquid: TemplateCache::default(),
        }
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

    /// Handles one claimed job of any journey queue at `now`, completing it in the same
    /// transaction as its effects. On `Err` nothing was written and the job is still leased.
    pub async fn handle(&self, job: &ClaimedJob, now: DateTime<Utc>) -> Result<(), JourneyError> {
        if let (BROADCAST_QUEUE, JobPayload::Task(payload)) = (job.queue.as_str(), &job.payload) {
            let task = decode(payload, "broadcast task")?;
            return super::broadcast::handle(self, job, &task, now).await;
        }
        let mut tx = self.store.begin().await?;
        self.handle_in(tx.as_mut(), job, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Handles one job of the trigger, canvas or campaign queue inside `tx`, completing it
    /// there.
    pub(crate) async fn handle_in(
        &self,
        tx: &mut dyn StoreTransaction,
        job: &ClaimedJob,
        now: DateTime<Utc>,
    ) -> Result<(), JourneyError> {
        match (job.queue.as_str(), &job.payload) {
            (TRIGGER_QUEUE, JobPayload::Trigger(trigger)) => {
                let triggers = std::slice::from_ref(trigger);
                super::triggers::handle_in(self, tx, job, triggers, now).await
            }
            (TRIGGER_QUEUE, JobPayload::Triggers(triggers)) => {
                super::triggers::handle_in(self, tx, job, triggers, now).await
            }
            (CANVAS_QUEUE, JobPayload::Task(payload)) => {
                let task = decode(payload, "canvas task")?;
                super::canvas::handle_in(self, tx, job, &task, now).await
            }
            (CAMPAIGN_QUEUE, JobPayload::Task(payload)) => {
                let task = decode(payload, "campaign task")?;
                super::campaigns::handle_in(self, tx, job, &task, now).await
            }
            (queue, _) => Err(JourneyError::UnknownQueue(queue.to_owned())),
        }
    }
}

fn decode<T: DeserializeOwned>(
    payload: &serde_json::Value,
    expected: &'static str,
) -> Result<T, JourneyError> {
    serde_json::from_value(payload.clone()).map_err(|error| JourneyError::Payload {
        expected,
        reason: error.to_string(),
    })
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
