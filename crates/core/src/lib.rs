//! The domain: profiles, attribute operations, filters, segments, campaigns and canvases. Pure logic, no I/O.

pub mod activity;
pub mod attributes;
pub mod campaign;
pub mod canvas;
pub mod config;
pub mod content_block;
pub mod filters;
pub mod identity;
pub mod permission;
pub mod profile;
pub mod queue;
pub mod schedule;
pub mod send_id;
pub mod time;
pub mod track;
pub mod trigger;
