//! The campaign receipts of many users at once ([`crate::batch`]) in SQL, for both
//! databases: read (and locked on PostgreSQL) in user order, so two batches cannot
//! deadlock on them, and written many to a statement, the later of two for one user and
//! campaign kept.

use std::collections::HashSet;
use std::future::Future;

use sqlx::{ColumnIndex, Executor, IntoArguments};
use uuid::Uuid;

use super::database::{Column, ParamRef, SqlDatabase};
use super::journeys::decode_receipt;
use super::shared::ROWS_PER_INSERT;
use super::statement;
use crate::batch::ReceiptRecord;
use crate::error::StoreResult;
use crate::model::to_micros;

/// Users bound in one `IN (…)` list.
const IDS_PER_QUERY: usize = 500;
const RECEIPTS_OF: &str = "SELECT profile_id, campaign, last_received_at, \
     last_exception_at, pending_send_id, previous_received_at FROM campaign_receipts \
     WHERE profile_id IN (";
const RECEIPTS_ORDER: &str = ") ORDER BY profile_id, campaign";
const UPSERT_RECEIPTS: &str = "INSERT INTO campaign_receipts \
     (profile_id, campaign, last_received_at, last_exception_at, pending_send_id, \
     previous_received_at) ";
const UPSERT_RECEIPTS_CONFLICT: &str = " ON CONFLICT (profile_id, campaign) DO UPDATE SET \
     last_received_at = excluded.last_received_at, last_exception_at = excluded.last_exception_at, \
     pending_send_id = excluded.pending_send_id, \
     previous_received_at = excluded.previous_received_at";

/// A receipt row with its user and campaign.
type ReceiptRecordRow = (
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

fn decode_receipt_record(row: ReceiptRecordRow) -> Option<ReceiptRecord> {
    let (user, campaign, received, exception, pending, previous) = row;
    Some(ReceiptRecord {
        user_id: user.parse().ok()?,
        campaign,
        receipt: decode_receipt(Some((received, exception, pending, previous))),
    })
}

/// The receipts to write, the later of two for the same user and campaign kept.
fn last_receipts(receipts: &[ReceiptRecord]) -> Vec<&ReceiptRecord> {
    let mut seen = HashSet::with_capacity(receipts.len());
    let mut unique: Vec<_> = receipts
        .iter()
        .rev()
        .filter(|record| seen.insert((record.user_id, record.campaign.as_str())))
        .collect();
    unique.reverse();
    unique
}

/// The campaign receipt statements of many users at once, on database `Self`.
pub(crate) trait ReceiptBatchSql: SqlDatabase {
    /// Every receipt these users hold, in user and campaign order, locked.
    fn receipts_of(
        connection: &mut Self::Connection,
        users: &[Uuid],
    ) -> impl Future<Output = StoreResult<Vec<ReceiptRecord>>> + Send;

    /// Inserts or replaces receipts; of two for the same user and campaign the later wins.
    fn save_receipts(
        connection: &mut Self::Connection,
        receipts: &[ReceiptRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

impl<DB> ReceiptBatchSql for DB
where
    DB: SqlDatabase,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> &'q str: ParamRef<'q, DB>,
    String: Column<DB>,
    Option<String>: Column<DB>,
    Option<i64>: Column<DB>,
{
    async fn receipts_of(
        connection: &mut DB::Connection,
        users: &[Uuid],
    ) -> StoreResult<Vec<ReceiptRecord>> {
        let mut records = Vec::new();
        let tail = format!("{RECEIPTS_ORDER}{}", DB::LOCK_ROWS);
        for chunk in users.chunks(IDS_PER_QUERY) {
            let sql = statement::list::<DB>(RECEIPTS_OF, 1, chunk.len(), &tail);
            let mut query = sqlx::query_as(&sql);
            for id in chunk {
                query = query.bind(id.to_string());
            }
            let rows: Vec<ReceiptRecordRow> = query.fetch_all(&mut *connection).await?;
            records.extend(rows.into_iter().filter_map(decode_receipt_record));
        }
        Ok(records)
    }

    async fn save_receipts(
        connection: &mut DB::Connection,
        receipts: &[ReceiptRecord],
    ) -> StoreResult<()> {
        let unique = last_receipts(receipts);
        for chunk in unique.chunks(ROWS_PER_INSERT) {
            let mut sql = statement::values::<DB>(UPSERT_RECEIPTS, chunk.len(), 6);
            sql.push_str(UPSERT_RECEIPTS_CONFLICT);
            let mut query = sqlx::query(&sql);
            for record in chunk {
                let receipt = &record.receipt;
                query = query
                    .bind(record.user_id.to_string())
                    .bind(record.campaign.as_str())
                    .bind(receipt.last_received_at.map(to_micros))
                    .bind(receipt.last_exception_at.map(to_micros))
                    .bind(receipt.pending_send_id.map(|id| id.to_string()))
                    .bind(receipt.previous_received_at.map(to_micros));
            }
            query.execute(&mut *connection).await?;
        }
        Ok(())
    }
}
