//! The dispatch of a claimed journey job to its handler: trigger jobs to `triggers`,
//! canvas, campaign and broadcast tasks to `canvas`, `campaigns` and `broadcast`.

use chrono::{DateTime, Utc};
use leadwire_store::{ClaimedJob, JobPayload, StoreTransaction, TRIGGER_QUEUE};
use serde::de::DeserializeOwned;

use super::context::Journeys;
use super::error::JourneyError;
use super::tasks::{BROADCAST_QUEUE, CAMPAIGN_QUEUE, CANVAS_QUEUE};
use super::{broadcast, campaigns, canvas, triggers};

impl Journeys {
    /// Handles one claimed job of any journey queue at `now`, completing it in the same
    /// transaction as its effects. On `Err` nothing was written and the job is still leased.
    pub async fn handle(&self, job: &ClaimedJob, now: DateTime<Utc>) -> Result<(), JourneyError> {
        if let (BROADCAST_QUEUE, JobPayload::Task(payload)) = (job.queue.as_str(), &job.payload) {
            let task = decode(payload, "broadcast task")?;
            return broadcast::handle(self, job, &task, now).await;
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
                triggers::handle_in(self, tx, job, triggers, now).await
            }
            (TRIGGER_QUEUE, JobPayload::Triggers(triggers)) => {
                triggers::handle_in(self, tx, job, triggers, now).await
            }
            (CANVAS_QUEUE, JobPayload::Task(payload)) => {
                let task = decode(payload, "canvas task")?;
                canvas::handle_in(self, tx, job, &task, now).await
            }
            (CAMPAIGN_QUEUE, JobPayload::Task(payload)) => {
                let task = decode(payload, "campaign task")?;
                campaigns::handle_in(self, tx, job, &task, now).await
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
