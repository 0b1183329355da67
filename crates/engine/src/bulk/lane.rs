//! The bulk lane: beside the delivery worker, and with its renderer, HTTP client and
//! connection tokens, it runs the Bulk API 2.0 runs of campaign broadcasts past their
//! template's `bulk_threshold` ([`BulkSendTask`], on the `bulk` queue) through
//! [`Backfill`]. A run lasts minutes: its job's lease is renewed while it runs, and the job
//! completes in the run's last write. A run that stops (Salesforce unreachable, the
//! process ends) leaves its job to be claimed again, which resumes the run by its id:
//! stored jobs are polled or closed, never uploaded twice.

use std::sync::Arc;
use std::time::Duration;

use leadwire_core::config::Config;
use leadwire_core::config::segment::Segment;
use leadwire_core::queue::{BulkSendTask, Task};
use leadwire_store::{ClaimedJob, JobPayload, LeasedJob, Queue, StoreResult};
use tokio_util::sync::CancellationToken;

use super::backfill::Quiet;
use super::{Backfill, BackfillError, BulkSettings, BulkSource, CampaignRun};
use crate::delivery::DeliveryWorker;

/// How long a run that stopped on an error waits before its job is claimed again.
const RETRY_AFTER: Duration = Duration::from_secs(60);
/// How long the lane waits before it looks for a bulk send again.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// How long the lane waits after a database error.
const ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Runs bulk sends one at a time with a delivery worker's means.
pub struct BulkLane {
    worker: Arc<DeliveryWorker>,
    settings: BulkSettings,
}

impl BulkLane {
    pub fn new(worker: Arc<DeliveryWorker>) -> Self {
        Self {
            worker,
            settings: BulkSettings::default(),
        }
    }

    /// Runs with these job limits and pacing (tests poll faster and stop at chosen points).
    #[must_use]
    pub fn with_settings(mut self, settings: BulkSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Whether a template of `config` sends campaign broadcasts through Bulk API 2.0.
    pub fn wanted(config: &Config) -> bool {
        config
            .webhook_templates
            .iter()
            .any(|template| template.bulk_threshold.is_some())
    }

    /// Runs bulk sends until `shutdown` is cancelled; a run in progress then stops where
    /// it is and resumes at the next start.
    pub async fn run(self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            let pause = tokio::select! {
                () = shutdown.cancelled() => break,
                claimed = self.run_once() => match claimed {
                    Ok(true) => continue,
                    Ok(false) => IDLE_POLL,
                    Err(error) => {
                        tracing::error!(%error, "claiming a bulk send failed");
                        ERROR_PAUSE
                    }
                },
            };
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Claims one due bulk send and runs it to its end (or its error), renewing the job's
    /// lease meanwhile. Whether a job was claimed.
    pub async fn run_once(&self) -> StoreResult<bool> {
        let worker = &self.worker;
        let now = worker.clock().now();
        let lease = worker.settings().lease_duration();
        let store = worker.store();
        let Some(job) = store.claim(Queue::Bulk, now, lease, 1).await?.pop() else {
            return Ok(false);
        };
        let JobPayload::Task(Task::Bulk(task)) = &job.payload else {
            let error = format!("a {} job is no bulk send", job.queue);
            store.fail(&job, &error, now).await?;
            return Ok(true);
        };
        let run = self.run_task(&job, task);
        tokio::pin!(run);
        let mut renew = tokio::time::interval(worker.lease_renewal_every());
        renew.tick().await;
        let result = loop {
            tokio::select! {
                result = &mut run => break result,
                _ = renew.tick() => self.renew_lease(&job).await,
            }
        };
        if let Err(error) = result {
            tracing::warn!(run = %task.run_id, %error, "bulk send stopped; its job runs again later and resumes the run");
            let wait = chrono::TimeDelta::from_std(RETRY_AFTER).unwrap_or_default();
            let at = worker.clock().now() + wait;
            store.retry_at(&job, at, &error.to_string()).await?;
        }
        Ok(true)
    }

    async fn renew_lease(&self, job: &ClaimedJob) {
        let worker = &self.worker;
        let until = worker.clock().now() + worker.settings().lease.as_delta();
        match worker
            .store()
            .extend_leases(&[LeasedJob::from(job)], until)
            .await
        {
            Ok(lost) if !lost.is_empty() => {
                tracing::warn!(
                    job_id = job.id,
                    "bulk send's lease lost; another worker owns it"
                );
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "renewing a bulk send's lease failed; tried again at the next renewal");
            }
        }
    }

    async fn run_task(&self, job: &ClaimedJob, task: &BulkSendTask) -> Result<(), BackfillError> {
        let worker = &self.worker;
        let config = worker.config();
        let broadcast = &task.broadcast;
        let now = worker.clock().now();
        let campaign = config.campaign_by_api_id(&broadcast.id);
        let filters = broadcast
            .audience
            .as_ref()
            .map_or(Ok(Vec::new()), |audience| audience.filters(config, now));
        let (Some(campaign), Ok(filters)) = (campaign, filters) else {
            tracing::warn!(id = %broadcast.id, dispatch_id = %broadcast.dispatch_id, "a bulk send names a campaign or segment no longer in the config; stopped");
            worker.store().complete(job).await?;
            return Ok(());
        };
        let backfill = Backfill {
            store: &**worker.store(),
            renderer: worker.renderer(),
            config,
            template: &campaign.template,
            audience: Segment {
                id: String::new(),
                name: broadcast.dispatch_id.clone(),
                description: None,
                tags: Vec::new(),
                filters,
            },
            audience_given: broadcast.dispatch_id.clone(),
            abandon_unfinished: false,
            settings: self.settings.clone(),
            http: worker.http_client().clone(),
            progress: &Quiet,
            source: BulkSource::Campaign(CampaignRun {
                campaign,
                run_id: task.run_id,
                properties: broadcast.properties.clone(),
                tracking_send_id: broadcast.tracking_send_id.clone(),
                job,
            }),
        };
        let report = backfill.run(false).await?;
        tracing::info!(run = %task.run_id, dispatch_id = %broadcast.dispatch_id, ?report, "bulk send finished");
        Ok(())
    }
}
