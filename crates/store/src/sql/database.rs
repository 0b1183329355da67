//! What the shared SQL code asks of a database: [`SqlDatabase`], what differs between
//! the backends, and the traits naming the Rust values sqlx binds and reads on it
//! ([`Param`], [`ParamRef`], [`Column`]).
//!
//! The shared code is generic over [`sqlx::Database`]; sqlx implements its encoding traits
//! per database, so a generic function names what it binds and reads in its `where`
//! clause. These traits keep each such clause to one line a type.

use std::future::Future;

use leadwire_core::profile::Profile;
use sqlx::{Database, Decode, Encode, Type};

use super::activity::ActivitySql;
use super::batch::ReceiptBatchSql;
use super::bulk_jobs::BulkJobSql;
use super::bulk_runs::BulkRunSql;
use super::content_blocks::ContentBlockSql;
use super::counters::CounterSql;
use super::history::HistorySql;
use super::identity::IdentitySql;
use super::journeys::JourneySql;
use super::profiles::ProfileSql;
use super::queue::QueueSql;
use super::registry::RegistrySql;
use super::schedules::ScheduleSql;
use super::segments::SegmentSql;
use super::send_ids::SendIdSql;
use super::shared::{ProfileRow, TriggerRow};
use super::stats::StatsSql;
use crate::error::StoreResult;
use crate::repository::Backend;

/// What differs between the two databases: row locks, the statements of the ingest path,
/// and reading a statement's row count. Implemented for [`sqlx::Sqlite`] in
/// `sqlite_ingest.rs` and [`sqlx::Postgres`] in `postgres_ingest.rs`.
pub(crate) trait SqlDatabase: Database {
    const BACKEND: Backend;
    /// Appended to a `SELECT` inside a write transaction: locks the rows it reads until
    /// the transaction ends (nothing on SQLite, where write transactions run one at a time).
    const LOCK_ROWS: &'static str;
    /// Appended to the claim's inner `SELECT`: passes over jobs another claim is locking.
    const SKIP_LOCKED: &'static str;
    /// Whether the statements [`super::statement`] builds number their parameters (`$1`,
    /// `$2`, …) or write each as a bare `?`, bound in the order it appears. SQLite finds a
    /// numbered parameter by a linear search of the statement's named ones, when preparing
    /// and again when sqlx binds each value, so a multi-row `VALUES` list of thousands of
    /// numbered parameters costs time quadratic in its length; bare ones cost none.
    const NUMBERED_PARAMETERS: bool;

    /// How many rows a statement inserted, changed or deleted.
    fn rows_affected(result: &Self::QueryResult) -> u64;

    /// The profiles with these external ids (rows locked on PostgreSQL).
    fn profiles_by_external_id(
        connection: &mut Self::Connection,
        ids: &[&str],
    ) -> impl Future<Output = StoreResult<Vec<Profile>>> + Send;

    /// Inserts or replaces these profile rows.
    fn upsert_profiles(
        connection: &mut Self::Connection,
        rows: &[ProfileRow],
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Inserts these trigger jobs, due at `now`, in order.
    fn insert_jobs(
        connection: &mut Self::Connection,
        rows: &[TriggerRow],
        now: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

/// Every statement the store runs, on database `Self`: the one bound the repository
/// implementations ([`super::SqlStore`], [`super::SqlTransaction`]) need.
pub(crate) trait Sql:
    ProfileSql
    + IdentitySql
    + HistorySql
    + QueueSql
    + JourneySql
    + ReceiptBatchSql
    + ActivitySql
    + CounterSql
    + StatsSql
    + RegistrySql
    + ContentBlockSql
    + SegmentSql
    + ScheduleSql
    + SendIdSql
    + BulkJobSql
    + BulkRunSql
{
}

impl<DB> Sql for DB where
    DB: ProfileSql
        + IdentitySql
        + HistorySql
        + QueueSql
        + JourneySql
        + ReceiptBatchSql
        + ActivitySql
        + CounterSql
        + StatsSql
        + RegistrySql
        + ContentBlockSql
        + SegmentSql
        + ScheduleSql
        + SendIdSql
        + BulkJobSql
        + BulkRunSql
{
}

/// A value `DB` binds as a statement parameter.
pub(crate) trait Param<DB: Database>: for<'q> Encode<'q, DB> + Type<DB> {}

impl<DB: Database, T> Param<DB> for T where T: for<'q> Encode<'q, DB> + Type<DB> {}

/// A value `DB` binds as a parameter and reads back from a result column.
pub(crate) trait Column<DB: Database>: Param<DB> + for<'r> Decode<'r, DB> {}

impl<DB: Database, T> Column<DB> for T where T: Param<DB> + for<'r> Decode<'r, DB> {}

/// A borrowed value `DB` binds for as long as the borrow lasts: `&'q str`, `Option<&'q str>`.
pub(crate) trait ParamRef<'q, DB: Database>: Encode<'q, DB> + Type<DB> {}

impl<'q, DB: Database, T> ParamRef<'q, DB> for T where T: Encode<'q, DB> + Type<DB> {}
