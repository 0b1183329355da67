//! SQL for the campaign and Canvas runtime state ([`crate::journeys`]), shared by both
//! databases; [`implement_journeys!`] implements the traits inside each backend's module.

use leadwire_core::campaign::RateWindow;
use leadwire_core::canvas::{CanvasUserState, TimedEvent};

use crate::error::{StoreError, StoreResult};
use crate::journeys::{CampaignReceipt, CanvasEntry};
use crate::model::from_micros;

const ENTRY_COLUMNS: &str =
    "SELECT id, profile_id, state, actions, awaiting_action FROM canvas_entries";
pub(crate) fn entry_by_id() -> String {
    format!("{ENTRY_COLUMNS} WHERE id = $1")
}
pub(crate) fn active_entries() -> String {
    format!("{ENTRY_COLUMNS} WHERE profile_id = $1 AND active = 1 ORDER BY entered_at, id")
}
pub(crate) fn user_entries() -> String {
    format!(
        "{ENTRY_COLUMNS} WHERE profile_id = $1 AND ($2 IS NULL OR canvas = $2) ORDER BY entered_at, id"
    )
}
pub(crate) const LAST_ENTRY: &str =
    "SELECT last_entered_at FROM canvas_entry_marks WHERE profile_id = $1 AND canvas = $2";
/// Claims an entry: inserts the mark, or moves it when the previous entry is at or before
/// the re-entry cutoff ($4; NULL: never). One row changed means the user may enter.
pub(crate) const CLAIM_ENTRY: &str = "INSERT INTO canvas_entry_marks \
     (profile_id, canvas, last_entered_at) VALUES ($1, $2, $3) \
     ON CONFLICT (profile_id, canvas) DO UPDATE SET last_entered_at = excluded.last_entered_at \
     WHERE canvas_entry_marks.last_entered_at <= $4";
pub(crate) const UPSERT_ENTRY: &str = "INSERT INTO canvas_entries \
     (id, profile_id, canvas, state, actions, active, awaiting_action, entered_at, updated_at, \
     exited_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO UPDATE SET \
     state = excluded.state, actions = excluded.actions, active = excluded.active, \
     awaiting_action = excluded.awaiting_action, updated_at = excluded.updated_at, \
     exited_at = excluded.exited_at";
/// Deletes up to $2 entries whose user exited before $1.
pub(crate) const PRUNE_ENTRIES: &str = "DELETE FROM canvas_entries WHERE id IN \
     (SELECT id FROM canvas_entries WHERE active = 0 AND exited_at < $1 LIMIT $2)";
pub(crate) const RECEIPT: &str = "SELECT last_received_at, last_exception_at, \
     pending_send_id, previous_received_at \
     FROM campaign_receipts WHERE profile_id = $1 AND campaign = $2";
pub(crate) const UPSERT_RECEIPT: &str = "INSERT INTO campaign_receipts \
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
pub(crate) const PROFILE_IDS_AFTER: &str =
    "SELECT id FROM profiles WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2";
pub(crate) const RATE_WINDOW: &str = "SELECT minute_start, sent FROM rate_windows WHERE name = $1";
pub(crate) const UPSERT_RATE_WINDOW: &str = "INSERT INTO rate_windows (name, minute_start, sent) \
     VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET \
     minute_start = excluded.minute_start, sent = excluded.sent";
pub(crate) const COMPLETE_JOB: &str = "DELETE FROM jobs WHERE id = $1 AND lease_token = $2";

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

pub(crate) fn decode_rate_window(row: Option<(Option<i64>, i64)>) -> RateWindow {
    match row {
        Some((minute_start, sent)) => RateWindow {
            minute_start: minute_start.map(from_micros),
            sent: u32::try_from(sent).unwrap_or(u32::MAX),
        },
        None => RateWindow::default(),
    }
}

/// Implements [`JourneyReads`](crate::journeys::JourneyReads) for `$store` and
/// [`JourneyWrites`](crate::journeys::JourneyWrites) for `$tx`, in the backend's module
/// (it reads the same private fields and constants as [`super::implement_store!`]).
macro_rules! implement_journeys {
    ($store:ident, $tx:ident) => {
        #[async_trait::async_trait]
        impl $crate::journeys::JourneyReads for $store {
            async fn canvas_entries(
                &self,
                user_id: uuid::Uuid,
                canvas: Option<&str>,
            ) -> $crate::error::StoreResult<Vec<$crate::journeys::CanvasEntry>> {
                let rows: Vec<$crate::sql::journeys::EntryRow> =
                    sqlx::query_as(&$crate::sql::journeys::user_entries())
                        .bind(user_id.to_string())
                        .bind(canvas)
                        .fetch_all(self.reader())
                        .await?;
                rows.into_iter()
                    .map($crate::sql::journeys::decode_entry)
                    .collect()
            }

            async fn campaign_receipt(
                &self,
                user_id: uuid::Uuid,
                campaign: &str,
            ) -> $crate::error::StoreResult<$crate::journeys::CampaignReceipt> {
                let row: Option<$crate::sql::journeys::ReceiptRow> =
                    sqlx::query_as($crate::sql::journeys::RECEIPT)
                        .bind(user_id.to_string())
                        .bind(campaign)
                        .fetch_optional(self.reader())
                        .await?;
                Ok($crate::sql::journeys::decode_receipt(row))
            }

            async fn prune_canvas_entries(
                &self,
                exited_before: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::error::StoreResult<u64> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query($crate::sql::journeys::PRUNE_ENTRIES)
                    .bind($crate::model::to_micros(exited_before))
                    .bind(i64::from(limit))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected())
            }

            async fn profile_ids_after(
                &self,
                after: Option<uuid::Uuid>,
                limit: u32,
            ) -> $crate::error::StoreResult<Vec<uuid::Uuid>> {
                let ids: Vec<String> = sqlx::query_scalar($crate::sql::journeys::PROFILE_IDS_AFTER)
                    .bind(after.map(|id| id.to_string()))
                    .bind(i64::from(limit))
                    .fetch_all(self.reader())
                    .await?;
                Ok(ids.iter().filter_map(|id| id.parse().ok()).collect())
            }
        }

        #[async_trait::async_trait]
        impl $crate::journeys::JourneyWrites for $tx {
            async fn canvas_entry(
                &mut self,
                id: uuid::Uuid,
            ) -> $crate::error::StoreResult<Option<$crate::journeys::CanvasEntry>> {
                let sql = format!(
                    "{}{}",
                    $crate::sql::journeys::entry_by_id(),
                    <$store>::LOCK_ROWS
                );
                let row: Option<$crate::sql::journeys::EntryRow> = sqlx::query_as(&sql)
                    .bind(id.to_string())
                    .fetch_optional(&mut *self.tx)
                    .await?;
                row.map($crate::sql::journeys::decode_entry).transpose()
            }

            async fn active_canvas_entries(
                &mut self,
                user_id: uuid::Uuid,
            ) -> $crate::error::StoreResult<Vec<$crate::journeys::CanvasEntry>> {
                let sql = format!(
                    "{}{}",
                    $crate::sql::journeys::active_entries(),
                    <$store>::LOCK_ROWS
                );
                let rows: Vec<$crate::sql::journeys::EntryRow> = sqlx::query_as(&sql)
                    .bind(user_id.to_string())
                    .fetch_all(&mut *self.tx)
                    .await?;
                rows.into_iter()
                    .map($crate::sql::journeys::decode_entry)
                    .collect()
            }

            async fn last_canvas_entry_at(
                &mut self,
                user_id: uuid::Uuid,
                canvas: &str,
            ) -> $crate::error::StoreResult<Option<chrono::DateTime<chrono::Utc>>> {
                let last: Option<i64> = sqlx::query_scalar($crate::sql::journeys::LAST_ENTRY)
                    .bind(user_id.to_string())
                    .bind(canvas)
                    .fetch_optional(&mut *self.tx)
                    .await?;
                Ok(last.map($crate::model::from_micros))
            }

            async fn claim_canvas_entry(
                &mut self,
                user_id: uuid::Uuid,
                canvas: &str,
                now: chrono::DateTime<chrono::Utc>,
                reentry_cutoff: Option<chrono::DateTime<chrono::Utc>>,
            ) -> $crate::error::StoreResult<bool> {
                let claimed = sqlx::query($crate::sql::journeys::CLAIM_ENTRY)
                    .bind(user_id.to_string())
                    .bind(canvas)
                    .bind($crate::model::to_micros(now))
                    .bind(reentry_cutoff.map($crate::model::to_micros))
                    .execute(&mut *self.tx)
                    .await?;
                Ok(claimed.rows_affected() == 1)
            }

            async fn save_canvas_entry(
                &mut self,
                entry: &$crate::journeys::CanvasEntry,
            ) -> $crate::error::StoreResult<()> {
                use $crate::sql::shared::encode;
                sqlx::query($crate::sql::journeys::UPSERT_ENTRY)
                    .bind(entry.id.to_string())
                    .bind(entry.user_id.to_string())
                    .bind(entry.canvas())
                    .bind(encode("canvas state", &entry.state)?)
                    .bind(encode("canvas actions", &entry.actions)?)
                    .bind(i32::from(entry.is_active()))
                    .bind(i32::from(entry.awaiting_action))
                    .bind($crate::model::to_micros(entry.state.entered_at))
                    .bind($crate::model::to_micros(chrono::Utc::now()))
                    .bind(entry.state.exited_at().map($crate::model::to_micros))
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn campaign_receipt(
                &mut self,
                user_id: uuid::Uuid,
                campaign: &str,
            ) -> $crate::error::StoreResult<$crate::journeys::CampaignReceipt> {
                let sql = format!("{}{}", $crate::sql::journeys::RECEIPT, <$store>::LOCK_ROWS);
                let row: Option<$crate::sql::journeys::ReceiptRow> = sqlx::query_as(&sql)
                    .bind(user_id.to_string())
                    .bind(campaign)
                    .fetch_optional(&mut *self.tx)
                    .await?;
                Ok($crate::sql::journeys::decode_receipt(row))
            }

            async fn save_campaign_receipt(
                &mut self,
                user_id: uuid::Uuid,
                campaign: &str,
                receipt: &$crate::journeys::CampaignReceipt,
            ) -> $crate::error::StoreResult<()> {
                sqlx::query($crate::sql::journeys::UPSERT_RECEIPT)
                    .bind(user_id.to_string())
                    .bind(campaign)
                    .bind(receipt.last_received_at.map($crate::model::to_micros))
                    .bind(receipt.last_exception_at.map($crate::model::to_micros))
                    .bind(receipt.pending_send_id.map(|id| id.to_string()))
                    .bind(receipt.previous_received_at.map($crate::model::to_micros))
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn rate_window(
                &mut self,
                name: &str,
            ) -> $crate::error::StoreResult<leadwire_core::campaign::RateWindow> {
                let sql = format!(
                    "{}{}",
                    $crate::sql::journeys::RATE_WINDOW,
                    <$store>::LOCK_ROWS
                );
                let row: Option<(Option<i64>, i64)> = sqlx::query_as(&sql)
                    .bind(name)
                    .fetch_optional(&mut *self.tx)
                    .await?;
                Ok($crate::sql::journeys::decode_rate_window(row))
            }

            async fn save_rate_window(
                &mut self,
                name: &str,
                window: &leadwire_core::campaign::RateWindow,
            ) -> $crate::error::StoreResult<()> {
                sqlx::query($crate::sql::journeys::UPSERT_RATE_WINDOW)
                    .bind(name)
                    .bind(window.minute_start.map($crate::model::to_micros))
                    .bind(i64::from(window.sent))
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn complete_job(
                &mut self,
                job: &$crate::queue::ClaimedJob,
            ) -> $crate::error::StoreResult<()> {
                let done = sqlx::query($crate::sql::journeys::COMPLETE_JOB)
                    .bind(job.id)
                    .bind(job.lease_token.to_string())
                    .execute(&mut *self.tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::error::StoreError::LeaseLost { job_id: job.id });
                }
                Ok(())
            }
        }
    };
}

pub(crate) use implement_journeys;
