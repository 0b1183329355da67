//! Campaign and Canvas runtime state: each user's canvas entries, campaign receipts and
//! per-minute rate-limit windows, read and written by the engine's workers.
//!
//! [`JourneyReads`] is a supertrait of [`Store`](crate::Store) and [`JourneyWrites`] of
//! [`StoreTransaction`](crate::StoreTransaction), so both are reachable through
//! `dyn Store` / `dyn StoreTransaction`. Writes happen inside the transaction that also
//! enqueues the follow-on work, and [`JourneyWrites::complete_job`] removes the job that
//! caused them in the same transaction: a job's effects and its completion commit together.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use leadwire_core::campaign::RateWindow;
use leadwire_core::canvas::{CanvasUserState, TimedEvent};
use uuid::Uuid;

use crate::error::StoreResult;
use crate::queue::ClaimedJob;

/// One entry of one user into one canvas. With re-entry allowed a user may hold several.
#[derive(Debug, Clone, PartialEq)]
pub struct CanvasEntry {
    pub id: Uuid,
    pub user_id: Uuid,
    /// Position, entry and event properties, exit request, history.
    pub state: CanvasUserState,
    /// Actions the user performed since arriving at the current Action Paths step.
    pub actions: Vec<TimedEvent>,
    /// Waiting at an Action Paths step: the trigger worker routes the user's actions here.
    pub awaiting_action: bool,
}

impl CanvasEntry {
    /// A new entry for `state` (the user has just entered).
    pub fn new(user_id: Uuid, state: CanvasUserState) -> Self {
        Self {
            id: Uuid::now_v7(),
            user_id,
            state,
            actions: Vec::new(),
            awaiting_action: false,
        }
    }

    /// The canvas's api id.
    pub fn canvas(&self) -> &str {
        &self.state.canvas
    }

    pub fn is_active(&self) -> bool {
        !self.state.has_exited()
    }
}

/// What the store remembers about one user and one campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CampaignReceipt {
    /// When the user last received the campaign. A send counts from the moment it is
    /// enqueued (see `pending_send_id`), so a trigger while it is in flight does not send
    /// again.
    pub last_received_at: Option<DateTime<Utc>>,
    /// When the user last performed one of the campaign's exception events; a pending
    /// delayed send triggered before it is cancelled.
    pub last_exception_at: Option<DateTime<Utc>>,
    /// The send enqueued at `last_received_at` while its outcome is unknown. If it ends
    /// without reaching the user (aborted, refused, failed), `last_received_at` goes back
    /// to `previous_received_at`, as Braze does not count a message that was not received.
    pub pending_send_id: Option<Uuid>,
    /// `last_received_at` before the pending send was enqueued.
    pub previous_received_at: Option<DateTime<Utc>>,
}

/// Reads for inspection, tests and broadcasts, and pruning outside a job's transaction.
#[async_trait]
pub trait JourneyReads {
    /// The user's entries, oldest first; `canvas` narrows them to one canvas.
    async fn canvas_entries(
        &self,
        user_id: Uuid,
        canvas: Option<&str>,
    ) -> StoreResult<Vec<CanvasEntry>>;

    async fn campaign_receipt(&self, user_id: Uuid, campaign: &str)
    -> StoreResult<CampaignReceipt>;

    /// Deletes up to `limit` entries whose user exited before `exited_before`; returns how
    /// many went. Re-entry control keeps its own record of entry times.
    async fn prune_canvas_entries(
        &self,
        exited_before: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<u64>;

    /// Up to `limit` profile ids greater than `after`, in id order: a keyset page over all
    /// profiles, for broadcast sends.
    async fn profile_ids_after(&self, after: Option<Uuid>, limit: u32) -> StoreResult<Vec<Uuid>>;
}

/// Writes inside a transaction. Rows read here are locked on PostgreSQL until it ends.
#[async_trait]
pub trait JourneyWrites {
    async fn canvas_entry(&mut self, id: Uuid) -> StoreResult<Option<CanvasEntry>>;

    /// The user's entries that have not exited (every canvas), oldest first.
    async fn active_canvas_entries(&mut self, user_id: Uuid) -> StoreResult<Vec<CanvasEntry>>;

    /// When the user last entered `canvas` (kept when old entries are pruned).
    async fn last_canvas_entry_at(
        &mut self,
        user_id: Uuid,
        canvas: &str,
    ) -> StoreResult<Option<DateTime<Utc>>>;

    /// Atomically records an entry of the user into `canvas` at `now`, unless they entered
    /// before and that entry is later than `reentry_cutoff` (`None`: re-entry is off).
    /// Returns whether the entry was recorded: of two concurrent claims that re-entry
    /// control allows only once, exactly one succeeds, on both databases.
    async fn claim_canvas_entry(
        &mut self,
        user_id: Uuid,
        canvas: &str,
        now: DateTime<Utc>,
        reentry_cutoff: Option<DateTime<Utc>>,
    ) -> StoreResult<bool>;

    /// Inserts or replaces an entry.
    async fn save_canvas_entry(&mut self, entry: &CanvasEntry) -> StoreResult<()>;

    async fn campaign_receipt(
        &mut self,
        user_id: Uuid,
        campaign: &str,
    ) -> StoreResult<CampaignReceipt>;

    async fn save_campaign_receipt(
        &mut self,
        user_id: Uuid,
        campaign: &str,
        receipt: &CampaignReceipt,
    ) -> StoreResult<()>;

    /// The rate-limit window named `name` (a campaign or canvas); empty when new.
    async fn rate_window(&mut self, name: &str) -> StoreResult<RateWindow>;

    async fn save_rate_window(&mut self, name: &str, window: &RateWindow) -> StoreResult<()>;

    /// Removes a claimed job in this transaction. `LeaseLost` if another worker holds it now.
    async fn complete_job(&mut self, job: &ClaimedJob) -> StoreResult<()>;
}
