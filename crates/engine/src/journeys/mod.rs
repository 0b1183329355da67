//! The deciding workers: campaigns and Canvas journeys run over the profile store and the
//! durable queue, and produce [`SendTask`](leadwire_core::queue::SendTask)s for delivery.
//!
//! - [`triggers`]: a trigger job (email added, attribute changed, event, purchase) →
//!   campaign sends or delayed campaign tasks, canvas exits, Action Paths actions, canvas
//!   entries.
//! - [`campaigns`]: the send-time decision (exception events, re-eligibility, audience,
//!   rate limit) for an immediate or delayed campaign send.
//! - [`canvas`]: one canvas entry advanced through core's step machine until it waits
//!   (Delay, Action Paths, Message) or exits.
//! - [`api`]: `POST /campaigns/trigger/send` and `POST /canvas/trigger/send`; a broadcast
//!   (no recipients) is carried out a page of profiles at a time by `broadcast`.
//! - [`segments`]: who is in a segment, a page at a time, and its measured sizes;
//!   `segment_export` writes a segment's users to files, a file per job.
//! - [`messages`]: `POST /messages/send`, a webhook given in the request.
//! - [`schedules`]: the schedule endpoints; a due schedule runs through `api`.
//! - [`send_ids`]: the Braze send ids leadwire makes (a campaign broadcast without one).
//! - [`receipts`]: a campaign send counts as received unless it ends without reaching the
//!   user; delivery calls [`receipts::release`] when it records such an outcome.
//!
//! `dispatch` hands a claimed job to its handler; handlers share [`Journeys`] (module
//! `context`) and never import the dispatcher.
//!
//! Every job is handled in one transaction: its effects (profile writes, canvas state,
//! receipts, new jobs) and the job's own completion commit together or not at all.

pub mod api;
mod batch;
mod broadcast;
mod bulk_broadcast;
pub mod campaigns;
pub mod canvas;
mod context;
mod dispatch;
mod error;
mod liquid;
pub mod messages;
pub mod receipts;
mod recipient;
pub mod schedules;
pub mod segment_export;
pub mod segments;
pub mod send_ids;
pub mod triggers;
mod user_update;

pub use bulk_broadcast::CAMPAIGN_SOURCE;
pub use context::Journeys;
pub use error::JourneyError;
