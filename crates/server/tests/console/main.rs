//! The web console, handler by handler, over a real socket: login and sessions, CSRF, and
//! each page. The browser suite (`crates/cli/tests/browser.rs`) drives the same pages in
//! Chromium.

#[path = "../common/mod.rs"]
mod common;
mod salesforce_double;
mod support;

mod config;
mod login;
