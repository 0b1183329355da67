//! The repository traits every backend implements: [`Store`] for reads and the queue,
//! [`StoreTransaction`] for writes (profile writes and the triggers they cause, together).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use leadwire_core::activity::ActivityEntry;
use leadwire_core::attributes::ProfileChanges;
use leadwire_core::profile::{Profile, UserAlias};
use leadwire_core::queue::Queue;
use leadwire_core::track::UserIdentifier;
use uuid::Uuid;

use crate::activity::{ActivityPage, ActivityQuery, JobFinish};
use crate::batch::{BatchReads, BatchWrites, LeasedJob};
use crate::bulk_jobs::{BulkJobReads, BulkJobWrites};
use crate::bulk_runs::{BulkRunReads, BulkRunWrites};
use crate::content_blocks::ContentBlockStore;
use crate::error::StoreResult;
use crate::journeys::{JourneyReads, JourneyWrites};
use crate::model::{ActivitySummary, EventRecord, NewEvent, NewPurchase};
use crate::queue::{ClaimedJob, FailedJob, NewTask};
use crate::registry::ConfigRegistry;
use crate::schedules::{ScheduleReads, ScheduleWrites};
use crate::segments::{SegmentExportWrites, SegmentSizes};
use crate::send_ids::SendIdStore;
use crate::signals::JobSignals;
use crate::stats::StatsReads;
use leadwire_core::trigger::TriggerInterest;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A profile to write and what changed on it (for triggers).
#[derive(Debug, Clone, Copy)]
pub struct ProfileWrite<'a> {
    pub profile: &'a Profile,
    pub changes: &'a ProfileChanges,
}

/// A database: reads, the job queue, and the start of write transactions.
///
/// Profile lookups by email or phone follow Braze's duplicate rule: among profiles with the
/// address, the most recently updated one that has an external_id, otherwise the most
/// recently updated one. Emails are matched case-insensitively.
#[async_trait]
pub trait Store:
    JourneyReads
    + BatchReads
    + StatsReads
    + ConfigRegistry
    + ContentBlockStore
    + SegmentSizes
    + ScheduleReads
    + SendIdStore
    + BulkJobReads
    + BulkRunReads
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;

    /// Starts a write transaction. On SQLite write transactions run one at a time.
    async fn begin(&self) -> StoreResult<Box<dyn StoreTransaction>>;

    /// Replaces the trigger interest filter (see [`crate::interest`]).
    fn set_trigger_interest(&self, interest: TriggerInterest);
    fn trigger_interest(&self) -> TriggerInterest;

    /// The wake-ups a commit sends to the queues it enqueued into (this process only).
    fn job_signals(&self) -> Arc<JobSignals>;

    async fn find_profile(&self, identifier: &UserIdentifier) -> StoreResult<Option<Profile>>;

    /// The user's events, oldest first; `name` and `since` narrow them.
    async fn events(
        &self,
        user_id: Uuid,
        name: Option<&str>,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<EventRecord>>;

    /// The user's `limit` most recent events, newest first (an index read, however many
    /// events the user has).
    async fn recent_events(&self, user_id: Uuid, limit: u32) -> StoreResult<Vec<EventRecord>>;

    /// How many times the user performed event `name` at or after `since`.
    async fn count_events_since(
        &self,
        user_id: Uuid,
        name: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// Per event name: first, last and count at or after `since`.
    async fn event_summaries(
        &self,
        user_id: Uuid,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<ActivitySummary>>;

    /// Per product id: first, last and number of purchases (quantities summed) since `since`.
    async fn purchase_summaries(
        &self,
        user_id: Uuid,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<ActivitySummary>>;

    /// Leases up to `limit` ready jobs of `queue` until `now + lease`, counting an attempt.
    async fn claim(
        &self,
        queue: Queue,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedJob>>;

    /// Moves the lease end of these claimed jobs to `until`, for a worker whose jobs are
    /// still running; returns the ids of those whose lease was lost (left as they are).
    async fn extend_leases(
        &self,
        jobs: &[LeasedJob],
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<i64>>;

    /// Removes a finished job. `LeaseLost` if the lease expired and was taken over.
    async fn complete(&self, job: &ClaimedJob) -> StoreResult<()>;

    /// Marks the job failed for good; it is kept for inspection and never claimed again.
    async fn fail(&self, job: &ClaimedJob, error: &str, now: DateTime<Utc>) -> StoreResult<()>;

    /// Releases the job to run again at `at`.
    async fn retry_at(&self, job: &ClaimedJob, at: DateTime<Utc>, error: &str) -> StoreResult<()>;

    /// Jobs of `queue` that are not failed (ready, delayed or leased).
    async fn pending_jobs(&self, queue: Queue) -> StoreResult<u64>;

    /// The run time of the oldest job of `queue` that is due at `now` and not leased (so
    /// waiting for a worker); `None` when no job waits.
    async fn oldest_due_job(
        &self,
        queue: Queue,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<DateTime<Utc>>>;

    async fn failed_jobs(&self, queue: Queue) -> StoreResult<Vec<FailedJob>>;

    /// Activity-log entries matching `query`: newest first, or oldest first after a cursor.
    async fn activity(&self, query: &ActivityQuery) -> StoreResult<ActivityPage>;

    async fn activity_entry(&self, id: Uuid) -> StoreResult<Option<ActivityEntry>>;

    /// Deletes activity-log entries older than `before`; an entry with a tracking send id
    /// goes only once it is older than `tracked_before` too (it is kept for
    /// `GET /sends/data_series`). Returns how many went.
    async fn prune_activity(
        &self,
        before: DateTime<Utc>,
        tracked_before: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// Closes the pools.
    async fn close(&self);
}

/// A write transaction. Dropping it without [`commit`](Self::commit) rolls back (lazily;
/// [`rollback`](Self::rollback) does it at once).
///
/// Trigger jobs cannot be enqueued directly: they are written by `save_profiles`,
/// `record_events` and `record_purchases`, from the changes they are given, filtered by the
/// store's trigger interest. That keeps every trigger in the transaction of its cause.
#[async_trait]
pub trait StoreTransaction:
    JourneyWrites
    + BatchWrites
    + SegmentExportWrites
    + ScheduleWrites
    + BulkJobWrites
    + BulkRunWrites
    + Send
{
    /// Finds a profile; on PostgreSQL the row is locked until the transaction ends.
    async fn find_profile(&mut self, identifier: &UserIdentifier) -> StoreResult<Option<Profile>>;

    /// Finds the profiles with these primary external ids (one query; missing ids are left
    /// out; see [`Self::deprecated_external_id_owners`] for deprecated ones).
    async fn find_profiles_by_external_id(&mut self, ids: &[&str]) -> StoreResult<Vec<Profile>>;

    /// Inserts or updates profiles (each at most once per call), their aliases, and the
    /// trigger jobs their changes cause.
    async fn save_profiles(&mut self, writes: &[ProfileWrite<'_>]) -> StoreResult<()>;

    /// Adds an alias to a user; `AliasTaken` if it names another user.
    async fn add_alias(&mut self, user_id: Uuid, alias: &UserAlias) -> StoreResult<()>;

    /// Every profile with this email or phone (at most 100, by id), for a `prioritization`
    /// to pick from; for another identifier, the one profile it names.
    async fn find_profiles(&mut self, identifier: &UserIdentifier) -> StoreResult<Vec<Profile>>;

    /// Folds profile `merged` into `keep` at `now` and deletes it, by Braze's merge rules
    /// (`leadwire_core::identity`): the kept profile's attributes win and its gaps are
    /// filled; events and purchases move; canvas entries move to canvases the kept user
    /// never entered and are dropped from the others (leaving their step counters);
    /// re-entry marks and campaign receipts keep the later times; the merged user's pending
    /// jobs are pointed at the kept user (see `sql::identity`). Writes no triggers.
    /// `false` when either profile is missing or both are one.
    async fn merge_profiles(
        &mut self,
        keep: Uuid,
        merged: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Renames alias `old` of user `user_id` to `new_name` (same label); `AliasTaken` when
    /// the new alias names another user.
    async fn rename_alias(
        &mut self,
        user_id: Uuid,
        old: &UserAlias,
        new_name: &str,
    ) -> StoreResult<()>;

    /// Makes `new` the user's primary external id; the one it had becomes deprecated (it
    /// still names the user until removed). The caller checks that `new` is unused.
    async fn rename_external_id(&mut self, user_id: Uuid, new: &str) -> StoreResult<()>;

    /// Drops a deprecated external id; `false` when `external_id` is not one.
    async fn remove_deprecated_external_id(&mut self, external_id: &str) -> StoreResult<bool>;

    /// Those of `ids` that are deprecated external ids, with the user each names.
    async fn deprecated_external_id_owners(
        &mut self,
        ids: &[&str],
    ) -> StoreResult<Vec<(String, Uuid)>>;

    /// Records custom events and their trigger jobs.
    async fn record_events(&mut self, events: &[NewEvent]) -> StoreResult<()>;

    /// Records purchases and their trigger jobs.
    async fn record_purchases(&mut self, purchases: &[NewPurchase]) -> StoreResult<()>;

    /// Deletes a profile with its aliases, events and purchases. `false` if there was none.
    async fn delete_profile(&mut self, user_id: Uuid) -> StoreResult<bool>;

    /// Enqueues a task; returns its job id.
    async fn enqueue(&mut self, task: &NewTask) -> StoreResult<i64>;

    /// Appends activity-log entries.
    async fn record_activity(&mut self, entries: &[ActivityEntry]) -> StoreResult<()>;

    /// Ends a leased job in this transaction; `false` when the lease was lost (another
    /// worker may hold the job now, and nothing was changed).
    async fn finish_job(&mut self, job: &ClaimedJob, finish: &JobFinish) -> StoreResult<bool>;

    async fn commit(self: Box<Self>) -> StoreResult<()>;

    /// Rolls back now and releases the transaction's locks before returning; dropping a
    /// transaction also rolls back, but later (when its connection is next used), so a
    /// caller that goes on to touch the same rows on another connection rolls back first.
    async fn rollback(self: Box<Self>) -> StoreResult<()>;
}
