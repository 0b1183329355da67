//! Profiles in SQL, for both databases: lookups by each kind of identifier (Braze's
//! duplicate rule for emails and phones is in the statements' order), by many ids at
//! once, alias rows, and deletion with everything the profile owns. An external id names
//! its user whether it is the primary one or a deprecated one (`identity`).

use std::borrow::Cow;
use std::future::Future;

use leadwire_core::profile::{Profile, UserAlias};
use leadwire_core::track::UserIdentifier;
use sqlx::{ColumnIndex, Executor, IntoArguments};
use uuid::Uuid;

use super::database::{Column, ParamRef, SqlDatabase};
use super::shared::{decode_profile, matches_nothing};
use super::statement;
use crate::error::{StoreError, StoreResult};
use crate::repository::ProfileWrite;

/// A primary external id, or a deprecated one its user was renamed from.
const PROFILE_BY_EXTERNAL_ID: &str = "SELECT document FROM profiles WHERE external_id = $1 \
     OR id = (SELECT profile_id FROM deprecated_external_ids WHERE external_id = $1)";
const PROFILE_BY_ID: &str = "SELECT document FROM profiles WHERE id = $1";
const PROFILE_BY_ALIAS: &str = "SELECT p.document FROM profiles p \
     JOIN aliases a ON a.profile_id = p.id WHERE a.alias_label = $1 AND a.alias_name = $2";
const PROFILE_BY_EMAIL: &str = "SELECT document FROM profiles WHERE email = $1 \
     ORDER BY (external_id IS NOT NULL) DESC, updated_at DESC, id DESC LIMIT 1";
const PROFILE_BY_PHONE: &str = "SELECT document FROM profiles WHERE phone = $1 \
     ORDER BY (external_id IS NOT NULL) DESC, updated_at DESC, id DESC LIMIT 1";
const INSERT_ALIAS: &str = "INSERT INTO aliases (alias_label, alias_name, profile_id) \
     VALUES ($1, $2, $3) ON CONFLICT (alias_label, alias_name) DO NOTHING";
const ALIAS_OWNER: &str =
    "SELECT profile_id FROM aliases WHERE alias_label = $1 AND alias_name = $2";
/// Deletes a profile's rows, the profile itself last.
const DELETE_PROFILE: [&str; 8] = [
    "DELETE FROM aliases WHERE profile_id = $1",
    "DELETE FROM deprecated_external_ids WHERE profile_id = $1",
    "DELETE FROM events WHERE profile_id = $1",
    "DELETE FROM purchases WHERE profile_id = $1",
    "DELETE FROM canvas_entries WHERE profile_id = $1",
    "DELETE FROM canvas_entry_marks WHERE profile_id = $1",
    "DELETE FROM campaign_receipts WHERE profile_id = $1",
    "DELETE FROM profiles WHERE id = $1",
];
const PROFILES_BY_IDS: &str = "SELECT document FROM profiles WHERE id IN (";
const PROFILES_BY_IDS_ORDER: &str = ") ORDER BY id";

/// Ids bound in one `IN (…)` list.
const IDS_PER_QUERY: usize = 500;

/// The profile statements on database `Self`. `lock` is appended to a lookup:
/// [`SqlDatabase::LOCK_ROWS`] inside a write transaction, else empty.
pub(crate) trait ProfileSql: SqlDatabase {
    /// The profile `identifier` names.
    fn find(
        connection: &mut Self::Connection,
        identifier: &UserIdentifier,
        lock: &str,
    ) -> impl Future<Output = StoreResult<Option<Profile>>> + Send;

    /// The profiles with these internal ids, in id order.
    fn by_ids(
        connection: &mut Self::Connection,
        ids: &[Uuid],
        lock: &str,
    ) -> impl Future<Output = StoreResult<Vec<Profile>>> + Send;

    /// Adds the aliases of each written profile; an alias already taken is left to its
    /// owner.
    fn insert_aliases(
        connection: &mut Self::Connection,
        writes: &[ProfileWrite<'_>],
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Whether `alias` still needs adding to user `user_id`: `false` when it already
    /// names them, [`StoreError::AliasTaken`] when it names another user.
    fn alias_is_free(
        connection: &mut Self::Connection,
        user_id: Uuid,
        alias: &UserAlias,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Deletes the profile and everything it owns; `false` when there was no profile.
    fn delete(
        connection: &mut Self::Connection,
        user_id: Uuid,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}

impl<DB> ProfileSql for DB
where
    DB: SqlDatabase,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> &'q str: ParamRef<'q, DB>,
    String: Column<DB>,
{
    async fn find(
        connection: &mut DB::Connection,
        identifier: &UserIdentifier,
        lock: &str,
    ) -> StoreResult<Option<Profile>> {
        let (sql, key, alias_name): (_, Cow<'_, str>, _) = match identifier {
            UserIdentifier::ExternalId(id) => (PROFILE_BY_EXTERNAL_ID, id.into(), None),
            UserIdentifier::BrazeId(id) => (PROFILE_BY_ID, id.to_string().into(), None),
            UserIdentifier::Alias(alias) => (
                PROFILE_BY_ALIAS,
                alias.alias_label.as_str().into(),
                Some(alias.alias_name.as_str()),
            ),
            UserIdentifier::Email(email) => (PROFILE_BY_EMAIL, email.to_lowercase().into(), None),
            UserIdentifier::Phone(phone) => (PROFILE_BY_PHONE, phone.into(), None),
        };
        if matches_nothing(&key) || alias_name.is_some_and(matches_nothing) {
            return Ok(None);
        }
        let sql = format!("{sql}{lock}");
        let mut query = sqlx::query_scalar(&sql).bind(key.as_ref());
        if let Some(alias_name) = alias_name {
            query = query.bind(alias_name);
        }
        let document: Option<String> = query.fetch_optional(&mut *connection).await?;
        document.as_deref().map(decode_profile).transpose()
    }

    async fn by_ids(
        connection: &mut DB::Connection,
        ids: &[Uuid],
        lock: &str,
    ) -> StoreResult<Vec<Profile>> {
        let mut profiles = Vec::with_capacity(ids.len());
        let tail = format!("{PROFILES_BY_IDS_ORDER}{lock}");
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let sql = statement::list::<DB>(PROFILES_BY_IDS, 1, chunk.len(), &tail);
            let mut query = sqlx::query_scalar(&sql);
            for id in chunk {
                query = query.bind(id.to_string());
            }
            let documents: Vec<String> = query.fetch_all(&mut *connection).await?;
            for document in documents {
                profiles.push(decode_profile(&document)?);
            }
        }
        Ok(profiles)
    }

    async fn insert_aliases(
        connection: &mut DB::Connection,
        writes: &[ProfileWrite<'_>],
    ) -> StoreResult<()> {
        for write in writes {
            for alias in &write.profile.aliases {
                sqlx::query(INSERT_ALIAS)
                    .bind(alias.alias_label.as_str())
                    .bind(alias.alias_name.as_str())
                    .bind(write.profile.id.to_string())
                    .execute(&mut *connection)
                    .await?;
            }
        }
        Ok(())
    }

    async fn alias_is_free(
        connection: &mut DB::Connection,
        user_id: Uuid,
        alias: &UserAlias,
    ) -> StoreResult<bool> {
        let owner: Option<String> = sqlx::query_scalar(ALIAS_OWNER)
            .bind(alias.alias_label.as_str())
            .bind(alias.alias_name.as_str())
            .fetch_optional(&mut *connection)
            .await?;
        match owner {
            None => Ok(true),
            Some(owner) if owner == user_id.to_string() => Ok(false),
            Some(_) => Err(StoreError::AliasTaken {
                alias_name: alias.alias_name.clone(),
                alias_label: alias.alias_label.clone(),
            }),
        }
    }

    async fn delete(connection: &mut DB::Connection, user_id: Uuid) -> StoreResult<bool> {
        let id = user_id.to_string();
        let mut deleted = 0;
        for sql in DELETE_PROFILE {
            let done = sqlx::query(sql)
                .bind(id.as_str())
                .execute(&mut *connection)
                .await?;
            deleted = DB::rows_affected(&done);
        }
        Ok(deleted > 0)
    }
}
