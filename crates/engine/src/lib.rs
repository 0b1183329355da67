//! The workers: triggers, canvas steps, and webhook delivery (render, HTTP, retry, activity log).

pub mod delivery;
pub mod journeys;
pub mod metrics;
pub mod tasks;
pub mod workers;
