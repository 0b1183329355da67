//! Storage: repository traits with SQLite and PostgreSQL implementations, migrations, and the durable job queue.
//!
//! - [`Store`] / [`StoreTransaction`]: the repository traits ([`repository`]).
//! - [`sql::sqlite::SqliteStore`] (embedded default) and [`sql::postgres::PostgresStore`].
//! - [`queue`]: job payloads; trigger jobs carry core's `UserTrigger`, and the store writes
//!   them as core's `TriggerInterest` asks.
//! - [`batch`]: many rows per statement; [`buffered::BufferedTransaction`] handles a batch
//!   of jobs in one transaction with few round trips.
//! - [`journeys`]: canvas entries, campaign receipts and rate windows for the workers.
//! - [`content_blocks`]: Content Blocks created through the API and their revision.
//! - [`schedules`]: scheduled API sends, each a row beside its jobs.
//! - [`send_ids`]: Braze's send ids, registered and read back per day.
//! - [`bulk_jobs`]: Salesforce Bulk API 2.0 jobs of a backfill, resumable after a restart.
//! - [`bulk_runs`]: Salesforce Bulk API 2.0 backfills, continued after their last job.
//! - [`stats`]: the counters the workers keep for the console, and its indexed reads.
//! - [`registry`]: when each campaign and canvas of the config was first seen and last
//!   changed.
//! - [`ingest`]: the `/users/track` write path; [`ingest::Ingestor`] group-commits requests.
//! - [`config::StoreConfig`] and [`open`]: a store from configuration.

pub mod activity;
pub mod batch;
pub mod buffered;
pub mod bulk_jobs;
pub mod bulk_runs;
pub mod config;
pub mod content_blocks;
pub mod error;
pub mod ingest;
pub mod journeys;
pub mod model;
pub mod queue;
pub mod registry;
pub mod repository;
pub mod schedules;
pub mod segments;
pub mod send_ids;
pub mod signals;
pub mod sql;
pub mod stats;

pub use activity::{ActivityCursor, ActivityPage, ActivityQuery, JobFinish};
pub use batch::{BatchReads, BatchWrites, LeasedJob, ReceiptRecord};
pub use buffered::BufferedTransaction;
pub use bulk_jobs::{
    BulkJob, BulkJobReads, BulkJobState, BulkJobTally, BulkJobWrites, BulkRow, MAX_BULK_JOB_TALLIES,
};
pub use bulk_runs::{BulkRun, BulkRunReads, BulkRunState, BulkRunWrites};
pub use config::{StoreConfig, migrate, open};
pub use content_blocks::{ContentBlockStore, ContentBlockWrite};
pub use error::{StoreError, StoreResult};
pub use journeys::{CampaignReceipt, CanvasEntry, JourneyReads, JourneyWrites};
pub use leadwire_core::queue::{Queue, Task};
pub use model::{ActivitySummary, EventRecord, NewEvent, NewPurchase};
pub use queue::{ClaimedJob, FailedJob, JobPayload, NewTask};
pub use registry::{ConfigItem, ConfigKind, ConfigRegistry, ConfigVersion};
pub use repository::{Backend, ProfileWrite, Store, StoreTransaction};
pub use schedules::{ApiSchedule, ScheduleKind, ScheduleReads, ScheduleWrites};
pub use segments::{SegmentExportWrites, SegmentSize, SegmentSizes};
pub use send_ids::{
    SendIdOutcome, SendIdRegistration, SendIdStore, TrackedSendCount, TrackedSendQuery,
    TrackedSendSeries,
};
pub use signals::JobSignals;
pub use stats::{
    ActivityCount, ActivityCountQuery, CanvasCounts, DayCount, PathCount, StatsReads, StepCounts,
};
