//! The workers: triggers, canvas steps, and webhook delivery (render, HTTP, retry, activity log).

pub mod delivery;
pub mod metrics;
pub mod send_task;
