//! Segment size rows and running-export marks ([`crate::segments`]) in SQL, for both
//! databases: an upsert by (segment, day), a primary-key range read, and a mark inserted
//! unless one exists.

use std::future::Future;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{ColumnIndex, Executor, IntoArguments, Pool, Row as _};

use super::database::{Column, Param, ParamRef, SqlDatabase};
use crate::error::StoreResult;
use crate::model::{from_micros, to_micros};
use crate::segments::SegmentSize;

const UPSERT_SIZE: &str = "INSERT INTO segment_sizes (segment_id, day, size, measured_at) \
VALUES ($1, $2, $3, $4) ON CONFLICT (segment_id, day) \
DO UPDATE SET size = excluded.size, measured_at = excluded.measured_at";

const SELECT_SIZES: &str = "SELECT day, size, measured_at FROM segment_sizes \
WHERE segment_id = $1 AND day >= $2 AND day <= $3 ORDER BY day";

const DAY_FORMAT: &str = "%Y-%m-%d";

const DELETE_STALE_EXPORT: &str =
    "DELETE FROM segment_exports WHERE segment_id = $1 AND started_at < $2";
const INSERT_EXPORT: &str = "INSERT INTO segment_exports (segment_id, object_prefix, started_at) \
VALUES ($1, $2, $3) ON CONFLICT (segment_id) DO NOTHING";
const DELETE_EXPORT: &str =
    "DELETE FROM segment_exports WHERE segment_id = $1 AND object_prefix = $2";

/// The segment size statements on database `Self`.
pub(crate) trait SegmentSql: SqlDatabase {
    fn upsert_size(
        connection: &mut Self::Connection,
        size: &SegmentSize,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    fn sizes(
        pool: &Pool<Self>,
        segment_id: &str,
        first: NaiveDate,
        last: NaiveDate,
    ) -> impl Future<Output = StoreResult<Vec<SegmentSize>>> + Send;

    /// Marks a running export; `false` when a mark newer than `stale_before` exists.
    fn mark_export(
        connection: &mut Self::Connection,
        segment_id: &str,
        object_prefix: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    fn unmark_export(
        connection: &mut Self::Connection,
        segment_id: &str,
        object_prefix: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

impl<DB> SegmentSql for DB
where
    DB: SqlDatabase,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> &'q str: ParamRef<'q, DB>,
    String: Column<DB>,
    i64: Param<DB> + Column<DB>,
{
    async fn upsert_size(connection: &mut DB::Connection, size: &SegmentSize) -> StoreResult<()> {
        let day = size.day.format(DAY_FORMAT).to_string();
        sqlx::query(UPSERT_SIZE)
            .bind(size.segment_id.as_str())
            .bind(day.as_str())
            .bind(i64::try_from(size.size).unwrap_or(i64::MAX))
            .bind(to_micros(size.measured_at))
            .execute(&mut *connection)
            .await?;
        Ok(())
    }

    async fn sizes(
        pool: &Pool<DB>,
        segment_id: &str,
        first: NaiveDate,
        last: NaiveDate,
    ) -> StoreResult<Vec<SegmentSize>> {
        let first = first.format(DAY_FORMAT).to_string();
        let last = last.format(DAY_FORMAT).to_string();
        let rows = sqlx::query(SELECT_SIZES)
            .bind(segment_id)
            .bind(first.as_str())
            .bind(last.as_str())
            .fetch_all(pool)
            .await?;
        let mut sizes = Vec::with_capacity(rows.len());
        for row in &rows {
            let day: String = row.try_get(0)?;
            let size: i64 = row.try_get(1)?;
            let measured_at: i64 = row.try_get(2)?;
            // Only `upsert_size` writes the column, always in `DAY_FORMAT`.
            let Ok(day) = NaiveDate::parse_from_str(&day, DAY_FORMAT) else {
                continue;
            };
            sizes.push(SegmentSize {
                segment_id: segment_id.to_owned(),
                day,
                size: u64::try_from(size).unwrap_or(0),
                measured_at: from_micros(measured_at),
            });
        }
        Ok(sizes)
    }

    async fn mark_export(
        connection: &mut DB::Connection,
        segment_id: &str,
        object_prefix: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> StoreResult<bool> {
        sqlx::query(DELETE_STALE_EXPORT)
            .bind(segment_id)
            .bind(to_micros(stale_before))
            .execute(&mut *connection)
            .await?;
        let done = sqlx::query(INSERT_EXPORT)
            .bind(segment_id)
            .bind(object_prefix)
            .bind(to_micros(now))
            .execute(&mut *connection)
            .await?;
        Ok(DB::rows_affected(&done) == 1)
    }

    async fn unmark_export(
        connection: &mut DB::Connection,
        segment_id: &str,
        object_prefix: &str,
    ) -> StoreResult<()> {
        sqlx::query(DELETE_EXPORT)
            .bind(segment_id)
            .bind(object_prefix)
            .execute(&mut *connection)
            .await?;
        Ok(())
    }
}
