//! [`BufferedTransaction`]: a write transaction for a batch of jobs that reads the rows the
//! batch needs up front and writes its receipts, new tasks and job completions at commit,
//! each kind in a few multi-row statements.
//!
//! A worker that handles jobs one transaction each pays about eight database round trips
//! per job; through this wrapper a batch of a few hundred jobs pays about ten in all. The
//! per-job logic does not change: it talks to a `dyn StoreTransaction` as before.
//!
//! What it keeps and when it writes:
//! - profiles read by internal id come from the preloaded set, until a write to the
//!   profile (which then reads through);
//! - campaign receipts of preloaded users come from memory; saved receipts are written at
//!   commit;
//! - [`BatchWrites::enqueue_all`] and job completions (`complete_job`, `finish_job` with
//!   [`JobFinish::Complete`]) are written at commit. A completion whose lease was lost makes
//!   [`commit`](StoreTransaction::commit) fail with [`StoreError::LeaseLost`] and roll the
//!   whole batch back; the caller then handles its jobs one at a time, where that job's
//!   loss affects it alone.
//!
//! Everything else passes straight through to the inner transaction.

use std::collections::{BTreeSet, HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use leadwire_core::activity::ActivityEntry;
use leadwire_core::campaign::RateWindow;
use leadwire_core::profile::{Profile, UserAlias};
use leadwire_core::queue::Queue;
use leadwire_core::track::UserIdentifier;
use uuid::Uuid;

use crate::activity::JobFinish;
use crate::batch::{BatchWrites, LeasedJob, ReceiptRecord};
use crate::bulk_jobs::{BulkJob, BulkJobWrites};
use crate::bulk_runs::{BulkRun, BulkRunWrites};
use crate::error::{StoreError, StoreResult};
use crate::journeys::{CampaignReceipt, CanvasEntry, JourneyWrites};
use crate::model::{NewEvent, NewPurchase};
use crate::queue::{ClaimedJob, NewTask};
use crate::repository::{ProfileWrite, Store, StoreTransaction};
use crate::schedules::{ApiSchedule, ScheduleWrites};
use crate::segments::SegmentExportWrites;

/// A transaction that batches its reads and writes; see the module documentation.
pub struct BufferedTransaction {
    inner: Box<dyn StoreTransaction>,
    /// Preloaded profiles by internal id; `None`: known not to exist.
    profiles: HashMap<Uuid, Option<Profile>>,
    /// Users whose every receipt is in `receipts` (a missing one is the default).
    receipts_loaded: HashSet<Uuid>,
    receipts: HashMap<(Uuid, String), CampaignReceipt>,
    /// Receipts saved in this transaction, in key order (so rows lock in a fixed order).
    dirty_receipts: BTreeSet<(Uuid, String)>,
    tasks: Vec<NewTask>,
    completions: Vec<LeasedJob>,
}

impl BufferedTransaction {
    /// Wraps `inner` without preloading anything.
    pub fn wrap(inner: Box<dyn StoreTransaction>) -> Self {
        Self {
            inner,
            profiles: HashMap::new(),
            receipts_loaded: HashSet::new(),
            receipts: HashMap::new(),
            dirty_receipts: BTreeSet::new(),
            tasks: Vec::new(),
            completions: Vec::new(),
        }
    }

    /// Begins a transaction on `store`.
    pub async fn begin(store: &dyn Store) -> StoreResult<Self> {
        Ok(Self::wrap(store.begin().await?))
    }

    /// Reads the profiles of `users` in a few statements (on PostgreSQL, locking them in id
    /// order). Preload profiles before receipts: the order the one-job path locks them in.
    pub async fn preload_profiles(&mut self, users: &[Uuid]) -> StoreResult<()> {
        let wanted = missing(users, |id| self.profiles.contains_key(id));
        if wanted.is_empty() {
            return Ok(());
        }
        for id in &wanted {
            self.profiles.insert(*id, None);
        }
        for profile in self.inner.find_profiles_by_id(&wanted).await? {
            self.profiles.insert(profile.id, Some(profile));
        }
        Ok(())
    }

    /// Reads every campaign receipt of `users` in a few statements.
    pub async fn preload_receipts(&mut self, users: &[Uuid]) -> StoreResult<()> {
        let wanted = missing(users, |id| self.receipts_loaded.contains(id));
        if wanted.is_empty() {
            return Ok(());
        }
        for record in self.inner.campaign_receipts_of(&wanted).await? {
            self.receipts
                .entry((record.user_id, record.campaign))
                .or_insert(record.receipt);
        }
        self.receipts_loaded.extend(wanted);
        Ok(())
    }

    fn forget_profile(&mut self, id: Uuid) {
        self.profiles.remove(&id);
    }

    async fn flush(&mut self) -> StoreResult<()> {
        if !self.dirty_receipts.is_empty() {
            let records: Vec<ReceiptRecord> = std::mem::take(&mut self.dirty_receipts)
                .into_iter()
                .map(|key| ReceiptRecord {
                    receipt: self.receipts.get(&key).copied().unwrap_or_default(),
                    user_id: key.0,
                    campaign: key.1,
                })
                .collect();
            self.inner.save_campaign_receipts(&records).await?;
        }
        if !self.tasks.is_empty() {
            let tasks = std::mem::take(&mut self.tasks);
            self.inner.enqueue_all(&tasks).await?;
        }
        if !self.completions.is_empty() {
            let jobs = std::mem::take(&mut self.completions);
            let lost = self.inner.complete_jobs(&jobs).await?;
            if let Some(&job_id) = lost.first() {
                return Err(StoreError::LeaseLost { job_id });
            }
        }
        Ok(())
    }
}

#[async_trait]
impl BatchWrites for BufferedTransaction {
    async fn find_profiles_by_id(&mut self, ids: &[Uuid]) -> StoreResult<Vec<Profile>> {
        self.preload_profiles(ids).await?;
        Ok(ids
            .iter()
            .filter_map(|id| self.profiles.get(id).cloned().flatten())
            .collect())
    }

    async fn campaign_receipts_of(&mut self, users: &[Uuid]) -> StoreResult<Vec<ReceiptRecord>> {
        self.preload_receipts(users).await?;
        let users: HashSet<&Uuid> = users.iter().collect();
        Ok(self
            .receipts
            .iter()
            .filter(|((user, _), _)| users.contains(user))
            .map(|((user_id, campaign), receipt)| ReceiptRecord {
                user_id: *user_id,
                campaign: campaign.clone(),
                receipt: *receipt,
            })
            .collect())
    }

    async fn save_campaign_receipts(&mut self, receipts: &[ReceiptRecord]) -> StoreResult<()> {
        for record in receipts {
            self.save_campaign_receipt(record.user_id, &record.campaign, &record.receipt)
                .await?;
        }
        Ok(())
    }

    async fn enqueue_all(&mut self, tasks: &[NewTask]) -> StoreResult<()> {
        self.tasks.extend_from_slice(tasks);
        Ok(())
    }

    async fn claim_jobs(
        &mut self,
        queue: Queue,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedJob>> {
        self.inner.claim_jobs(queue, now, lease, limit).await
    }

    /// Held until commit; the lost ones are known only then (see the module documentation).
    async fn complete_jobs(&mut self, jobs: &[LeasedJob]) -> StoreResult<Vec<i64>> {
        self.completions.extend_from_slice(jobs);
        Ok(Vec::new())
    }
}

#[async_trait]
impl JourneyWrites for BufferedTransaction {
    async fn canvas_entry(&mut self, id: Uuid) -> StoreResult<Option<CanvasEntry>> {
        self.inner.canvas_entry(id).await
    }

    async fn active_canvas_entries(&mut self, user_id: Uuid) -> StoreResult<Vec<CanvasEntry>> {
        self.inner.active_canvas_entries(user_id).await
    }

    async fn last_canvas_entry_at(
        &mut self,
        user_id: Uuid,
        canvas: &str,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        self.inner.last_canvas_entry_at(user_id, canvas).await
    }

    async fn claim_canvas_entry(
        &mut self,
        user_id: Uuid,
        canvas: &str,
        now: DateTime<Utc>,
        reentry_cutoff: Option<DateTime<Utc>>,
    ) -> StoreResult<bool> {
        self.inner
            .claim_canvas_entry(user_id, canvas, now, reentry_cutoff)
            .await
    }

    async fn save_canvas_entry(&mut self, entry: &CanvasEntry) -> StoreResult<()> {
        self.inner.save_canvas_entry(entry).await
    }

    async fn campaign_receipt(
        &mut self,
        user_id: Uuid,
        campaign: &str,
    ) -> StoreResult<CampaignReceipt> {
        let key = (user_id, campaign.to_owned());
        if let Some(receipt) = self.receipts.get(&key) {
            return Ok(*receipt);
        }
        let receipt = if self.receipts_loaded.contains(&user_id) {
            CampaignReceipt::default()
        } else {
            self.inner.campaign_receipt(user_id, campaign).await?
        };
        self.receipts.insert(key, receipt);
        Ok(receipt)
    }

    async fn save_campaign_receipt(
        &mut self,
        user_id: Uuid,
        campaign: &str,
        receipt: &CampaignReceipt,
    ) -> StoreResult<()> {
        let key = (user_id, campaign.to_owned());
        self.receipts.insert(key.clone(), *receipt);
        self.dirty_receipts.insert(key);
        Ok(())
    }

    async fn rate_window(&mut self, name: &str) -> StoreResult<RateWindow> {
        self.inner.rate_window(name).await
    }

    async fn save_rate_window(&mut self, name: &str, window: &RateWindow) -> StoreResult<()> {
        self.inner.save_rate_window(name, window).await
    }

    async fn complete_job(&mut self, job: &ClaimedJob) -> StoreResult<()> {
        self.completions.push(LeasedJob::from(job));
        Ok(())
    }
}

#[async_trait]
impl StoreTransaction for BufferedTransaction {
    async fn find_profile(&mut self, identifier: &UserIdentifier) -> StoreResult<Option<Profile>> {
        if let UserIdentifier::BrazeId(id) = identifier
            && let Some(profile) = self.profiles.get(id)
        {
            return Ok(profile.clone());
        }
        self.inner.find_profile(identifier).await
    }

    async fn find_profiles_by_external_id(&mut self, ids: &[&str]) -> StoreResult<Vec<Profile>> {
        self.inner.find_profiles_by_external_id(ids).await
    }

    async fn save_profiles(&mut self, writes: &[ProfileWrite<'_>]) -> StoreResult<()> {
        for write in writes {
            self.forget_profile(write.profile.id);
        }
        self.inner.save_profiles(writes).await
    }

    async fn add_alias(&mut self, user_id: Uuid, alias: &UserAlias) -> StoreResult<()> {
        self.forget_profile(user_id);
        self.inner.add_alias(user_id, alias).await
    }

    async fn find_profiles(&mut self, identifier: &UserIdentifier) -> StoreResult<Vec<Profile>> {
        self.inner.find_profiles(identifier).await
    }

    /// Writes what is buffered first, and forgets both users.
    async fn merge_profiles(
        &mut self,
        keep: Uuid,
        merged: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.flush().await?;
        for user in [keep, merged] {
            self.forget_profile(user);
            self.receipts.retain(|(owner, _), _| *owner != user);
            self.receipts_loaded.remove(&user);
        }
        self.inner.merge_profiles(keep, merged, now).await
    }

    async fn rename_alias(
        &mut self,
        user_id: Uuid,
        old: &UserAlias,
        new_name: &str,
    ) -> StoreResult<()> {
        self.forget_profile(user_id);
        self.inner.rename_alias(user_id, old, new_name).await
    }

    async fn rename_external_id(&mut self, user_id: Uuid, new: &str) -> StoreResult<()> {
        self.forget_profile(user_id);
        self.inner.rename_external_id(user_id, new).await
    }

    async fn remove_deprecated_external_id(&mut self, external_id: &str) -> StoreResult<bool> {
        self.inner.remove_deprecated_external_id(external_id).await
    }

    async fn deprecated_external_id_owners(
        &mut self,
        ids: &[&str],
    ) -> StoreResult<Vec<(String, Uuid)>> {
        self.inner.deprecated_external_id_owners(ids).await
    }

    async fn record_events(&mut self, events: &[NewEvent]) -> StoreResult<()> {
        self.inner.record_events(events).await
    }

    async fn record_purchases(&mut self, purchases: &[NewPurchase]) -> StoreResult<()> {
        self.inner.record_purchases(purchases).await
    }

    async fn delete_profile(&mut self, user_id: Uuid) -> StoreResult<bool> {
        self.flush().await?;
        self.forget_profile(user_id);
        self.receipts.retain(|(user, _), _| *user != user_id);
        self.receipts_loaded.remove(&user_id);
        self.inner.delete_profile(user_id).await
    }

    async fn enqueue(&mut self, task: &NewTask) -> StoreResult<i64> {
        self.inner.enqueue(task).await
    }

    async fn record_activity(&mut self, entries: &[ActivityEntry]) -> StoreResult<()> {
        self.inner.record_activity(entries).await
    }

    /// A completion is held until commit and reported as held (see the module
    /// documentation); other endings are written at once.
    async fn finish_job(&mut self, job: &ClaimedJob, finish: &JobFinish) -> StoreResult<bool> {
        if matches!(finish, JobFinish::Complete) {
            self.completions.push(LeasedJob::from(job));
            return Ok(true);
        }
        self.inner.finish_job(job, finish).await
    }

    /// A failed flush (a lost lease, say) rolls the inner transaction back before
    /// returning, so the caller's fallback finds the batch's jobs unlocked.
    async fn commit(mut self: Box<Self>) -> StoreResult<()> {
        if let Err(error) = self.flush().await {
            if let Err(rollback) = self.inner.rollback().await {
                tracing::debug!(%rollback, "rolling back a failed batch failed");
            }
            return Err(error);
        }
        self.inner.commit().await
    }

    /// The buffered writes are discarded with the inner transaction.
    async fn rollback(self: Box<Self>) -> StoreResult<()> {
        self.inner.rollback().await
    }
}

/// The distinct ids of `ids` that `known` does not hold yet, in order.
fn missing(ids: &[Uuid], known: impl Fn(&Uuid) -> bool) -> Vec<Uuid> {
    let mut wanted: Vec<Uuid> = ids.iter().copied().filter(|id| !known(id)).collect();
    wanted.sort_unstable();
    wanted.dedup();
    wanted
}

#[async_trait]
impl SegmentExportWrites for BufferedTransaction {
    async fn start_segment_export(
        &mut self,
        segment_id: &str,
        object_prefix: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.inner
            .start_segment_export(segment_id, object_prefix, now, stale_before)
            .await
    }

    async fn finish_segment_export(
        &mut self,
        segment_id: &str,
        object_prefix: &str,
    ) -> StoreResult<()> {
        self.inner
            .finish_segment_export(segment_id, object_prefix)
            .await
    }
}

#[async_trait]
impl ScheduleWrites for BufferedTransaction {
    async fn schedule(&mut self, id: &str) -> StoreResult<Option<ApiSchedule>> {
        self.inner.schedule(id).await
    }

    async fn save_schedule(&mut self, schedule: &ApiSchedule) -> StoreResult<()> {
        self.inner.save_schedule(schedule).await
    }

    async fn delete_schedule(&mut self, id: &str) -> StoreResult<bool> {
        self.inner.delete_schedule(id).await
    }
}

#[async_trait]
impl BulkJobWrites for BufferedTransaction {
    async fn save_bulk_job(&mut self, job: &BulkJob) -> StoreResult<()> {
        self.inner.save_bulk_job(job).await
    }

    async fn mark_bulk_job_recorded(
        &mut self,
        id: Uuid,
        sf_state: &str,
        processed: u64,
        failed: u64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.inner
            .mark_bulk_job_recorded(id, sf_state, processed, failed, now)
            .await
    }
}

#[async_trait]
impl BulkRunWrites for BufferedTransaction {
    async fn save_bulk_run(&mut self, run: &BulkRun) -> StoreResult<()> {
        self.inner.save_bulk_run(run).await
    }
}
