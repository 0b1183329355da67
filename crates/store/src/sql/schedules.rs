//! Scheduled API sends ([`crate::schedules`]) in SQL, for both databases.

use std::future::Future;

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Executor, IntoArguments, Pool};

use super::database::{Column, ParamRef, SqlDatabase};
use super::shared::encode;
use crate::error::{StoreError, StoreResult};
use crate::model::{from_micros, to_micros};
use crate::schedules::{ApiSchedule, ScheduleKind};

const COLUMNS: &str = "SELECT id, kind, target, dispatch_id, send_id, body, schedule, \
     version, parts_left, created_at FROM api_schedules";
const UPSERT: &str = "INSERT INTO api_schedules \
     (id, kind, target, dispatch_id, send_id, body, schedule, version, parts_left, \
     first_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, target = excluded.target, \
     dispatch_id = excluded.dispatch_id, send_id = excluded.send_id, body = excluded.body, \
     schedule = excluded.schedule, version = excluded.version, \
     parts_left = excluded.parts_left, first_at = excluded.first_at";
const DELETE: &str = "DELETE FROM api_schedules WHERE id = $1";

/// A schedule row, in [`COLUMNS`] order.
type Row = (
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    String,
    String,
    i64,
    i64,
    i64,
);

fn decode(row: Row) -> StoreResult<ApiSchedule> {
    let (id, kind, target, dispatch_id, send_id, body, schedule, version, parts_left, created) =
        row;
    let corrupt = |what, source| StoreError::Corrupt { what, source };
    let kind = ScheduleKind::parse(&kind).ok_or_else(|| {
        corrupt(
            "schedule kind",
            serde::de::Error::custom(format!("unknown kind `{kind}`")),
        )
    })?;
    Ok(ApiSchedule {
        id,
        kind,
        target,
        dispatch_id,
        send_id,
        body: serde_json::from_str(&body).map_err(|e| corrupt("schedule body", e))?,
        schedule: serde_json::from_str(&schedule).map_err(|e| corrupt("schedule", e))?,
        version,
        parts_left,
        created_at: from_micros(created),
    })
}

/// The schedule statements on database `Self`.
pub(crate) trait ScheduleSql: SqlDatabase {
    fn schedules_due_by(
        pool: &Pool<Self>,
        end: DateTime<Utc>,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<ApiSchedule>>> + Send;

    /// The schedule, locked.
    fn schedule(
        connection: &mut Self::Connection,
        id: &str,
    ) -> impl Future<Output = StoreResult<Option<ApiSchedule>>> + Send;

    fn save_schedule(
        connection: &mut Self::Connection,
        schedule: &ApiSchedule,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    fn delete_schedule(
        connection: &mut Self::Connection,
        id: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}

impl<DB> ScheduleSql for DB
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
{
    async fn schedules_due_by(
        pool: &Pool<DB>,
        end: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ApiSchedule>> {
        let sql = format!("{COLUMNS} WHERE first_at <= $1 ORDER BY first_at, id LIMIT $2");
        let rows: Vec<Row> = sqlx::query_as(&sql)
            .bind(to_micros(end))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?;
        rows.into_iter().map(decode).collect()
    }

    async fn schedule(
        connection: &mut DB::Connection,
        id: &str,
    ) -> StoreResult<Option<ApiSchedule>> {
        let sql = format!("{COLUMNS} WHERE id = $1{}", DB::LOCK_ROWS);
        let row: Option<Row> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&mut *connection)
            .await?;
        row.map(decode).transpose()
    }

    async fn save_schedule(
        connection: &mut DB::Connection,
        schedule: &ApiSchedule,
    ) -> StoreResult<()> {
        sqlx::query(UPSERT)
            .bind(schedule.id.as_str())
            .bind(schedule.kind.as_str())
            .bind(schedule.target.as_deref())
            .bind(schedule.dispatch_id.as_str())
            .bind(schedule.send_id.as_deref())
            .bind(encode("schedule body", &schedule.body)?)
            .bind(encode("schedule", &schedule.schedule)?)
            .bind(schedule.version)
            .bind(schedule.parts_left)
            .bind(to_micros(schedule.schedule.first()))
            .bind(to_micros(schedule.created_at))
            .execute(&mut *connection)
            .await?;
        Ok(())
    }

    async fn delete_schedule(connection: &mut DB::Connection, id: &str) -> StoreResult<bool> {
        let done = sqlx::query(DELETE)
            .bind(id)
            .execute(&mut *connection)
            .await?;
        Ok(DB::rows_affected(&done) == 1)
    }
}
