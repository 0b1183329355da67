//! Salesforce Bulk API 2.0 jobs ([`crate::bulk_jobs`]) in SQL, for both databases.

use std::future::Future;

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Executor, IntoArguments, Pool};
use uuid::Uuid;

use super::database::{Column, ParamRef, SqlDatabase};
use crate::bulk_jobs::{
    BulkJob, BulkJobState, BulkJobTally, MAX_BULK_JOB_TALLIES, decode_rows, encode_rows,
};
use crate::error::{StoreError, StoreResult};
use crate::model::{from_micros, to_micros};

const COLUMNS: &str = "SELECT id, run_id, template, connection, api_base, operation, \
     external_id_field, sf_job_id, state, sf_state, rows, processed, failed, created_at, \
     updated_at FROM salesforce_bulk_jobs";
const UPSERT: &str = "INSERT INTO salesforce_bulk_jobs \
     (id, run_id, template, connection, api_base, operation, external_id_field, sf_job_id, \
     state, sf_state, rows, row_count, processed, failed, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
     ON CONFLICT (id) DO UPDATE SET run_id = excluded.run_id, template = excluded.template, \
     connection = excluded.connection, api_base = excluded.api_base, \
     operation = excluded.operation, external_id_field = excluded.external_id_field, \
     sf_job_id = excluded.sf_job_id, state = excluded.state, sf_state = excluded.sf_state, \
     rows = excluded.rows, row_count = excluded.row_count, processed = excluded.processed, \
     failed = excluded.failed, created_at = excluded.created_at, \
     updated_at = excluded.updated_at";
/// Read from the `salesforce_bulk_jobs_tally` index alone (it holds every column named).
const TALLIES: &str = "SELECT template, state, COUNT(*), CAST(SUM(row_count) AS BIGINT), \
     CAST(SUM(processed) AS BIGINT), CAST(SUM(failed) AS BIGINT) FROM salesforce_bulk_jobs \
     GROUP BY template, state ORDER BY template, state LIMIT $1";
const MARK_RECORDED: &str = "UPDATE salesforce_bulk_jobs SET state = 'recorded', \
     sf_state = $2, processed = $3, failed = $4, updated_at = $5 \
     WHERE id = $1 AND state <> 'recorded'";

/// A job row, in [`COLUMNS`] order.
type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    String,
    i64,
    i64,
    i64,
    i64,
);

/// A tally row, in [`TALLIES`] order.
type TallyRow = (String, String, i64, i64, i64, i64);

fn corrupt(what: &'static str, message: String) -> StoreError {
    StoreError::Corrupt {
        what,
        source: serde::de::Error::custom(message),
    }
}

fn uuid(what: &'static str, text: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| corrupt(what, format!("`{text}` is not a uuid")))
}

fn count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn decode(row: Row) -> StoreResult<BulkJob> {
    let (id, run_id, template, connection, api_base, operation, external_id_field, sf_job_id) =
        (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7);
    let state = BulkJobState::parse(&row.8)
        .ok_or_else(|| corrupt("bulk job state", format!("unknown state `{}`", row.8)))?;
    let rows = decode_rows(&row.10)
        .ok_or_else(|| corrupt("bulk job rows", "a row does not read".into()))?;
    Ok(BulkJob {
        id: uuid("bulk job id", &id)?,
        run_id: uuid("bulk job run id", &run_id)?,
        template,
        connection,
        api_base,
        operation,
        external_id_field,
        sf_job_id,
        state,
        sf_state: row.9,
        rows,
        processed: u64::try_from(row.11).unwrap_or(0),
        failed: u64::try_from(row.12).unwrap_or(0),
        created_at: from_micros(row.13),
        updated_at: from_micros(row.14),
    })
}

fn decode_tally(
    (template, state, jobs, rows, processed, failed): TallyRow,
) -> StoreResult<BulkJobTally> {
    let state = BulkJobState::parse(&state)
        .ok_or_else(|| corrupt("bulk job state", format!("unknown state `{state}`")))?;
    let unsigned = |value: i64| u64::try_from(value).unwrap_or(0);
    Ok(BulkJobTally {
        template,
        state,
        jobs: unsigned(jobs),
        rows: unsigned(rows),
        processed: unsigned(processed),
        failed: unsigned(failed),
    })
}

/// The bulk job statements on database `Self`.
pub(crate) trait BulkJobSql: SqlDatabase {
    fn unfinished_bulk_jobs(
        pool: &Pool<Self>,
        run_id: Option<Uuid>,
    ) -> impl Future<Output = StoreResult<Vec<BulkJob>>> + Send;

    fn bulk_job_tallies(
        pool: &Pool<Self>,
    ) -> impl Future<Output = StoreResult<Vec<BulkJobTally>>> + Send;

    fn save_bulk_job(
        connection: &mut Self::Connection,
        job: &BulkJob,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    fn mark_bulk_job_recorded(
        connection: &mut Self::Connection,
        id: Uuid,
        sf_state: &str,
        counts: (u64, u64),
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}

impl<DB> BulkJobSql for DB
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
    async fn unfinished_bulk_jobs(
        pool: &Pool<DB>,
        run_id: Option<Uuid>,
    ) -> StoreResult<Vec<BulkJob>> {
        let run = run_id.map(|id| id.to_string());
        let sql = format!(
            "{COLUMNS} WHERE state NOT IN ('recorded', 'abandoned') \
             AND ($1 IS NULL OR run_id = $1) ORDER BY created_at, id"
        );
        let rows: Vec<Row> = sqlx::query_as(&sql)
            .bind(run.as_deref())
            .fetch_all(pool)
            .await?;
        rows.into_iter().map(decode).collect()
    }

    async fn bulk_job_tallies(pool: &Pool<DB>) -> StoreResult<Vec<BulkJobTally>> {
        let rows: Vec<TallyRow> = sqlx::query_as(TALLIES)
            .bind(count(MAX_BULK_JOB_TALLIES as u64))
            .fetch_all(pool)
            .await?;
        rows.into_iter().map(decode_tally).collect()
    }

    async fn save_bulk_job(connection: &mut DB::Connection, job: &BulkJob) -> StoreResult<()> {
        let rows = encode_rows(&job.rows);
        sqlx::query(UPSERT)
            .bind(job.id.to_string())
            .bind(job.run_id.to_string())
            .bind(job.template.as_str())
            .bind(job.connection.as_str())
            .bind(job.api_base.as_str())
            .bind(job.operation.as_str())
            .bind(job.external_id_field.as_deref())
            .bind(job.sf_job_id.as_deref())
            .bind(job.state.as_str())
            .bind(job.sf_state.as_deref())
            .bind(rows)
            .bind(count(job.rows.len() as u64))
            .bind(count(job.processed))
            .bind(count(job.failed))
            .bind(to_micros(job.created_at))
            .bind(to_micros(job.updated_at))
            .execute(&mut *connection)
            .await?;
        Ok(())
    }

    async fn mark_bulk_job_recorded(
        connection: &mut DB::Connection,
        id: Uuid,
        sf_state: &str,
        (processed, failed): (u64, u64),
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(MARK_RECORDED)
            .bind(id.to_string())
            .bind(sf_state)
            .bind(count(processed))
            .bind(count(failed))
            .bind(to_micros(now))
            .execute(&mut *connection)
            .await?;
        Ok(DB::rows_affected(&done) == 1)
    }
}
