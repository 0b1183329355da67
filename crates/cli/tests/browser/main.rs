//! The web console in a real browser (headless Chromium through ChromeDriver) over a node
//! running the README's example config: log in, follow the walkthrough in the console's
//! pages, act on it, log out. Screenshots of each page go to `target/browser-screens/`.

#[path = "../support/mod.rs"]
mod support;

mod activity;
mod driver;
mod journeys;
mod session;
mod users_and_templates;
