//! Many rows in one statement: the reads and writes a worker needs to handle a batch of
//! jobs in one transaction without a database round trip per job (see
//! [`crate::buffered::BufferedTransaction`], which uses them).
//!
//! [`BatchReads`] is a supertrait of [`Store`](crate::Store) and [`BatchWrites`] of
//! [`StoreTransaction`](crate::StoreTransaction), so both are reachable through the trait
//! objects.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use leadwire_core::profile::Profile;
use leadwire_core::queue::Queue;
use uuid::Uuid;

use crate::error::StoreResult;
use crate::journeys::CampaignReceipt;
use crate::queue::{ClaimedJob, NewTask};

/// One user's receipt of one campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRecord {
    pub user_id: Uuid,
    pub campaign: String,
    pub receipt: CampaignReceipt,
}

/// A claimed job named by its id and the lease token that proves the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeasedJob {
    pub id: i64,
    pub lease_token: Uuid,
}

impl From<&crate::queue::ClaimedJob> for LeasedJob {
    fn from(job: &crate::queue::ClaimedJob) -> Self {
        Self {
            id: job.id,
            lease_token: job.lease_token,
        }
    }
}

/// Reads of many rows outside a transaction.
#[async_trait]
pub trait BatchReads {
    /// The profiles with these internal ids; ids without a profile are left out.
    async fn profiles_by_id(&self, ids: &[Uuid]) -> StoreResult<Vec<Profile>>;
}

/// Reads and writes of many rows inside a transaction. Rows read are locked on PostgreSQL
/// until the transaction ends, in a fixed order (by id), so two batches cannot deadlock on
/// them.
#[async_trait]
pub trait BatchWrites {
    /// The profiles with these internal ids; ids without a profile are left out.
    async fn find_profiles_by_id(&mut self, ids: &[Uuid]) -> StoreResult<Vec<Profile>>;

    /// Every campaign receipt these users hold (a user and campaign without a row has the
    /// default receipt).
    async fn campaign_receipts_of(&mut self, users: &[Uuid]) -> StoreResult<Vec<ReceiptRecord>>;

    /// Inserts or replaces receipts; of two for the same user and campaign the later wins.
    async fn save_campaign_receipts(&mut self, receipts: &[ReceiptRecord]) -> StoreResult<()>;

    /// Enqueues tasks, without telling their job ids.
    async fn enqueue_all(&mut self, tasks: &[NewTask]) -> StoreResult<()>;

    /// Removes these claimed jobs. Returns the ids of those whose lease was lost; they are
    /// left as they are.
    async fn complete_jobs(&mut self, jobs: &[LeasedJob]) -> StoreResult<Vec<i64>>;

    /// Leases up to `limit` ready jobs of `queue` until `now + lease`, counting an attempt,
    /// inside this transaction: the lease (and the attempt) count only if it commits. A
    /// worker that completes the jobs in the same transaction needs no transaction of its
    /// own for the claim.
    async fn claim_jobs(
        &mut self,
        queue: Queue,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedJob>>;
}
