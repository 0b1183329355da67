//! Webhook delivery: render at send time, attempt through the pooled client, retry by
//! Salesforce-aware rules, and record every attempt in the message activity log.
//!
//! - Policies: [`retry`] (verdicts and the schedule), [`breaker`] (per-host pauses, 598),
//!   [`backoff`] (connection rests after `REQUEST_LIMIT_EXCEEDED`), [`budget`] (the API
//!   budget floor, fed by [`usage`] readings and the [`limits`] poller), [`concurrency`]
//!   (requests in flight per connection and per host), [`url_policy`],
//!   [`redact`].
//! - Plumbing: [`http`] (the one client, one attempt), [`fetcher`] (`connected_content`),
//!   [`tokens`] (shared token caches), [`usage`] (`Sforce-Limit-Info` readings),
//!   [`templates`], [`blocks`] (Content Blocks, reloaded when the store's revision moves)
//!   and [`render`]; [`preview`] renders without sending (the CLI and the
//!   console).
//! - Sends a person starts: [`replay`] of a failed send, [`test_send`].
//! - The worker: [`worker::DeliveryWorker`] built from [`settings::DeliverySettings`];
//!   `process` (`send.rs`), `record` (`record.rs`), a claimed batch recorded as its sends
//!   finish ([`batch`]), `run_once` / `drain` / `run` (`runner.rs`), and what it knows
//!   right now ([`status`]).
//! - A send's stages: [`render`] → [`policy`] → [`attempt`] → [`verdict`] → [`outcome`]
//!   (entries, metrics and the log line, from the verdict); the values they pass on are
//!   in [`stages`]. A template with `batch` attempts through [`collection`]: its sends share
//!   sObject Collections calls, and each gets its own share of the answer as its attempt.

pub mod attempt;
pub mod backoff;
pub mod batch;
pub mod blocks;
pub mod breaker;
pub mod budget;
pub mod capture;
pub mod clock;
pub mod collection;
mod collection_attempt;
pub mod concurrency;
pub mod entry;
pub mod fetcher;
pub mod http;
pub mod limits;
pub mod outcome;
pub mod policy;
pub mod preview;
pub mod record;
pub mod redact;
pub mod render;
pub mod replay;
pub mod retry;
pub mod runner;
pub mod send;
pub mod settings;
pub mod stages;
pub mod status;
pub mod templates;
pub mod test_send;
pub mod tokens;
pub mod url_policy;
pub mod usage;
pub mod verdict;
pub mod worker;

pub use clock::{Clock, ManualClock, SystemClock};
pub use outcome::SendResult;
pub use record::RecordSummary;
pub use send::Processed;
pub use settings::DeliverySettings;
pub use status::DeliveryStatus;
pub use worker::{DeliveryBuildError, DeliveryWorker, WorkerInputs};
