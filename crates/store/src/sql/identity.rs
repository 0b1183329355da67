//! The statements of identity changes, for both databases: every profile sharing an email
//! or phone, deprecated external ids, alias renames, and the row moves of a merge (events,
//! purchases, canvas entries and their marks, pending jobs).

use std::future::Future;

use chrono::{DateTime, Utc};
use leadwire_core::profile::{Profile, UserAlias};
use sqlx::{ColumnIndex, Executor, IntoArguments};
use uuid::Uuid;

use super::database::{Column, ParamRef, SqlDatabase};
use super::journeys::{ENTRY_COLUMNS, EntryRow, decode_entry};
use super::shared::{decode_profile, matches_nothing};
use super::statement;
use crate::error::StoreResult;
use crate::journeys::CanvasEntry;
use crate::model::{from_micros, to_micros};

/// At most this many profiles sharing one email or phone are weighed by a prioritization.
pub(crate) const MAX_SHARING: i64 = 100;

const PROFILES_BY_EMAIL: &str =
    "SELECT document FROM profiles WHERE email = $1 ORDER BY id LIMIT $2";
const PROFILES_BY_PHONE: &str =
    "SELECT document FROM profiles WHERE phone = $1 ORDER BY id LIMIT $2";
const DEPRECATED_OWNERS: &str =
    "SELECT external_id, profile_id FROM deprecated_external_ids WHERE external_id IN (";
const INSERT_DEPRECATED: &str =
    "INSERT INTO deprecated_external_ids (external_id, profile_id) VALUES ($1, $2)";
const DELETE_DEPRECATED: &str = "DELETE FROM deprecated_external_ids WHERE external_id = $1";
const DELETE_ALIAS: &str = "DELETE FROM aliases WHERE alias_label = $1 AND alias_name = $2";
/// Moves the rows a profile owns outright to another profile: $1 the new owner, $2 the old.
const MOVE_HISTORY: [&str; 2] = [
    "UPDATE events SET profile_id = $1 WHERE profile_id = $2",
    "UPDATE purchases SET profile_id = $1 WHERE profile_id = $2",
];
const ENTERED_CANVASES: &str = "SELECT canvas FROM canvas_entry_marks WHERE profile_id = $1 \
     UNION SELECT canvas FROM canvas_entries WHERE profile_id = $1";
const MOVE_ENTRY: &str = "UPDATE canvas_entries SET profile_id = $1 WHERE id = $2";
const MARKS: &str =
    "SELECT canvas, last_entered_at FROM canvas_entry_marks WHERE profile_id = $1 ORDER BY canvas";
const SET_MARK: &str = "INSERT INTO canvas_entry_marks (profile_id, canvas, last_entered_at) \
     VALUES ($1, $2, $3) ON CONFLICT (profile_id, canvas) \
     DO UPDATE SET last_entered_at = excluded.last_entered_at";
/// Points the pending jobs that name user $1 at user $2 and releases their leases, so a
/// worker holding one loses it (its completion fails, its transaction rolls back) and the
/// job runs again for the kept user. Jobs carry the user as its id's text; $3 is that text
/// between `%`.
const REPOINT_JOBS: &str = "UPDATE jobs SET payload = REPLACE(payload, $1, $2), \
     lease_token = NULL, lease_until = NULL WHERE failed_at IS NULL AND payload LIKE $3";

/// The identity statements on database `Self`.
pub(crate) trait IdentitySql: SqlDatabase {
    /// Up to [`MAX_SHARING`] profiles with this (lower-cased) email, or this phone, by id,
    /// locked.
    fn sharing(
        connection: &mut Self::Connection,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> impl Future<Output = StoreResult<Vec<Profile>>> + Send;

    /// The owners of those of `ids` that are deprecated external ids.
    fn deprecated_owners(
        connection: &mut Self::Connection,
        ids: &[&str],
    ) -> impl Future<Output = StoreResult<Vec<(String, Uuid)>>> + Send;

    fn insert_deprecated(
        connection: &mut Self::Connection,
        external_id: &str,
        user_id: Uuid,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// `false` when `external_id` was no deprecated id.
    fn delete_deprecated(
        connection: &mut Self::Connection,
        external_id: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    fn delete_alias(
        connection: &mut Self::Connection,
        alias: &UserAlias,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Moves `from`'s events and purchases to `to`.
    fn move_history(
        connection: &mut Self::Connection,
        from: Uuid,
        to: Uuid,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Every canvas the user has entered (marks outlive pruned entries).
    fn entered_canvases(
        connection: &mut Self::Connection,
        user_id: Uuid,
    ) -> impl Future<Output = StoreResult<Vec<String>>> + Send;

    /// The user's entries, every canvas, oldest first, locked.
    fn all_entries(
        connection: &mut Self::Connection,
        user_id: Uuid,
    ) -> impl Future<Output = StoreResult<Vec<CanvasEntry>>> + Send;

    fn move_entry(
        connection: &mut Self::Connection,
        entry_id: Uuid,
        to: Uuid,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The user's re-entry marks: canvas and last entry time.
    fn marks(
        connection: &mut Self::Connection,
        user_id: Uuid,
    ) -> impl Future<Output = StoreResult<Vec<(String, DateTime<Utc>)>>> + Send;

    fn set_mark(
        connection: &mut Self::Connection,
        user_id: Uuid,
        canvas: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Points `from`'s pending jobs at `to` (see [`REPOINT_JOBS`]); returns how many.
    fn repoint_jobs(
        connection: &mut Self::Connection,
        from: Uuid,
        to: Uuid,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
}

impl<DB> IdentitySql for DB
where
    DB: SqlDatabase,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> &'q str: ParamRef<'q, DB>,
    String: Column<DB>,
    i64: Column<DB>,
    i32: Column<DB>,
{
    async fn sharing(
        connection: &mut DB::Connection,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> StoreResult<Vec<Profile>> {
        let (sql, key) = match (email, phone) {
            (Some(email), _) => (PROFILES_BY_EMAIL, email.to_lowercase()),
            (None, Some(phone)) => (PROFILES_BY_PHONE, phone.to_owned()),
            (None, None) => return Ok(Vec::new()),
        };
        if matches_nothing(&key) {
            return Ok(Vec::new());
        }
        let sql = format!("{sql}{}", DB::LOCK_ROWS);
        let documents: Vec<String> = sqlx::query_scalar(&sql)
            .bind(key.as_str())
            .bind(MAX_SHARING)
            .fetch_all(&mut *connection)
            .await?;
        documents.iter().map(|d| decode_profile(d)).collect()
    }

    async fn deprecated_owners(
        connection: &mut DB::Connection,
        ids: &[&str],
    ) -> StoreResult<Vec<(String, Uuid)>> {
        let ids: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| !matches_nothing(id))
            .collect();
        let mut owners = Vec::new();
        for chunk in ids.chunks(500) {
            let sql = statement::list::<DB>(DEPRECATED_OWNERS, 1, chunk.len(), ")");
            let mut query = sqlx::query_as(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            let rows: Vec<(String, String)> = query.fetch_all(&mut *connection).await?;
            owners.extend(
                rows.into_iter().filter_map(|(id, owner)| {
                    Uuid::parse_str(&owner).ok().map(|owner| (id, owner))
                }),
            );
        }
        Ok(owners)
    }

    async fn insert_deprecated(
        connection: &mut DB::Connection,
        external_id: &str,
        user_id: Uuid,
    ) -> StoreResult<()> {
        sqlx::query(INSERT_DEPRECATED)
            .bind(external_id)
            .bind(user_id.to_string())
            .execute(&mut *connection)
            .await?;
        Ok(())
    }

    async fn delete_deprecated(
        connection: &mut DB::Connection,
        external_id: &str,
    ) -> StoreResult<bool> {
        if matches_nothing(external_id) {
            return Ok(false);
        }
        let done = sqlx::query(DELETE_DEPRECATED)
            .bind(external_id)
            .execute(&mut *connection)
            .await?;
        Ok(DB::rows_affected(&done) > 0)
    }

    async fn delete_alias(connection: &mut DB::Connection, alias: &UserAlias) -> StoreResult<()> {
        sqlx::query(DELETE_ALIAS)
            .bind(alias.alias_label.as_str())
            .bind(alias.alias_name.as_str())
            .execute(&mut *connection)
            .await?;
        Ok(())
    }

    async fn move_history(
        connection: &mut DB::Connection,
        from: Uuid,
        to: Uuid,
    ) -> StoreResult<()> {
        let (from, to) = (from.to_string(), to.to_string());
        for sql in MOVE_HISTORY {
            sqlx::query(sql)
                .bind(to.as_str())
                .bind(from.as_str())
                .execute(&mut *connection)
                .await?;
        }
        Ok(())
    }

    async fn entered_canvases(
        connection: &mut DB::Connection,
        user_id: Uuid,
    ) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(ENTERED_CANVASES)
            .bind(user_id.to_string())
            .fetch_all(&mut *connection)
            .await?)
    }

    async fn all_entries(
        connection: &mut DB::Connection,
        user_id: Uuid,
    ) -> StoreResult<Vec<CanvasEntry>> {
        let sql = format!(
            "{ENTRY_COLUMNS} WHERE profile_id = $1 ORDER BY entered_at, id{}",
            DB::LOCK_ROWS
        );
        let rows: Vec<EntryRow> = sqlx::query_as(&sql)
            .bind(user_id.to_string())
            .fetch_all(&mut *connection)
            .await?;
        rows.into_iter().map(decode_entry).collect()
    }

    async fn move_entry(
        connection: &mut DB::Connection,
        entry_id: Uuid,
        to: Uuid,
    ) -> StoreResult<()> {
        sqlx::query(MOVE_ENTRY)
            .bind(to.to_string())
            .bind(entry_id.to_string())
            .execute(&mut *connection)
            .await?;
        Ok(())
    }

    async fn marks(
        connection: &mut DB::Connection,
        user_id: Uuid,
    ) -> StoreResult<Vec<(String, DateTime<Utc>)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(MARKS)
            .bind(user_id.to_string())
            .fetch_all(&mut *connection)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(canvas, at)| (canvas, from_micros(at)))
            .collect())
    }

    async fn set_mark(
        connection: &mut DB::Connection,
        user_id: Uuid,
        canvas: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(SET_MARK)
            .bind(user_id.to_string())
            .bind(canvas)
            .bind(to_micros(at))
            .execute(&mut *connection)
            .await?;
        Ok(())
    }

    async fn repoint_jobs(
        connection: &mut DB::Connection,
        from: Uuid,
        to: Uuid,
    ) -> StoreResult<u64> {
        let (from, to) = (from.to_string(), to.to_string());
        let pattern = format!("%{from}%");
        let done = sqlx::query(REPOINT_JOBS)
            .bind(from.as_str())
            .bind(to.as_str())
            .bind(pattern.as_str())
            .execute(&mut *connection)
            .await?;
        Ok(DB::rows_affected(&done))
    }
}
