//! Salesforce Bulk API 2.0 runs ([`crate::bulk_runs`]) in SQL, for both databases.

use std::future::Future;

use sqlx::{ColumnIndex, Executor, IntoArguments, Pool};
use uuid::Uuid;

use super::database::{Column, ParamRef, SqlDatabase};
use crate::bulk_runs::{BulkRun, BulkRunState};
use crate::error::{StoreError, StoreResult};
use crate::model::{from_micros, to_micros};

const COLUMNS: &str = "SELECT id, template, connection, source, audience, last_profile_id, \
     state, created_at, updated_at FROM salesforce_bulk_runs";
const UPSERT: &str = "INSERT INTO salesforce_bulk_runs \
     (id, template, connection, source, audience, last_profile_id, state, created_at, \
     updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
     ON CONFLICT (id) DO UPDATE SET template = excluded.template, \
     connection = excluded.connection, source = excluded.source, \
     audience = excluded.audience, last_profile_id = excluded.last_profile_id, \
     state = excluded.state, created_at = excluded.created_at, \
     updated_at = excluded.updated_at";

/// A run row, in [`COLUMNS`] order.
type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    i64,
);

fn corrupt(what: &'static str, message: String) -> StoreError {
    StoreError::Corrupt {
        what,
        source: serde::de::Error::custom(message),
    }
}

fn uuid(what: &'static str, text: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| corrupt(what, format!("`{text}` is not a uuid")))
}

fn decode(row: Row) -> StoreResult<BulkRun> {
    let (id, template, connection, source, audience, last, state, created, updated) = row;
    let state = BulkRunState::parse(&state)
        .ok_or_else(|| corrupt("bulk run state", format!("unknown state `{state}`")))?;
    Ok(BulkRun {
        id: uuid("bulk run id", &id)?,
        template,
        connection,
        source,
        audience,
        last_profile_id: last
            .map(|last| uuid("bulk run last profile id", &last))
            .transpose()?,
        state,
        created_at: from_micros(created),
        updated_at: from_micros(updated),
    })
}

/// The bulk run statements on database `Self`.
pub(crate) trait BulkRunSql: SqlDatabase {
    fn bulk_run(
        pool: &Pool<Self>,
        id: Uuid,
    ) -> impl Future<Output = StoreResult<Option<BulkRun>>> + Send;

    fn running_bulk_runs(
        pool: &Pool<Self>,
        template: &str,
        source: &str,
    ) -> impl Future<Output = StoreResult<Vec<BulkRun>>> + Send;

    fn save_bulk_run(
        connection: &mut Self::Connection,
        run: &BulkRun,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

impl<DB> BulkRunSql for DB
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
    async fn bulk_run(pool: &Pool<DB>, id: Uuid) -> StoreResult<Option<BulkRun>> {
        let sql = format!("{COLUMNS} WHERE id = $1");
        let row: Option<Row> = sqlx::query_as(&sql)
            .bind(id.to_string())
            .fetch_optional(pool)
            .await?;
        row.map(decode).transpose()
    }

    async fn running_bulk_runs(
        pool: &Pool<DB>,
        template: &str,
        source: &str,
    ) -> StoreResult<Vec<BulkRun>> {
        let sql = format!(
            "{COLUMNS} WHERE template = $1 AND state = 'running' AND source = $2 \
             ORDER BY created_at, id"
        );
        let rows: Vec<Row> = sqlx::query_as(&sql)
            .bind(template)
            .bind(source)
            .fetch_all(pool)
            .await?;
        rows.into_iter().map(decode).collect()
    }

    async fn save_bulk_run(connection: &mut DB::Connection, run: &BulkRun) -> StoreResult<()> {
        let last = run.last_profile_id.map(|id| id.to_string());
        sqlx::query(UPSERT)
            .bind(run.id.to_string())
            .bind(run.template.as_str())
            .bind(run.connection.as_str())
            .bind(run.source.as_str())
            .bind(run.audience.as_deref())
            .bind(last.as_deref())
            .bind(run.state.as_str())
            .bind(to_micros(run.created_at))
            .bind(to_micros(run.updated_at))
            .execute(&mut *connection)
            .await?;
        Ok(())
    }
}
