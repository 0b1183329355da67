//! [`SqlStore`]: the [`Store`] of both databases, over the pools of one ([`Pools`]). Reads
//! run on the read pool; claims, lease endings and pruning in write transactions of their
//! own; everything else in a [`SqlTransaction`] from [`Store::begin`].

use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use leadwire_core::activity::ActivityEntry;
use leadwire_core::content_block::ContentBlock;
use leadwire_core::profile::Profile;
use leadwire_core::queue::Queue;
use leadwire_core::track::UserIdentifier;
use leadwire_core::trigger::TriggerInterest;
use sqlx::{Pool, Transaction};
use uuid::Uuid;

use super::content_blocks::ContentBlockSql as _;
use super::database::Sql;
use super::history::{EVENT_SUMMARIES, PURCHASE_SUMMARIES};
use super::queue::finish_and_commit;
use super::transaction::SqlTransaction;
use crate::activity::{ActivityPage, ActivityQuery, JobFinish};
use crate::batch::{BatchReads, LeasedJob};
use crate::bulk_jobs::{BulkJob, BulkJobReads, BulkJobTally};
use crate::bulk_runs::{BulkRun, BulkRunReads};
use crate::content_blocks::{ContentBlockStore, ContentBlockWrite};
use crate::error::StoreResult;
use crate::journeys::{CampaignReceipt, CanvasEntry, JourneyReads};
use crate::model::{ActivitySummary, EventRecord, day_micros, from_micros, to_micros};
use crate::queue::{ClaimedJob, FailedJob};
use crate::registry::{ConfigItem, ConfigKind, ConfigRegistry, ConfigVersion};
use crate::repository::{Backend, Store, StoreTransaction};
use crate::schedules::{ApiSchedule, ScheduleReads};
use crate::segments::{SegmentSize, SegmentSizes};
use crate::send_ids::{
    SendIdOutcome, SendIdRegistration, SendIdStore, TrackedSendQuery, TrackedSendSeries,
};
use crate::signals::JobSignals;
use crate::stats::{ActivityCount, ActivityCountQuery, CanvasCounts, DayCount, StatsReads};

/// Profiles, events and the job queue in one database, reached through `P`.
pub struct SqlStore<P> {
    pub(super) pools: P,
    interest: RwLock<TriggerInterest>,
    signals: Arc<JobSignals>,
}

/// The connections of one database: where reads run and write transactions begin.
pub(crate) trait Pools: Send + Sync + 'static {
    type Database: Sql;

    fn reader(&self) -> &Pool<Self::Database>;

    fn begin_write(
        &self,
    ) -> impl Future<Output = StoreResult<Transaction<'static, Self::Database>>> + Send;

    /// Closes the pools (and stops what runs beside them).
    fn close(&self) -> impl Future<Output = ()> + Send;
}

impl<P> SqlStore<P> {
    pub(crate) fn new(pools: P) -> Self {
        Self {
            pools,
            interest: RwLock::new(TriggerInterest::default()),
            signals: Arc::default(),
        }
    }
}

#[async_trait]
impl<DB: Sql, P: Pools<Database = DB>> Store for SqlStore<P> {
    fn backend(&self) -> Backend {
        DB::BACKEND
    }

    async fn begin(&self) -> StoreResult<Box<dyn StoreTransaction>> {
        let tx = self.pools.begin_write().await?;
        let interest = self.trigger_interest();
        let transaction = SqlTransaction::new(tx, interest, self.signals.clone());
        Ok(Box::new(transaction))
    }

    fn set_trigger_interest(&self, interest: TriggerInterest) {
        match self.interest.write() {
            Ok(mut guard) => *guard = interest,
            Err(poisoned) => *poisoned.into_inner() = interest,
        }
    }

    fn trigger_interest(&self) -> TriggerInterest {
        match self.interest.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn job_signals(&self) -> Arc<JobSignals> {
        self.signals.clone()
    }

    async fn find_profile(&self, identifier: &UserIdentifier) -> StoreResult<Option<Profile>> {
        let mut connection = self.pools.reader().acquire().await?;
        DB::find(&mut connection, identifier, "").await
    }

    async fn events(
        &self,
        user_id: Uuid,
        name: Option<&str>,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<EventRecord>> {
        DB::events(self.pools.reader(), user_id, name, since).await
    }

    async fn recent_events(&self, user_id: Uuid, limit: u32) -> StoreResult<Vec<EventRecord>> {
        DB::recent_events(self.pools.reader(), user_id, limit).await
    }

    async fn count_events_since(
        &self,
        user_id: Uuid,
        name: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<u64> {
        DB::count_events(self.pools.reader(), user_id, name, since).await
    }

    async fn event_summaries(
        &self,
        user_id: Uuid,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<ActivitySummary>> {
        DB::summaries(self.pools.reader(), EVENT_SUMMARIES, user_id, since).await
    }

    async fn purchase_summaries(
        &self,
        user_id: Uuid,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<ActivitySummary>> {
        DB::summaries(self.pools.reader(), PURCHASE_SUMMARIES, user_id, since).await
    }

    async fn claim(
        &self,
        queue: Queue,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedJob>> {
        let mut tx = self.pools.begin_write().await?;
        let jobs = DB::claim(&mut tx, queue, now, lease, limit).await?;
        tx.commit().await?;
        Ok(jobs)
    }

    async fn extend_leases(
        &self,
        jobs: &[LeasedJob],
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<i64>> {
        let mut tx = self.pools.begin_write().await?;
        let lost = DB::extend_all(&mut tx, jobs, until).await?;
        tx.commit().await?;
        Ok(lost)
    }

    async fn complete(&self, job: &ClaimedJob) -> StoreResult<()> {
        let tx = self.pools.begin_write().await?;
        finish_and_commit(tx, job, &JobFinish::Complete).await
    }

    async fn fail(&self, job: &ClaimedJob, error: &str, now: DateTime<Utc>) -> StoreResult<()> {
        let tx = self.pools.begin_write().await?;
        let error = error.to_owned();
        finish_and_commit(tx, job, &JobFinish::Fail { error, now }).await
    }

    async fn retry_at(&self, job: &ClaimedJob, at: DateTime<Utc>, error: &str) -> StoreResult<()> {
        let tx = self.pools.begin_write().await?;
        let error = error.to_owned();
        finish_and_commit(tx, job, &JobFinish::RetryAt { at, error }).await
    }

    async fn pending_jobs(&self, queue: Queue) -> StoreResult<u64> {
        DB::pending(self.pools.reader(), queue).await
    }

    async fn oldest_due_job(
        &self,
        queue: Queue,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        DB::oldest_due(self.pools.reader(), queue, now).await
    }

    async fn failed_jobs(&self, queue: Queue) -> StoreResult<Vec<FailedJob>> {
        DB::failed(self.pools.reader(), queue).await
    }

    async fn activity(&self, query: &ActivityQuery) -> StoreResult<ActivityPage> {
        DB::query_page(self.pools.reader(), query).await
    }

    async fn activity_entry(&self, id: Uuid) -> StoreResult<Option<ActivityEntry>> {
        DB::entry_by_id(self.pools.reader(), id).await
    }

    async fn prune_activity(
        &self,
        before: DateTime<Utc>,
        tracked_before: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let mut tx = self.pools.begin_write().await?;
        let pruned = DB::prune(&mut tx, before, tracked_before).await?;
        tx.commit().await?;
        Ok(pruned)
    }

    async fn close(&self) {
        self.pools.close().await;
    }
}

#[async_trait]
impl<DB: Sql, P: Pools<Database = DB>> JourneyReads for SqlStore<P> {
    async fn canvas_entries(
        &self,
        user_id: Uuid,
        canvas: Option<&str>,
    ) -> StoreResult<Vec<CanvasEntry>> {
        DB::user_entries(self.pools.reader(), user_id, canvas).await
    }

    async fn campaign_receipt(
        &self,
        user_id: Uuid,
        campaign: &str,
    ) -> StoreResult<CampaignReceipt> {
        let mut connection = self.pools.reader().acquire().await?;
        DB::receipt(&mut connection, user_id, campaign, "").await
    }

    async fn prune_canvas_entries(
        &self,
        exited_before: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<u64> {
        let mut tx = self.pools.begin_write().await?;
        let pruned = DB::prune_entries(&mut tx, exited_before, limit).await?;
        tx.commit().await?;
        Ok(pruned)
    }

    async fn profile_ids_after(&self, after: Option<Uuid>, limit: u32) -> StoreResult<Vec<Uuid>> {
        DB::profile_ids_after(self.pools.reader(), after, limit).await
    }
}

#[async_trait]
impl<DB: Sql, P: Pools<Database = DB>> BatchReads for SqlStore<P> {
    async fn profiles_by_id(&self, ids: &[Uuid]) -> StoreResult<Vec<Profile>> {
        let mut connection = self.pools.reader().acquire().await?;
        DB::by_ids(&mut connection, ids, "").await
    }
}

#[async_trait]
impl<DB: Sql, P: Pools<Database = DB>> StatsReads for SqlStore<P> {
    async fn activity_counts(&self, query: &ActivityCountQuery) -> StoreResult<Vec<ActivityCount>> {
        DB::activity_counts(self.pools.reader(), query).await
    }

    async fn canvas_counts(&self, canvas: &str) -> StoreResult<CanvasCounts> {
        DB::canvas_counts(self.pools.reader(), canvas).await
    }

    async fn canvas_entry_days(
        &self,
        canvas: &str,
        first: NaiveDate,
        last: NaiveDate,
    ) -> StoreResult<Vec<DayCount>> {
        let (first, last) = (day_micros(first), day_micros(last));
        let rows = DB::entry_days(self.pools.reader(), canvas, first, last).await?;
        Ok(rows
            .into_iter()
            .map(|(day, count)| DayCount {
                day: from_micros(day).date_naive(),
                count,
            })
            .collect())
    }

    async fn canvas_entries_at(
        &self,
        canvas: &str,
        step: &str,
        limit: u32,
    ) -> StoreResult<Vec<CanvasEntry>> {
        DB::entries_at(self.pools.reader(), canvas, step, limit).await
    }
}

#[async_trait]
impl<DB: Sql, P: Pools<Database = DB>> ConfigRegistry for SqlStore<P> {
    async fn register_config(&self, items: &[ConfigItem], now: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.pools.begin_write().await?;
        DB::register(&mut tx, items, to_micros(now)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn config_versions(&self, kind: ConfigKind) -> StoreResult<Vec<ConfigVersion>> {
        DB::versions(self.pools.reader(), kind).await
    }
}

#[async_trait]
impl<DB: Sql, P: Pools<Database = DB>> ContentBlockStore for SqlStore<P> {
    async fn content_block_revision(&self) -> StoreResult<i64> {
        DB::revision(self.pools.reader()).await
    }

    async fn content_blocks(&self) -> StoreResult<Vec<ContentBlock>> {
        DB::all_blocks(self.pools.reader()).await
    }

    async fn create_content_block(&self, block: &ContentBlock) -> StoreResult<ContentBlockWrite> {
        write_content_block(&self.pools, block, true).await
    }

    async fn update_content_block(&self, block: &ContentBlock) -> StoreResult<ContentBlockWrite> {
        write_content_block(&self.pools, block, false).await
    }
}

/// Writes a block in a write transaction of its own, committed only when it was written.
async fn write_content_block<P: Pools>(
    pools: &P,
    block: &ContentBlock,
    create: bool,
) -> StoreResult<ContentBlockWrite> {
    let mut tx = pools.begin_write().await?;
    let outcome = P::Database::write_block(&mut tx, block, create).await?;
    if outcome == ContentBlockWrite::Written {
        tx.commit().await?;
    }
    Ok(outcome)
}

#[async_trait]
impl<DB: Sql, P: Pools<Database = DB>> SegmentSizes for SqlStore<P> {
    async fn record_segment_size(&self, size: &SegmentSize) -> StoreResult<()> {
        let mut tx = self.pools.begin_write().await?;
        DB::upsert_size(&mut tx, size).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn segment_sizes(
        &self,
        segment_id: &str,
        first: NaiveDate,
        last: NaiveDate,
    ) -> StoreResult<Vec<SegmentSize>> {
        DB::sizes(self.pools.reader(), segment_id, first, last).await
    }
}

#[async_trait]
impl<DB: Sql, P: Pools<Database = DB>> ScheduleReads for SqlStore<P> {
    async fn schedules_due_by(
        &self,
        end: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ApiSchedule>> {
        DB::schedules_due_by(self.pools.reader(), end, limit).await
    }
}

#[async_trait]
impl<DB: Sql, P: Pools<Database = DB>> SendIdStore for SqlStore<P> {
    async fn register_send_id(
        &self,
        campaign_id: &str,
        send_id: &str,
        daily_limit: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<SendIdRegistration> {
        let mut tx = self.pools.begin_write().await?;
        let registration =
            DB::register_pair(&mut tx, campaign_id, send_id, daily_limit, now).await?;
        if registration.outcome == SendIdOutcome::OverDailyLimit {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
        }
        Ok(registration)
    }

    async fn tracked_send_series(
        &self,
        query: &TrackedSendQuery,
    ) -> StoreResult<TrackedSendSeries> {
        DB::tracked_series(self.pools.reader(), query).await
    }
}

#[async_trait]
impl<DB: Sql, P: Pools<Database = DB>> BulkJobReads for SqlStore<P> {
    async fn unfinished_bulk_jobs(&self, run_id: Option<Uuid>) -> StoreResult<Vec<BulkJob>> {
        DB::unfinished_bulk_jobs(self.pools.reader(), run_id).await
    }

    async fn bulk_job_tallies(&self) -> StoreResult<Vec<BulkJobTally>> {
        DB::bulk_job_tallies(self.pools.reader()).await
    }
}

#[async_trait]
impl<DB: Sql, P: Pools<Database = DB>> BulkRunReads for SqlStore<P> {
    async fn bulk_run(&self, id: Uuid) -> StoreResult<Option<BulkRun>> {
        DB::bulk_run(self.pools.reader(), id).await
    }

    async fn running_bulk_runs(&self, template: &str, source: &str) -> StoreResult<Vec<BulkRun>> {
        DB::running_bulk_runs(self.pools.reader(), template, source).await
    }
}
