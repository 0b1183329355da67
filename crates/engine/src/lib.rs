//! The workers: triggers, canvas steps, segment sizes and exports, and webhook delivery
//! (render, HTTP, retry, activity log).

pub mod delivery;
pub mod journeys;
pub mod metrics;
pub mod tasks;
pub mod user_export;
pub mod workers;
