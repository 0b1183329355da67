//! The campaign and Canvas workers driven step by step with a controllable clock, over a
//! SQLite store: the seed's two flows, every step type, triggers, restarts and bad data.

#[path = "journeys/campaigns.rs"]
mod campaigns;
#[path = "journeys/harness.rs"]
mod harness;
#[path = "journeys/runtime.rs"]
mod runtime;
#[path = "journeys/seed.rs"]
mod seed;
#[path = "journeys/steps.rs"]
mod steps;
