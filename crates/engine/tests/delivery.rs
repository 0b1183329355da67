//! Delivery against the Salesforce emulator over real sockets: token caching, retries under
//! fault injection, upserts without duplicates, crash recovery, the activity log, secrets,
//! in-flight caps, batches recorded as their sends finish, the API budget floor, and
//! batched templates' sObject Collections calls (on PostgreSQL too when
//! `LEADWIRE_TEST_DATABASE_URL` is set).
//! The clock is driven by the tests; nothing waits on wall-clock time to assert.

#[path = "delivery/batched.rs"]
mod batched;
#[path = "delivery/budget.rs"]
mod budget;
#[path = "delivery/capture.rs"]
mod capture;
#[path = "delivery/concurrency.rs"]
mod concurrency;
#[path = "delivery/content_blocks.rs"]
mod content_blocks;
#[path = "delivery/harness.rs"]
mod harness;
#[path = "delivery/observability.rs"]
mod observability;
#[path = "delivery/proof.rs"]
mod proof;
#[path = "delivery/recording.rs"]
mod recording;
#[path = "delivery/replay.rs"]
mod replay;
#[path = "delivery/semantics.rs"]
mod semantics;
