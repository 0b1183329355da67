//! Salesforce Bulk API 2.0 for large sends: `leadwire salesforce backfill` renders a
//! webhook template per user through delivery's [`Renderer`](crate::delivery::render::Renderer)
//! (never a second renderer), turns each rendered create, update or upsert into a CSV row
//! ([`plan`]; the CSV itself is the wire crate's `leadwire_salesforce::bulk_csv`), loads
//! the rows through ingest jobs ([`client`]) and writes one activity entry per record from
//! Salesforce's result files ([`results`]).
//!
//! Durability ([`backfill`]): a job's row is stored (with which user each CSV row is)
//! once Salesforce has created it and before its upload; the upload moves it to
//! `uploaded`, `UploadComplete` to `closed`, and its entries are written in the
//! transaction that marks it `recorded`, once. A restart resumes stored jobs: one still
//! `open` (upload not confirmed) is aborted at Salesforce, never processed, and its users
//! are rendered again into a new job; one `uploaded` is closed without a second upload;
//! one `closed` is polled. Between jobs, the backfill's run (`store::bulk_runs`) keeps the
//! last user handed to a job, moved in the transaction that stores that job, and the
//! backfill continues after it ([`backfill`]).

pub mod backfill;
mod chunk;
pub mod client;
pub mod lane;
pub mod plan;
pub mod results;
mod source;

pub use backfill::{Backfill, BackfillError, BackfillReport, BulkSettings, Progress};
pub use lane::BulkLane;
pub use source::{BACKFILL_SOURCE, BulkSource, CAMPAIGN_SOURCE, CampaignRun};
