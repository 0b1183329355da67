//! One claimed batch of sends in flight. The sends run side by side, and those that have
//! finished are recorded while the others still run, so a slow webhook holds back no other
//! send's activity entries, job ending or retry.
//!
//! Finished sends are recorded in groups: one group is written at a time, holding every
//! send that finished while the group before it was written (or that was already finished
//! when the first one did), so a batch whose sends answer together is still written in a
//! few transactions rather than one per send. While any send of the batch is unrecorded,
//! the batch's leases are renewed every third of `delivery.lease`, so a send that waits
//! for an in-flight permit or a slow answer keeps its claim until it is recorded.

use std::collections::HashMap;
use std::time::Duration;

use futures::FutureExt as _;
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt as _};
use leadwire_store::{ClaimedJob, LeasedJob, StoreResult};
use tokio::time::{Instant, MissedTickBehavior};

use super::record::RecordSummary;
use super::send::Processed;
use super::worker::DeliveryWorker;

/// A group being written: its job ids and, once written, the outcome.
type Recording<'a> = BoxFuture<'a, (Vec<i64>, StoreResult<RecordSummary>)>;

impl DeliveryWorker {
    /// Attempts `jobs` side by side and records each group of finished sends as soon as
    /// the group before it is written. Returns the summed summary, or the first error of a
    /// group that could not be written: the other groups are written all the same, and the
    /// failed group's jobs come back when their leases end.
    pub(super) async fn run_batch(&self, jobs: Vec<ClaimedJob>) -> StoreResult<RecordSummary> {
        let profiles = self.batch_profiles(&jobs).await;
        let mut leases: HashMap<i64, LeasedJob> =
            jobs.iter().map(|job| (job.id, job.into())).collect();
        let mut sends: FuturesUnordered<_> = jobs
            .into_iter()
            .map(|job| self.process(job, &profiles))
            .collect();
        let mut finished: Vec<Processed> = Vec::new();
        let mut recording: Option<Recording<'_>> = None;
        let mut renewal = self.lease_renewal();
        let mut summary = RecordSummary::default();
        let mut failure = None;
        loop {
            if recording.is_none() && !finished.is_empty() {
                recording = Some(self.record_group(std::mem::take(&mut finished)).boxed());
            }
            if sends.is_empty() && recording.is_none() {
                break;
            }
            tokio::select! {
                Some(processed) = sends.next(), if !sends.is_empty() => {
                    finished.push(processed);
                    while let Some(Some(processed)) = sends.next().now_or_never() {
                        finished.push(processed);
                    }
                }
                (ids, result) = written(&mut recording) => {
                    recording = None;
                    for id in &ids {
                        leases.remove(id);
                    }
                    match result {
                        Ok(group) => summary += group,
                        Err(error) => {
                            tracing::warn!(jobs = ids.len(), %error, "recording sends failed; they are retried when their leases expire");
                            failure.get_or_insert(error);
                        }
                    }
                }
                _ = renewal.tick() => self.renew_leases(&mut leases).await,
            }
        }
        failure.map_or(Ok(summary), Err)
    }

    /// Writes `group`; returns its job ids beside the outcome.
    async fn record_group(
        &self,
        mut group: Vec<Processed>,
    ) -> (Vec<i64>, StoreResult<RecordSummary>) {
        let ids = group.iter().map(|processed| processed.job.id).collect();
        tracing::debug!(sends = group.len(), "recording finished sends");
        let result = self.record(&mut group).await;
        (ids, result)
    }

    /// Ticks every [`DeliveryWorker::lease_renewal_every`], the first one period from now.
    fn lease_renewal(&self) -> tokio::time::Interval {
        let every = self.lease_renewal_every.max(Duration::from_millis(1));
        let mut renewal = tokio::time::interval_at(Instant::now() + every, every);
        renewal.set_missed_tick_behavior(MissedTickBehavior::Delay);
        renewal
    }

    /// Moves the end of every lease in `leases` one `delivery.lease` past now; a lease
    /// found lost is dropped (its send's record will find it lost too).
    async fn renew_leases(&self, leases: &mut HashMap<i64, LeasedJob>) {
        let held: Vec<LeasedJob> = leases.values().copied().collect();
        let until = self.clock.now() + self.settings.lease.as_delta();
        match self.store.extend_leases(&held, until).await {
            Ok(lost) => {
                for job_id in lost {
                    tracing::warn!(
                        job_id,
                        "lease lost while the send ran; another worker owns it"
                    );
                    leases.remove(&job_id);
                }
            }
            Err(error) => {
                tracing::warn!(%error, "renewing send leases failed; tried again at the next renewal");
            }
        }
    }
}

/// The outcome of the group being written; never ready when none is.
async fn written(recording: &mut Option<Recording<'_>>) -> (Vec<i64>, StoreResult<RecordSummary>) {
    match recording {
        Some(group) => group.await,
        None => std::future::pending().await,
    }
}
