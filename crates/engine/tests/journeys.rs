//! The campaign and Canvas workers driven step by step with a controllable clock, over a
//! SQLite store: the seed's two flows, every step type, triggers, restarts and bad data.

#[path = "journeys/broadcast.rs"]
mod broadcast;
#[path = "journeys/campaigns.rs"]
mod campaigns;
#[path = "journeys/harness.rs"]
mod harness;
#[path = "journeys/reentry.rs"]
mod reentry;
#[path = "journeys/runtime.rs"]
mod runtime;
#[path = "journeys/scheduled_messages.rs"]
mod scheduled_messages;
#[path = "journeys/seed.rs"]
mod seed;
#[path = "journeys/steps.rs"]
mod steps;
