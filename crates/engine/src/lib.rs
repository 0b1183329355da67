//! The workers: triggers, canvas steps, segment sizes and exports, webhook delivery
//! (render, HTTP, retry, activity log), and Salesforce Bulk API 2.0 backfills (`bulk`).

pub mod bulk;
pub mod delivery;
pub mod journeys;
pub mod metrics;
pub mod tasks;
pub mod user_export;
pub mod workers;
