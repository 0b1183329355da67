//! The newest activity entries of a campaign or a canvas step, each linking to its entry
//! page and its user, with a link to all of them in the activity log.

use chrono::{DateTime, Utc};
use leadwire_core::activity::ActivityEntry;
use maud::{Markup, html};

use super::activity::short_message;
use super::paths;
use super::widgets::{badge, empty, when};

/// `entries` as a table, `all` linking to the whole filtered log; `none` says why a list
/// may be empty and what to do.
pub fn recent_activity(
    entries: &[ActivityEntry],
    now: DateTime<Utc>,
    all: &str,
    none: &str,
) -> Markup {
    html! {
        @if entries.is_empty() {
            (empty(none))
        } @else {
            div.scroll { table data-testid="recent-activity" {
                thead { tr {
                    th scope="col" { "Time" } th scope="col" { "Outcome" } th scope="col" { "User" }
                    th.num scope="col" { "Status" } th scope="col" { "Message" } th scope="col" { "Entry" }
                } }
                tbody { @for entry in entries { tr data-testid={ "activity-" (entry.id) } {
                    td { (when(entry.time, now)) }
                    td { (badge(entry.activity_type)) }
                    td { a href=(paths::user(entry.user_id)) { (entry.external_id.as_deref().map_or_else(|| entry.user_id.to_string(), str::to_owned)) } }
                    td.num { @if let Some(status) = entry.status { (status) } }
                    td { (short_message(&entry.message)) }
                    td { a href=(paths::activity_entry(entry.id)) { "details" } }
                } } }
            } }
        }
        p { a href=(all) data-testid="all-activity" { "All activity" } }
    }
}
