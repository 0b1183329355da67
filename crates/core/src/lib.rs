//! The domain: profiles, attribute operations, filters, campaigns and canvases. Pure logic, no I/O.

pub mod activity;
pub mod attributes;
pub mod profile;
pub mod track;
