//! The campaign and Canvas runtime state ([`crate::journeys`]) in SQL, for both
//! databases: canvas entries and the marks that control re-entry, campaign receipts and
//! rate windows. Rows read inside a write transaction are locked on PostgreSQL.

use std::future::Future;

use chrono::{DateTime, Utc};
use leadwire_core::campaign::RateWindow;
use leadwire_core::canvas::{CanvasUserState, TimedEvent};
use sqlx::{ColumnIndex, Executor, IntoArguments, Pool};
use uuid::Uuid;

use super::database::{Column, ParamRef, SqlDatabase};
use super::shared::encode;
use crate::error::{StoreError, StoreResult};
use crate::journeys::{CampaignReceipt, CanvasEntry};
use crate::model::{from_micros, to_micros};

pub(crate) const ENTRY_COLUMNS: &str =
    "SELECT id, profile_id, state, actions, awaiting_action FROM canvas_entries";
fn entry_by_id() -> String {
    format!("{ENTRY_COLUMNS} WHERE id = $1")
}
fn active_entries() -> String {
    format!("{ENTRY_COLUMNS} WHERE profile_id = $1 AND active = 1 ORDER BY entered_at, id")
}
/// Up to $3 entries at step $2 of canvas $1, newest arrival first (the partial index
/// `canvas_entries_at_step`).
pub(crate) fn entries_at() -> String {
    format!(
        "{ENTRY_COLUMNS} WHERE canvas = $1 AND step = $2 ORDER BY arrived_at DESC, id DESC LIMIT $3"
    )
}
fn user_entries() -> String {
    format!(
        "{ENTRY_COLUMNS} WHERE profile_id = $1 AND ($2 IS NULL OR canvas = $2) ORDER BY entered_at, id"
    )
}
const LAST_ENTRY: &str =
    "SELECT last_entered_at FROM canvas_entry_marks WHERE profile_id = $1 AND canvas = $2";
/// Claims an entry: inserts the mark, or moves it when the previous entry is at or before
/// the re-entry cutoff ($4; NULL: never). One row changed means the user may enter.
const CLAIM_ENTRY: &str = "INSERT INTO canvas_entry_marks \
     (profile_id, canvas, last_entered_at) VALUES ($1, $2, $3) \
     ON CONFLICT (profile_id, canvas) DO UPDATE SET last_entered_at = excluded.last_entered_at \
     WHERE canvas_entry_marks.last_entered_at <= $4";
/// `step` is the current step, NULL once the user exited.
const UPSERT_ENTRY: &str = "INSERT INTO canvas_entries \
     (id, profile_id, canvas, state, actions, active, awaiting_action, entered_at, updated_at, \
     exited_at, step, arrived_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
     ON CONFLICT (id) DO UPDATE SET \
     state = excluded.state, actions = excluded.actions, active = excluded.active, \
     awaiting_action = excluded.awaiting_action, updated_at = excluded.updated_at, \
     exited_at = excluded.exited_at, step = excluded.step, arrived_at = excluded.arrived_at";
/// Deletes up to $2 entries whose user exited before $1.
const PRUNE_ENTRIES: &str = "DELETE FROM canvas_entries WHERE id IN \
     (SELECT id FROM canvas_entries WHERE active = 0 AND exited_at < $1 LIMIT $2)";
const RECEIPT: &str = "SELECT last_received_at, last_exception_at, \
     pending_send_id, previous_received_at \
     FROM campaign_receipts WHERE profile_id = $1 AND campaign = $2";
const UPSERT_RECEIPT: &str = "INSERT INTO campaign_receipts \
     (profile_id, campaign, last_received_at, last_exception_at, pending_send_id, \
     previous_received_at) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (profile_id, campaign) DO UPDATE SET \
     last_received_at = excluded.last_received_at, last_exception_at = excluded.last_exception_at, \
     pending_send_id = excluded.pending_send_id, \
     previous_received_at = excluded.previous_received_at";

/// A receipt row: last received, last exception, pending send id, previous received.
pub(crate) type ReceiptRow = (Option<i64>, Option<i64>, Option<String>, Option<i64>);

pub(crate) fn decode_receipt(row: Option<ReceiptRow>) -> CampaignReceipt {
    let (received, exception, pending, previous) = row.unwrap_or_default();
    CampaignReceipt {
        last_received_at: received.map(from_micros),
        last_exception_at: exception.map(from_micros),
        pending_send_id: pending.and_then(|id| id.parse().ok()),
        previous_received_at: previous.map(from_micros),
    }
}
const PROFILE_IDS_AFTER: &str =
    "SELECT id FROM profiles WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2";
const RATE_WINDOW: &str = "SELECT minute_start, sent FROM rate_windows WHERE name = $1";
const UPSERT_RATE_WINDOW: &str = "INSERT INTO rate_windows (name, minute_start, sent) \
     VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET \
     minute_start = excluded.minute_start, sent = excluded.sent";

/// An entry row: id, profile id, state document, actions document, awaiting flag.
pub(crate) type EntryRow = (String, String, String, String, i32);

pub(crate) fn decode_entry(row: EntryRow) -> StoreResult<CanvasEntry> {
    let (id, profile_id, state, actions, awaiting_action) = row;
    let state: CanvasUserState =
        serde_json::from_str(&state).map_err(|source| StoreError::Corrupt {
            what: "canvas state",
            source,
        })?;
    let actions: Vec<TimedEvent> =
        serde_json::from_str(&actions).map_err(|source| StoreError::Corrupt {
            what: "canvas actions",
            source,
        })?;
    Ok(CanvasEntry {
        id: id.parse().unwrap_or_default(),
        user_id: profile_id.parse().unwrap_or_default(),
        state,
        actions,
        awaiting_action: awaiting_action != 0,
    })
}

fn decode_rate_window(row: Option<(Option<i64>, i64)>) -> RateWindow {
    match row {
        Some((minute_start, sent)) => RateWindow {
            minute_start: minute_start.map(from_micros),
            sent: u32::try_from(sent).unwrap_or(u32::MAX),
        },
        None => RateWindow::default(),
    }
}

/// The journey statements on database `Self`. `lock` is appended to a lookup:
/// [`SqlDatabase::LOCK_ROWS`] inside a write transaction, else empty.
pub(crate) trait JourneySql: SqlDatabase {
    /// The user's entries, oldest first; `canvas` narrows them to one canvas.
    fn user_entries(
        pool: &Pool<Self>,
        user_id: Uuid,
        canvas: Option<&str>,
    ) -> impl Future<Output = StoreResult<Vec<CanvasEntry>>> + Send;

    /// The entry with this id, locked.
    fn entry(
        connection: &mut Self::Connection,
        id: Uuid,
    ) -> impl Future<Output = StoreResult<Option<CanvasEntry>>> + Send;

    /// The user's entries that have not exited, oldest first, locked.
    fn active_entries(
        connection: &mut Self::Connection,
        user_id: Uuid,
    ) -> impl Future<Output = StoreResult<Vec<CanvasEntry>>> + Send;

    /// When the user last entered `canvas`.
    fn last_entry_at(
        connection: &mut Self::Connection,
        user_id: Uuid,
        canvas: &str,
    ) -> impl Future<Output = StoreResult<Option<DateTime<Utc>>>> + Send;

    /// Records an entry at `now` unless the previous one is later than `reentry_cutoff`
    /// (`None`: any previous entry blocks it); whether it was recorded.
    fn claim_entry(
        connection: &mut Self::Connection,
        user_id: Uuid,
        canvas: &str,
        now: DateTime<Utc>,
        reentry_cutoff: Option<DateTime<Utc>>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Inserts or replaces an entry.
    fn save_entry(
        connection: &mut Self::Connection,
        entry: &CanvasEntry,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Deletes up to `limit` entries whose user exited before `exited_before`.
    fn prune_entries(
        connection: &mut Self::Connection,
        exited_before: DateTime<Utc>,
        limit: u32,
    ) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Up to `limit` profile ids greater than `after`, in id order.
    fn profile_ids_after(
        pool: &Pool<Self>,
        after: Option<Uuid>,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<Uuid>>> + Send;

    /// The user's receipt of `campaign` (the default when there is no row).
    fn receipt(
        connection: &mut Self::Connection,
        user_id: Uuid,
        campaign: &str,
        lock: &str,
    ) -> impl Future<Output = StoreResult<CampaignReceipt>> + Send;

    fn save_receipt(
        connection: &mut Self::Connection,
        user_id: Uuid,
        campaign: &str,
        receipt: &CampaignReceipt,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The rate-limit window named `name`, locked; empty when new.
    fn rate_window(
        connection: &mut Self::Connection,
        name: &str,
    ) -> impl Future<Output = StoreResult<RateWindow>> + Send;

    fn save_rate_window(
        connection: &mut Self::Connection,
        name: &str,
        window: &RateWindow,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

impl<DB> JourneySql for DB
where
    DB: SqlDatabase,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> &'q str: ParamRef<'q, DB>,
    for<'q> Option<&'q str>: ParamRef<'q, DB>,
    String: Column<DB>,
    Option<String>: Column<DB>,
    i64: Column<DB>,
    Option<i64>: Column<DB>,
    i32: Column<DB>,
{
    async fn user_entries(
        pool: &Pool<DB>,
        user_id: Uuid,
        canvas: Option<&str>,
    ) -> StoreResult<Vec<CanvasEntry>> {
        let rows: Vec<EntryRow> = sqlx::query_as(&user_entries())
            .bind(user_id.to_string())
            .bind(canvas)
            .fetch_all(pool)
            .await?;
        rows.into_iter().map(decode_entry).collect()
    }

    async fn entry(connection: &mut DB::Connection, id: Uuid) -> StoreResult<Option<CanvasEntry>> {
        let sql = format!("{}{}", entry_by_id(), DB::LOCK_ROWS);
        let row: Option<EntryRow> = sqlx::query_as(&sql)
            .bind(id.to_string())
            .fetch_optional(&mut *connection)
            .await?;
        row.map(decode_entry).transpose()
    }

    async fn active_entries(
        connection: &mut DB::Connection,
        user_id: Uuid,
    ) -> StoreResult<Vec<CanvasEntry>> {
        let sql = format!("{}{}", active_entries(), DB::LOCK_ROWS);
        let rows: Vec<EntryRow> = sqlx::query_as(&sql)
            .bind(user_id.to_string())
            .fetch_all(&mut *connection)
            .await?;
        rows.into_iter().map(decode_entry).collect()
    }

    async fn last_entry_at(
        connection: &mut DB::Connection,
        user_id: Uuid,
        canvas: &str,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        let last: Option<i64> = sqlx::query_scalar(LAST_ENTRY)
            .bind(user_id.to_string())
            .bind(canvas)
            .fetch_optional(&mut *connection)
            .await?;
        Ok(last.map(from_micros))
    }

    async fn claim_entry(
        connection: &mut DB::Connection,
        user_id: Uuid,
        canvas: &str,
        now: DateTime<Utc>,
        reentry_cutoff: Option<DateTime<Utc>>,
    ) -> StoreResult<bool> {
        let claimed = sqlx::query(CLAIM_ENTRY)
            .bind(user_id.to_string())
            .bind(canvas)
            .bind(to_micros(now))
            .bind(reentry_cutoff.map(to_micros))
            .execute(&mut *connection)
            .await?;
        Ok(DB::rows_affected(&claimed) == 1)
    }

    async fn save_entry(connection: &mut DB::Connection, entry: &CanvasEntry) -> StoreResult<()> {
        sqlx::query(UPSERT_ENTRY)
            .bind(entry.id.to_string())
            .bind(entry.user_id.to_string())
            .bind(entry.canvas())
            .bind(encode("canvas state", &entry.state)?)
            .bind(encode("canvas actions", &entry.actions)?)
            .bind(i32::from(entry.is_active()))
            .bind(i32::from(entry.awaiting_action))
            .bind(to_micros(entry.state.entered_at))
            .bind(to_micros(Utc::now()))
            .bind(entry.state.exited_at().map(to_micros))
            .bind(entry.state.current_step())
            .bind(to_micros(entry.state.arrived_at))
            .execute(&mut *connection)
            .await?;
        Ok(())
    }

    async fn prune_entries(
        connection: &mut DB::Connection,
        exited_before: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<u64> {
        let done = sqlx::query(PRUNE_ENTRIES)
            .bind(to_micros(exited_before))
            .bind(i64::from(limit))
            .execute(&mut *connection)
            .await?;
        Ok(DB::rows_affected(&done))
    }

    async fn profile_ids_after(
        pool: &Pool<DB>,
        after: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Vec<Uuid>> {
        let ids: Vec<String> = sqlx::query_scalar(PROFILE_IDS_AFTER)
            .bind(after.map(|id| id.to_string()))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?;
        Ok(ids.iter().filter_map(|id| id.parse().ok()).collect())
    }

    async fn receipt(
        connection: &mut DB::Connection,
        user_id: Uuid,
        campaign: &str,
        lock: &str,
    ) -> StoreResult<CampaignReceipt> {
        let sql = format!("{RECEIPT}{lock}");
        let row: Option<ReceiptRow> = sqlx::query_as(&sql)
            .bind(user_id.to_string())
            .bind(campaign)
            .fetch_optional(&mut *connection)
            .await?;
        Ok(decode_receipt(row))
    }

    async fn save_receipt(
        connection: &mut DB::Connection,
        user_id: Uuid,
        campaign: &str,
        receipt: &CampaignReceipt,
    ) -> StoreResult<()> {
        sqlx::query(UPSERT_RECEIPT)
            .bind(user_id.to_string())
            .bind(campaign)
            .bind(receipt.last_received_at.map(to_micros))
            .bind(receipt.last_exception_at.map(to_micros))
            .bind(receipt.pending_send_id.map(|id| id.to_string()))
            .bind(receipt.previous_received_at.map(to_micros))
            .execute(&mut *connection)
            .await?;
        Ok(())
    }

    async fn rate_window(connection: &mut DB::Connection, name: &str) -> StoreResult<RateWindow> {
        let sql = format!("{RATE_WINDOW}{}", DB::LOCK_ROWS);
        let row: Option<(Option<i64>, i64)> = sqlx::query_as(&sql)
            .bind(name)
            .fetch_optional(&mut *connection)
            .await?;
        Ok(decode_rate_window(row))
    }

    async fn save_rate_window(
        connection: &mut DB::Connection,
        name: &str,
        window: &RateWindow,
    ) -> StoreResult<()> {
        sqlx::query(UPSERT_RATE_WINDOW)
            .bind(name)
            .bind(window.minute_start.map(to_micros))
            .bind(i64::from(window.sent))
            .execute(&mut *connection)
            .await?;
        Ok(())
    }
}
