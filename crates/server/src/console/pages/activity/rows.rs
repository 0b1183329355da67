//! The log as a table: one row per entry, newest first, linking to the entry and to what it
//! names. The live tail renders its new rows with the same function.

use chrono::{DateTime, Utc};
use leadwire_core::activity::ActivityEntry;
use maud::{Markup, html};

use super::exchange::salesforce_summary;
use super::links::{self, Names};
use crate::console::pages::paths;
use crate::console::pages::widgets::{badge, when};

/// The longest message shown in a row; the entry's page has all of it.
const SHORT_MESSAGE: usize = 120;

/// The table of `entries` (its body may start empty, for the live tail to fill).
pub fn table(entries: &[ActivityEntry], names: &Names, now: DateTime<Utc>) -> Markup {
    html! {
        div.scroll {
            table #log data-testid="log" {
                caption.muted { "Newest first; times in UTC. Open an entry by its time." }
                thead { tr {
                    th scope="col" { "Time" }
                    th scope="col" { "Type" }
                    th.num scope="col" { "Status" }
                    th scope="col" { "Campaign or canvas → step" }
                    th scope="col" { "User" }
                    th scope="col" { "Template" }
                    th.num scope="col" { "Attempt" }
                    th.num scope="col" { "Duration" }
                    th scope="col" { "Message" }
                } }
                tbody #log-rows { (rows(entries, names, now)) }
            }
        }
    }
}

/// One `tr` per entry, in the order given.
pub fn rows(entries: &[ActivityEntry], names: &Names, now: DateTime<Utc>) -> Markup {
    html! { @for entry in entries { (row(entry, names, now)) } }
}

fn row(entry: &ActivityEntry, names: &Names, now: DateTime<Utc>) -> Markup {
    html! {
        tr data-id=(entry.id) data-testid="log-row" {
            td { a.entry href=(paths::activity_entry(entry.id)) { (when(entry.time, now)) } }
            td { (badge(entry.activity_type)) }
            td.num.status { @if let Some(status) = entry.status { (status) } }
            td { (names.source(&entry.source)) }
            td { (links::user(entry)) }
            td { (links::template(&entry.template)) }
            td.num { (entry.attempt) }
            td.num { (entry.duration_ms) " ms" }
            td.message { (short(&entry.message)) }
        }
    }
}

/// The first line of `message` (Salesforce's errors as `CODE: message`), cut at
/// [`SHORT_MESSAGE`] characters.
pub fn short(message: &str) -> String {
    if let Some(summary) = salesforce_summary(message) {
        return cut(&summary);
    }
    cut(message)
}

fn cut(message: &str) -> String {
    let line = message.lines().next().unwrap_or_default();
    match line.char_indices().nth(SHORT_MESSAGE) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None if line.len() < message.trim_end().len() => format!("{line} …"),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_cut_to_their_first_line_and_a_length() {
        assert_eq!(short("HTTP 400"), "HTTP 400");
        assert_eq!(short("first\nsecond"), "first …");
        let long = "é".repeat(200);
        assert_eq!(short(&long).chars().count(), SHORT_MESSAGE + 1);
        assert_eq!(short(""), "");
        assert_eq!(
            short(r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#),
            "INVALID_SESSION_ID: Session expired or invalid"
        );
    }
}
