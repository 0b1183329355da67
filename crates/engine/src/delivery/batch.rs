//! One claimed batch of sends in flight. The sends run side by side, and those that have
//! finished are recorded while the others still run, so a slow webhook holds back no other
//! send's activity entries, job ending or retry.
//!
//! Finished sends are recorded in groups, one written at a time. A group opens when a send
//! finishes and is written once every send of the batch has finished or [`GROUP_WINDOW`]
//! has passed (later if the group before it is still being written), so a batch whose
//! sends answer together is written in one transaction or a few, not one per send, and a
//! slow send holds the others back by the window at most.
//!
//! While any send of the batch is unrecorded, the batch's leases are renewed every third
//! of `delivery.lease`, so a send that waits for an in-flight permit or a slow answer
//! keeps its claim until it is recorded.

use std::collections::HashMap;
use std::time::Duration;

use futures::FutureExt as _;
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt as _};
use leadwire_store::{ClaimedJob, LeasedJob, StoreError, StoreResult};
use tokio::time::{Instant, MissedTickBehavior};

use super::record::RecordSummary;
use super::send::Processed;
use super::worker::DeliveryWorker;

/// How long a group of finished sends waits for more before it is written, unless the
/// batch has no send left running. Writing each group as soon as the one before it was
/// written cost about a quarter of the delivery bench's throughput; with 100 ms it matches
/// writing the whole batch at once (docs/benchmarks.md).
const GROUP_WINDOW: Duration = Duration::from_millis(100);

/// A group being written: its job ids and, once written, the outcome.
type Recording<'a> = BoxFuture<'a, (Vec<i64>, StoreResult<RecordSummary>)>;

impl DeliveryWorker {
    /// Attempts `jobs` side by side and records the finished ones in groups while the
    /// others run. Returns the summed summary, or the first error of a group that could
    /// not be written: the other groups are written all the same, and the failed group's
    /// jobs come back when their leases end.
    pub(super) async fn run_batch(&self, jobs: Vec<ClaimedJob>) -> StoreResult<RecordSummary> {
        let profiles = self.batch_profiles(&jobs).await;
        self.renderer
            .content_blocks()
            .refresh_or_warn(&*self.store)
            .await;
        let mut leases: HashMap<i64, LeasedJob> =
            jobs.iter().map(|job| (job.id, job.into())).collect();
        let mut sends: FuturesUnordered<_> = jobs
            .into_iter()
            .map(|job| self.process(job, &profiles))
            .collect();
        let mut gathering = Gathering::default();
        let mut recording: Option<Recording<'_>> = None;
        let mut renewal = self.lease_renewal();
        let mut tally = Tally::default();
        loop {
            if recording.is_none()
                && let Some(group) = gathering.take_when_due(sends.is_empty())
            {
                recording = Some(self.record_group(group).boxed());
            }
            if sends.is_empty() && recording.is_none() {
                return tally.into_result();
            }
            let wait = gathering.due.filter(|_| recording.is_none());
            tokio::select! {
                () = tokio::time::sleep_until(wait.unwrap_or_else(Instant::now)), if wait.is_some() => {}
                Some(processed) = sends.next(), if !sends.is_empty() => {
                    gathering.add(processed);
                    while let Some(Some(processed)) = sends.next().now_or_never() {
                        gathering.add(processed);
                    }
                }
                (ids, result) = written(&mut recording) => {
                    recording = None;
                    for id in &ids {
                        leases.remove(id);
                    }
                    tally.add(ids.len(), result);
                }
                _ = renewal.tick() => self.renew_leases(&mut leases).await,
            }
        }
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

/// Finished sends waiting to be written, and when they are due.
#[derive(Default)]
struct Gathering {
    sends: Vec<Processed>,
    due: Option<Instant>,
}

impl Gathering {
    /// Adds a finished send; the first of a group sets when the group is due.
    fn add(&mut self, processed: Processed) {
        self.due
            .get_or_insert_with(|| Instant::now() + GROUP_WINDOW);
        self.sends.push(processed);
    }

    /// The group, when it holds a send and is due or no send of the batch still runs.
    fn take_when_due(&mut self, batch_done: bool) -> Option<Vec<Processed>> {
        let due = batch_done || self.due.is_some_and(|at| at <= Instant::now());
        if self.sends.is_empty() || !due {
            return None;
        }
        self.due = None;
        Some(std::mem::take(&mut self.sends))
    }
}

/// What the batch's written groups add up to, and the first error of one that was not.
#[derive(Default)]
struct Tally {
    summary: RecordSummary,
    failure: Option<StoreError>,
}

impl Tally {
    fn add(&mut self, sends: usize, result: StoreResult<RecordSummary>) {
        match result {
            Ok(group) => self.summary += group,
            Err(error) => {
                tracing::warn!(sends, %error, "recording sends failed; they are retried when their leases expire");
                self.failure.get_or_insert(error);
            }
        }
    }

    fn into_result(self) -> StoreResult<RecordSummary> {
        self.failure.map_or(Ok(self.summary), Err)
    }
}

/// The outcome of the group being written; never ready when none is.
async fn written(recording: &mut Option<Recording<'_>>) -> (Vec<i64>, StoreResult<RecordSummary>) {
    match recording {
        Some(group) => group.await,
        None => std::future::pending().await,
    }
}
