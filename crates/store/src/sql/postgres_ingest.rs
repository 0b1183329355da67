//! PostgreSQL's [`SqlDatabase`]: row locks (`FOR UPDATE`, `SKIP LOCKED` for claims), and
//! the ingest path's multi-row statements: profiles read by external id (locked),
//! profiles upserted and trigger jobs inserted with `VALUES` lists of [`ROWS_PER_INSERT`]
//! rows.

use leadwire_core::profile::Profile;
use sqlx::postgres::PgQueryResult;
use sqlx::{PgConnection, Postgres, QueryBuilder};

use super::database::SqlDatabase;
use super::queue::INSERT_JOBS;
use super::shared::{
    self, PROFILES_BY_EXTERNAL_IDS, ProfileRow, ROWS_PER_INSERT, TRIGGER_QUEUE_NAME, TriggerRow,
};
use crate::error::StoreResult;
use crate::repository::Backend;

/// External ids per lookup statement.
const IDS_PER_SELECT: usize = 500;

impl SqlDatabase for Postgres {
    const BACKEND: Backend = Backend::Postgres;
    const LOCK_ROWS: &'static str = " FOR UPDATE";
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";
    const NUMBERED_PARAMETERS: bool = true;

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }

    /// The profiles with these external ids, each row locked for the transaction.
    async fn profiles_by_external_id(
        connection: &mut PgConnection,
        ids: &[&str],
    ) -> StoreResult<Vec<Profile>> {
        let mut profiles = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_SELECT) {
            let mut query = QueryBuilder::<Postgres>::new(PROFILES_BY_EXTERNAL_IDS);
            let mut separated = query.separated(", ");
            for id in chunk {
                separated.push_bind(*id);
            }
            query.push(")");
            query.push(Self::LOCK_ROWS);
            let documents: Vec<String> = query
                .build_query_scalar()
                .fetch_all(&mut *connection)
                .await?;
            for document in documents {
                profiles.push(shared::decode_profile(&document)?);
            }
        }
        Ok(profiles)
    }

    /// Inserts or replaces these profile rows.
    async fn upsert_profiles(
        connection: &mut PgConnection,
        rows: &[ProfileRow],
    ) -> StoreResult<()> {
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut query = QueryBuilder::<Postgres>::new(shared::UPSERT_PROFILES);
            query.push_values(chunk, |mut values, row| {
                values
                    .push_bind(row.id.as_str())
                    .push_bind(row.external_id.as_deref())
                    .push_bind(row.email.as_deref())
                    .push_bind(row.phone.as_deref())
                    .push_bind(row.document.as_str())
                    .push_bind(row.created_at)
                    .push_bind(row.updated_at);
            });
            query.push(shared::UPSERT_PROFILES_CONFLICT);
            query.build().execute(&mut *connection).await?;
        }
        Ok(())
    }

    /// Inserts these trigger jobs, due at `now`.
    async fn insert_jobs(
        connection: &mut PgConnection,
        rows: &[TriggerRow],
        now: i64,
    ) -> StoreResult<()> {
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut query = QueryBuilder::<Postgres>::new(INSERT_JOBS);
            query.push_values(chunk, |mut values, row| {
                values
                    .push_bind(TRIGGER_QUEUE_NAME)
                    .push_bind(row.payload.as_str())
                    .push_bind(now)
                    .push_bind(now);
            });
            query.build().execute(&mut *connection).await?;
        }
        Ok(())
    }
}
