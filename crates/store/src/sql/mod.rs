//! The SQL backends. One implementation serves both databases: [`SqlStore`] and
//! [`SqlTransaction`] implement the repository traits by calling statement traits, one
//! module an area (`profiles`, `identity`, `history`, `queue`, `journeys`, `batch`, `activity`,
//! `counters`, `stats`, `registry`, `content_blocks`, `segments`, `schedules`, `send_ids`,
//! `bulk_jobs`, `bulk_runs`), each implemented once for every [`sqlx::Database`] that can bind what it uses. What differs
//! between the databases is behind `database::SqlDatabase`: the row-locking clauses (`FOR UPDATE`, `FOR UPDATE SKIP
//! LOCKED` on PostgreSQL; nothing on SQLite, where write transactions run one at a time on
//! a single writer connection) and the ingest path's statements (`sqlite_ingest.rs`,
//! `postgres_ingest.rs`). `sqlite.rs` and `postgres.rs` hold connection setup, pools and
//! migrations.

pub(crate) mod activity;
pub(crate) mod batch;
pub(crate) mod bulk_jobs;
pub(crate) mod bulk_runs;
pub(crate) mod content_blocks;
pub(crate) mod counters;
pub(crate) mod database;
pub(crate) mod history;
pub(crate) mod identity;
mod identity_writes;
pub(crate) mod journeys;
pub mod postgres;
pub(crate) mod postgres_ingest;
pub(crate) mod profiles;
pub(crate) mod queue;
pub(crate) mod registry;
pub(crate) mod schedules;
pub(crate) mod segments;
pub(crate) mod send_ids;
pub(crate) mod shared;
pub mod sqlite;
pub(crate) mod sqlite_ingest;
pub(crate) mod statement;
pub(crate) mod stats;
pub(crate) mod store;
pub(crate) mod transaction;

pub use store::SqlStore;
pub use transaction::SqlTransaction;
