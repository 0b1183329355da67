//! The web console, handler by handler, over a real socket: login and sessions, CSRF, and
//! each page. The browser suite (`crates/cli/tests/browser.rs`) drives the same pages in
//! Chromium.

#[path = "../common/mod.rs"]
mod common;
mod journey_data;
mod salesforce_double;
mod support;

mod activity;
mod campaigns;
mod canvases;
mod config;
mod login;
mod overview;
mod templates;
mod users;
