//! An offline Salesforce Sales Cloud emulator that real clients (simple-salesforce, jsforce,
//! curl, leadwire's own delivery engine) talk to unchanged: OAuth client credentials,
//! discovery and describe, Lead REST writes with Salesforce's exact errors, SOQL, composite
//! resources, injected faults and request counters, served over HTTP or HTTPS.
//!
//! It speaks the wire types of `leadwire-salesforce` (Lead fields, the error envelope,
//! record ids); leadwire's `salesforce-emulator` command and the test harnesses embed it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), leadwire_salesforce_emulator::EmulatorError> {
//! use leadwire_salesforce_emulator::{EmulatorConfig, EmulatorState, ServeOptions, spawn};
//! let config = EmulatorConfig::default().with_generated_credentials();
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let emulator = spawn(EmulatorState::new(config)?, listener, ServeOptions { plain_http: true, ..Default::default() }).await?;
//! println!("{} {} {}", emulator.base_url, emulator.client_id(), emulator.client_secret());
//! emulator.state().fail_next(2, 503)?;
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```
// The Lead describe's `json!` literal nests deeper than the default limit allows.
#![recursion_limit = "256"]

mod admin;
pub mod bench;
mod body;
mod bulk;
mod composite;
mod config;
mod describe;
mod discovery;
mod dispatch;
mod families;
mod faults;
mod leads;
mod oauth;
pub mod persist;
mod query;
mod record;
mod reply;
mod serve;
mod sobjects;
mod state;
mod stats;
mod store;
mod tls;
mod tokens;
mod validate;

pub use bulk::BulkStats;
pub use config::{DuplicateAction, DuplicateRule, EmulatorConfig, ORG_ID, USER_ID};
pub use discovery::{NEWEST_VERSION, OLDEST_VERSION};
pub use dispatch::router;
pub use families::ApiFamily;
pub use faults::{FaultSettings, FaultSettingsError, RecordFault};
pub use serve::{EmulatorHandle, ServeOptions, spawn};
pub use state::{EmulatorError, EmulatorState};
pub use stats::{FamilyStats, StatsSnapshot};
pub use tls::SelfSignedCert;

/// Opens `path` as the lead database, loads what it holds into `state`, and saves every
/// later change there. Returns how many leads were restored.
pub async fn attach_sqlite(
    state: &EmulatorState,
    path: &std::path::Path,
) -> Result<usize, EmulatorError> {
    let pool = persist::open(path).await?;
    let records = persist::load(&pool, &state.inner.catalog).await?;
    let restored = records.len();
    for record in records {
        state.restore(record);
    }
    state.attach_persist(persist::start_writer(pool));
    Ok(restored)
}
