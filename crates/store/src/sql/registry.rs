//! The config registry ([`crate::registry`]) in SQL, for both databases: one upsert per
//! item (the edit time moves only when the fingerprint or the name differs) and an update
//! per item gone missing, in one write transaction; reads by primary-key prefix.

use std::collections::HashSet;
use std::future::Future;

use sqlx::{ColumnIndex, Executor, IntoArguments, Pool};

use super::database::{Column, ParamRef, SqlDatabase};
use crate::error::StoreResult;
use crate::model::from_micros;
use crate::registry::{ConfigItem, ConfigKind, ConfigVersion};

const VERSIONS: &str = "SELECT api_id, name, created_at, last_edited, archived_at \
     FROM config_versions WHERE kind = $1";
const PRESENT: &str = "SELECT api_id FROM config_versions WHERE kind = $1 AND archived_at IS NULL";
const UPSERT: &str = "INSERT INTO config_versions \
     (kind, api_id, name, fingerprint, created_at, last_edited, archived_at) \
     VALUES ($1, $2, $3, $4, $5, $5, NULL) \
     ON CONFLICT (kind, api_id) DO UPDATE SET \
     last_edited = CASE WHEN config_versions.fingerprint = excluded.fingerprint \
         AND config_versions.name = excluded.name \
         THEN config_versions.last_edited ELSE excluded.last_edited END, \
     name = excluded.name, fingerprint = excluded.fingerprint, archived_at = NULL";
const ARCHIVE: &str = "UPDATE config_versions SET archived_at = $3 \
     WHERE kind = $1 AND api_id = $2 AND archived_at IS NULL";

/// The registry's statements on database `Self`.
pub(crate) trait RegistrySql: SqlDatabase {
    /// Records `items` at `now` (microseconds) and archives the api ids they leave out.
    fn register(
        connection: &mut Self::Connection,
        items: &[ConfigItem],
        now: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Every recorded item of `kind`.
    fn versions(
        pool: &Pool<Self>,
        kind: ConfigKind,
    ) -> impl Future<Output = StoreResult<Vec<ConfigVersion>>> + Send;
}

impl<DB> RegistrySql for DB
where
    DB: SqlDatabase,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> &'q str: ParamRef<'q, DB>,
    String: Column<DB>,
    i64: Column<DB>,
    Option<i64>: Column<DB>,
{
    async fn register(
        connection: &mut DB::Connection,
        items: &[ConfigItem],
        now: i64,
    ) -> StoreResult<()> {
        for kind in ConfigKind::ALL {
            let present: Vec<(String,)> = sqlx::query_as(PRESENT)
                .bind(kind.as_str())
                .fetch_all(&mut *connection)
                .await?;
            let loaded: HashSet<&str> = items
                .iter()
                .filter(|item| item.kind == kind)
                .map(|item| item.api_id.as_str())
                .collect();
            for (api_id,) in present {
                if !loaded.contains(api_id.as_str()) {
                    sqlx::query(ARCHIVE)
                        .bind(kind.as_str())
                        .bind(api_id.as_str())
                        .bind(now)
                        .execute(&mut *connection)
                        .await?;
                }
            }
        }
        for item in items {
            sqlx::query(UPSERT)
                .bind(item.kind.as_str())
                .bind(item.api_id.as_str())
                .bind(item.name.as_str())
                .bind(item.fingerprint.as_str())
                .bind(now)
                .execute(&mut *connection)
                .await?;
        }
        Ok(())
    }

    async fn versions(pool: &Pool<DB>, kind: ConfigKind) -> StoreResult<Vec<ConfigVersion>> {
        let rows: Vec<(String, String, i64, i64, Option<i64>)> = sqlx::query_as(VERSIONS)
            .bind(kind.as_str())
            .fetch_all(pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(api_id, name, created_at, last_edited, archived_at)| ConfigVersion {
                    kind,
                    api_id,
                    name,
                    created_at: from_micros(created_at),
                    last_edited: from_micros(last_edited),
                    archived_at: archived_at.map(from_micros),
                },
            )
            .collect())
    }
}
