//! [`SqlTransaction`]: the [`StoreTransaction`] of both databases. It writes each change's
//! trigger jobs in the same transaction as the change, filtered by the store's trigger
//! interest as it was when the transaction began, and wakes the queues it enqueued into
//! once it commits. It gathers what its writes add to the console's counters
//! ([`crate::stats`]) and writes them just before it commits.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use leadwire_core::activity::ActivityEntry;
use leadwire_core::attributes::ProfileChanges;
use leadwire_core::campaign::RateWindow;
use leadwire_core::canvas::{CanvasUserState, new_entry_day, removal_changes, step_count_changes};
use leadwire_core::profile::{Profile, UserAlias};
use leadwire_core::queue::Queue;
use leadwire_core::track::UserIdentifier;
use leadwire_core::trigger::TriggerInterest;
use sqlx::{Database, Transaction};
use uuid::Uuid;

use super::counters::PendingCounts;
use super::database::Sql;
use super::identity_writes;
use super::queue::lease_kept;
use super::shared::{self, TriggerRow};
use crate::activity::JobFinish;
use crate::batch::{BatchWrites, LeasedJob, ReceiptRecord};
use crate::bulk_jobs::{BulkJob, BulkJobWrites};
use crate::bulk_runs::{BulkRun, BulkRunWrites};
use crate::error::StoreResult;
use crate::journeys::{CampaignReceipt, CanvasEntry, JourneyWrites};
use crate::model::{NewEvent, NewPurchase, to_micros};
use crate::queue::{ClaimedJob, NewTask};
use crate::repository::{ProfileWrite, StoreTransaction};
use crate::schedules::{ApiSchedule, ScheduleWrites};
use crate::segments::SegmentExportWrites;
use crate::signals::JobSignals;

/// A write transaction on one connection of database `DB`.
pub struct SqlTransaction<DB: Database> {
    pub(super) tx: Transaction<'static, DB>,
    interest: TriggerInterest,
    signals: Arc<JobSignals>,
    /// Queues this transaction enqueued into, notified after it commits.
    enqueued: Vec<Queue>,
    /// What this transaction adds to the counters, written at commit.
    pub(super) counts: PendingCounts,
    /// The stored state of the canvas entries this transaction read or wrote (the rows
    /// are locked on PostgreSQL), so a save finds the state it replaces without reading
    /// it again.
    pub(super) entry_states: HashMap<Uuid, CanvasUserState>,
}

impl<DB: Database> SqlTransaction<DB> {
    pub(super) fn new(
        tx: Transaction<'static, DB>,
        interest: TriggerInterest,
        signals: Arc<JobSignals>,
    ) -> Self {
        Self {
            tx,
            interest,
            signals,
            enqueued: Vec::new(),
            counts: PendingCounts::default(),
            entry_states: HashMap::new(),
        }
    }

    /// Remembers the stored state of `entries`.
    fn note_entries<'a>(&mut self, entries: impl IntoIterator<Item = &'a CanvasEntry>) {
        for entry in entries {
            self.entry_states.insert(entry.id, entry.state.clone());
        }
    }

    /// Remembers that `count` jobs went to `queue`, to wake its workers on commit.
    fn note_enqueued(&mut self, queue: Queue, count: usize) {
        if count > 0 && !self.enqueued.contains(&queue) {
            self.enqueued.push(queue);
        }
    }
}

/// Writes trigger jobs into `transaction`, due now.
async fn insert_triggers<DB: Sql>(
    transaction: &mut SqlTransaction<DB>,
    jobs: &[TriggerRow],
) -> StoreResult<()> {
    transaction.note_enqueued(Queue::Triggers, jobs.len());
    DB::insert_jobs(&mut transaction.tx, jobs, to_micros(Utc::now())).await
}

#[async_trait]
impl<DB: Sql> StoreTransaction for SqlTransaction<DB> {
    async fn find_profile(&mut self, identifier: &UserIdentifier) -> StoreResult<Option<Profile>> {
        DB::find(&mut self.tx, identifier, DB::LOCK_ROWS).await
    }

    async fn find_profiles_by_external_id(&mut self, ids: &[&str]) -> StoreResult<Vec<Profile>> {
        let ids: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| !shared::matches_nothing(id))
            .collect();
        DB::profiles_by_external_id(&mut self.tx, &ids).await
    }

    async fn save_profiles(&mut self, writes: &[ProfileWrite<'_>]) -> StoreResult<()> {
        let rows = shared::profile_rows(writes)?;
        DB::upsert_profiles(&mut self.tx, &rows).await?;
        DB::insert_aliases(&mut self.tx, writes).await?;
        let jobs = shared::profile_triggers(writes, &self.interest)?;
        insert_triggers(self, &jobs).await
    }

    async fn add_alias(&mut self, user_id: Uuid, alias: &UserAlias) -> StoreResult<()> {
        if !DB::alias_is_free(&mut self.tx, user_id, alias).await? {
            return Ok(());
        }
        let user = UserIdentifier::BrazeId(user_id);
        let Some(mut profile) = self.find_profile(&user).await? else {
            return Ok(());
        };
        profile.aliases.push(alias.clone());
        let changes = ProfileChanges::default();
        self.save_profiles(&[ProfileWrite {
            profile: &profile,
            changes: &changes,
        }])
        .await
    }

    async fn find_profiles(&mut self, identifier: &UserIdentifier) -> StoreResult<Vec<Profile>> {
        match identifier {
            UserIdentifier::Email(email) => DB::sharing(&mut self.tx, Some(email), None).await,
            UserIdentifier::Phone(phone) => DB::sharing(&mut self.tx, None, Some(phone)).await,
            other => Ok(self.find_profile(other).await?.into_iter().collect()),
        }
    }

    async fn merge_profiles(
        &mut self,
        keep: Uuid,
        merged: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        identity_writes::merge(self, keep, merged, now).await
    }

    async fn rename_alias(
        &mut self,
        user_id: Uuid,
        old: &UserAlias,
        new_name: &str,
    ) -> StoreResult<()> {
        identity_writes::rename_alias_of(self, user_id, old, new_name).await
    }

    async fn rename_external_id(&mut self, user_id: Uuid, new: &str) -> StoreResult<()> {
        identity_writes::rename_external_id_of(self, user_id, new).await
    }

    async fn remove_deprecated_external_id(&mut self, external_id: &str) -> StoreResult<bool> {
        DB::delete_deprecated(&mut self.tx, external_id).await
    }

    async fn deprecated_external_id_owners(
        &mut self,
        ids: &[&str],
    ) -> StoreResult<Vec<(String, Uuid)>> {
        DB::deprecated_owners(&mut self.tx, ids).await
    }

    async fn record_events(&mut self, events: &[NewEvent]) -> StoreResult<()> {
        DB::insert_events(&mut self.tx, events).await?;
        let jobs = shared::event_triggers(events, &self.interest)?;
        insert_triggers(self, &jobs).await
    }

    async fn record_purchases(&mut self, purchases: &[NewPurchase]) -> StoreResult<()> {
        DB::insert_purchases(&mut self.tx, purchases).await?;
        let jobs = shared::purchase_triggers(purchases, &self.interest)?;
        insert_triggers(self, &jobs).await
    }

    /// The user's active canvas entries leave the steps they were at.
    async fn delete_profile(&mut self, user_id: Uuid) -> StoreResult<bool> {
        let active = DB::active_entries(&mut self.tx, user_id).await?;
        let deleted = DB::delete(&mut self.tx, user_id).await?;
        for entry in &active {
            self.counts.apply(removal_changes(&entry.state));
        }
        self.entry_states.clear();
        Ok(deleted)
    }

    async fn enqueue(&mut self, task: &NewTask) -> StoreResult<i64> {
        let id = DB::enqueue(&mut self.tx, task).await?;
        self.note_enqueued(task.queue(), 1);
        Ok(id)
    }

    /// Counts the entries appended (not those whose id was logged already).
    async fn record_activity(&mut self, entries: &[ActivityEntry]) -> StoreResult<()> {
        let mut appended = DB::insert_entries(&mut self.tx, entries).await?;
        let counted = entries.iter().filter(|entry| appended.remove(&entry.id));
        self.counts.count_activity(counted);
        Ok(())
    }

    async fn finish_job(&mut self, job: &ClaimedJob, finish: &JobFinish) -> StoreResult<bool> {
        DB::finish(&mut self.tx, job, finish).await
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        let Self {
            mut tx,
            signals,
            enqueued,
            counts,
            ..
        } = *self;
        DB::write_counts(&mut tx, &counts).await?;
        tx.commit().await?;
        for queue in enqueued {
            signals.notify(queue);
        }
        Ok(())
    }

    async fn rollback(self: Box<Self>) -> StoreResult<()> {
        Ok(self.tx.rollback().await?)
    }
}

#[async_trait]
impl<DB: Sql> JourneyWrites for SqlTransaction<DB> {
    async fn canvas_entry(&mut self, id: Uuid) -> StoreResult<Option<CanvasEntry>> {
        let entry = DB::entry(&mut self.tx, id).await?;
        self.note_entries(&entry);
        Ok(entry)
    }

    async fn active_canvas_entries(&mut self, user_id: Uuid) -> StoreResult<Vec<CanvasEntry>> {
        let entries = DB::active_entries(&mut self.tx, user_id).await?;
        self.note_entries(&entries);
        Ok(entries)
    }

    async fn last_canvas_entry_at(
        &mut self,
        user_id: Uuid,
        canvas: &str,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        DB::last_entry_at(&mut self.tx, user_id, canvas).await
    }

    async fn claim_canvas_entry(
        &mut self,
        user_id: Uuid,
        canvas: &str,
        now: DateTime<Utc>,
        reentry_cutoff: Option<DateTime<Utc>>,
    ) -> StoreResult<bool> {
        DB::claim_entry(&mut self.tx, user_id, canvas, now, reentry_cutoff).await
    }

    /// Counts the change from the stored state (read and locked unless this transaction
    /// knows it already) to the saved one.
    async fn save_canvas_entry(&mut self, entry: &CanvasEntry) -> StoreResult<()> {
        let stored = match self.entry_states.remove(&entry.id) {
            Some(state) => Some(state),
            None => DB::entry(&mut self.tx, entry.id)
                .await?
                .map(|stored| stored.state),
        };
        DB::save_entry(&mut self.tx, entry).await?;
        if let Some(day) = new_entry_day(stored.as_ref(), &entry.state) {
            self.counts.count_entry(&entry.state.canvas, day);
        }
        self.counts
            .apply(step_count_changes(stored.as_ref(), &entry.state));
        self.note_entries([entry]);
        Ok(())
    }

    async fn campaign_receipt(
        &mut self,
        user_id: Uuid,
        campaign: &str,
    ) -> StoreResult<CampaignReceipt> {
        DB::receipt(&mut self.tx, user_id, campaign, DB::LOCK_ROWS).await
    }

    async fn save_campaign_receipt(
        &mut self,
        user_id: Uuid,
        campaign: &str,
        receipt: &CampaignReceipt,
    ) -> StoreResult<()> {
        DB::save_receipt(&mut self.tx, user_id, campaign, receipt).await
    }

    async fn rate_window(&mut self, name: &str) -> StoreResult<RateWindow> {
        DB::rate_window(&mut self.tx, name).await
    }

    async fn save_rate_window(&mut self, name: &str, window: &RateWindow) -> StoreResult<()> {
        DB::save_rate_window(&mut self.tx, name, window).await
    }

    async fn complete_job(&mut self, job: &ClaimedJob) -> StoreResult<()> {
        let kept = DB::finish(&mut self.tx, job, &JobFinish::Complete).await?;
        lease_kept(kept, job.id)
    }
}

#[async_trait]
impl<DB: Sql> BatchWrites for SqlTransaction<DB> {
    async fn find_profiles_by_id(&mut self, ids: &[Uuid]) -> StoreResult<Vec<Profile>> {
        DB::by_ids(&mut self.tx, ids, DB::LOCK_ROWS).await
    }

    async fn campaign_receipts_of(&mut self, users: &[Uuid]) -> StoreResult<Vec<ReceiptRecord>> {
        DB::receipts_of(&mut self.tx, users).await
    }

    async fn save_campaign_receipts(&mut self, receipts: &[ReceiptRecord]) -> StoreResult<()> {
        DB::save_receipts(&mut self.tx, receipts).await
    }

    async fn enqueue_all(&mut self, tasks: &[NewTask]) -> StoreResult<()> {
        DB::enqueue_all(&mut self.tx, tasks).await?;
        for task in tasks {
            self.note_enqueued(task.queue(), 1);
        }
        Ok(())
    }

    async fn complete_jobs(&mut self, jobs: &[LeasedJob]) -> StoreResult<Vec<i64>> {
        DB::complete_all(&mut self.tx, jobs).await
    }

    async fn claim_jobs(
        &mut self,
        queue: Queue,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedJob>> {
        DB::claim(&mut self.tx, queue, now, lease, limit).await
    }
}

#[async_trait]
impl<DB: Sql> SegmentExportWrites for SqlTransaction<DB> {
    async fn start_segment_export(
        &mut self,
        segment_id: &str,
        object_prefix: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> StoreResult<bool> {
        DB::mark_export(&mut self.tx, segment_id, object_prefix, now, stale_before).await
    }

    async fn finish_segment_export(
        &mut self,
        segment_id: &str,
        object_prefix: &str,
    ) -> StoreResult<()> {
        DB::unmark_export(&mut self.tx, segment_id, object_prefix).await
    }
}

#[async_trait]
impl<DB: Sql> ScheduleWrites for SqlTransaction<DB> {
    async fn schedule(&mut self, id: &str) -> StoreResult<Option<ApiSchedule>> {
        DB::schedule(&mut self.tx, id).await
    }

    async fn save_schedule(&mut self, schedule: &ApiSchedule) -> StoreResult<()> {
        DB::save_schedule(&mut self.tx, schedule).await
    }

    async fn delete_schedule(&mut self, id: &str) -> StoreResult<bool> {
        DB::delete_schedule(&mut self.tx, id).await
    }
}

#[async_trait]
impl<DB: Sql> BulkJobWrites for SqlTransaction<DB> {
    async fn save_bulk_job(&mut self, job: &BulkJob) -> StoreResult<()> {
        DB::save_bulk_job(&mut self.tx, job).await
    }

    async fn mark_bulk_job_recorded(
        &mut self,
        id: Uuid,
        sf_state: &str,
        processed: u64,
        failed: u64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        DB::mark_bulk_job_recorded(&mut self.tx, id, sf_state, (processed, failed), now).await
    }
}

#[async_trait]
impl<DB: Sql> BulkRunWrites for SqlTransaction<DB> {
    async fn save_bulk_run(&mut self, run: &BulkRun) -> StoreResult<()> {
        DB::save_bulk_run(&mut self.tx, run).await
    }
}
