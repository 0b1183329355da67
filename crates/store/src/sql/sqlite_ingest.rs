//! SQLite's [`SqlDatabase`]: no row locks, and the ingest path's statements, one fixed
//! statement per step whatever the number of rows: the rows travel as one JSON array
//! bound to a single parameter and `json_each` turns them back into rows inside SQLite.
//!
//! sqlx runs every SQLite statement on the connection's worker thread and streams each
//! result row back through a channel, so a statement costs two thread handoffs and a
//! result set one more per row. A fixed text also stays in the statement cache, where a
//! `VALUES` list of varying length would be prepared again for every row count. Reading
//! the profiles of a request returns a single row: their documents joined into one JSON
//! array by `group_concat`. Values are carried as JSON strings and numbers (`->>` returns
//! them unchanged), never re-rendered JSON, so documents and payloads are stored byte for
//! byte as serialised.

use leadwire_core::profile::Profile;
use sqlx::sqlite::SqliteQueryResult;
use sqlx::{Sqlite, SqliteConnection};

use super::database::SqlDatabase;
use super::shared::{ProfileRow, TRIGGER_QUEUE_NAME, TriggerRow, UPSERT_PROFILES_CONFLICT, encode};
use crate::error::{StoreError, StoreResult};
use crate::repository::Backend;

const PROFILES_BY_EXTERNAL_IDS: &str = "SELECT '[' || group_concat(document, ',') || ']' \
     FROM profiles WHERE external_id IN (SELECT value FROM json_each($1))";
const UPSERT_PROFILES: &str = "INSERT INTO profiles \
     (id, external_id, email, phone, document, created_at, updated_at) \
     SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, \
     value ->> 6 FROM json_each($1) WHERE true";
/// Updates an existing row only when its identifier columns keep their values, so the
/// indexes on them are not rewritten; a row whose identifiers change is left alone here.
const UPDATE_KEEPING_IDENTIFIERS: &str = " ON CONFLICT (id) DO UPDATE SET \
     document = excluded.document, updated_at = excluded.updated_at \
     WHERE profiles.external_id IS excluded.external_id AND profiles.email IS excluded.email \
     AND profiles.phone IS excluded.phone";
const INSERT_JOBS: &str = "INSERT INTO jobs (queue, payload, run_at, created_at) \
     SELECT $1, value, $2, $2 FROM json_each($3)";

impl SqlDatabase for Sqlite {
    const BACKEND: Backend = Backend::Sqlite;
    const LOCK_ROWS: &'static str = "";
    const SKIP_LOCKED: &'static str = "";
    const NUMBERED_PARAMETERS: bool = false;

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }

    /// The profiles with these external ids.
    async fn profiles_by_external_id(
        connection: &mut SqliteConnection,
        ids: &[&str],
    ) -> StoreResult<Vec<Profile>> {
        let documents: Option<String> = sqlx::query_scalar(PROFILES_BY_EXTERNAL_IDS)
            .bind(encode("external ids", &ids)?)
            .fetch_one(&mut *connection)
            .await?;
        match documents {
            Some(documents) => {
                serde_json::from_str(&documents).map_err(|source| StoreError::Corrupt {
                    what: "profile",
                    source,
                })
            }
            None => Ok(Vec::new()),
        }
    }

    /// Inserts or replaces these profile rows.
    ///
    /// Most updates keep a profile's external id, email and phone, and rewriting those columns
    /// would rewrite their index entries too: two more random pages in the WAL for each
    /// updated profile. So the first statement updates only the document of rows whose
    /// identifiers are unchanged (and inserts new rows whole). Every row it wrote counts as
    /// changed; when some are missing, their identifiers changed, and the full upsert runs for
    /// the batch (rewriting the others with the same values).
    async fn upsert_profiles(
        connection: &mut SqliteConnection,
        rows: &[ProfileRow],
    ) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let expected = u64::try_from(rows.len()).unwrap_or(u64::MAX);
        let rows: Vec<_> = rows
            .iter()
            .map(|row| {
                (
                    &row.id,
                    &row.external_id,
                    &row.email,
                    &row.phone,
                    &row.document,
                    row.created_at,
                    row.updated_at,
                )
            })
            .collect();
        let rows = encode("profile rows", &rows)?;
        let written = sqlx::query(&format!("{UPSERT_PROFILES}{UPDATE_KEEPING_IDENTIFIERS}"))
            .bind(rows.as_str())
            .execute(&mut *connection)
            .await?
            .rows_affected();
        if written < expected {
            sqlx::query(&format!("{UPSERT_PROFILES}{UPSERT_PROFILES_CONFLICT}"))
                .bind(rows.as_str())
                .execute(&mut *connection)
                .await?;
        }
        Ok(())
    }

    /// Inserts these trigger jobs, due at `now`, in order.
    async fn insert_jobs(
        connection: &mut SqliteConnection,
        rows: &[TriggerRow],
        now: i64,
    ) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let payloads: Vec<&str> = rows.iter().map(|row| row.payload.as_str()).collect();
        sqlx::query(INSERT_JOBS)
            .bind(TRIGGER_QUEUE_NAME)
            .bind(now)
            .bind(encode("job payloads", &payloads)?)
            .execute(&mut *connection)
            .await?;
        Ok(())
    }
}
