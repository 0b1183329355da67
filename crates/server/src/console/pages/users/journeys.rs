//! The profile page's journey sections: canvas entries (where the user is, or why they
//! left, and the path they took), campaigns received, and the user's activity entries.

use chrono::{DateTime, Utc};
use leadwire_core::activity::ActivityEntry;
use leadwire_core::campaign::Campaign;
use leadwire_core::canvas::{CanvasUserState, Position};
use leadwire_core::config::Config;
use leadwire_store::{CampaignReceipt, CanvasEntry};
use maud::{Markup, html};
use uuid::Uuid;

use super::profile::RECENT_ACTIVITY;
use crate::console::pages::activity::links::Names;
use crate::console::pages::paths;
use crate::console::pages::widgets::{badge, empty, when};

/// The most recent canvas entries shown.
const RECENT_ENTRIES: usize = 20;

/// One configured campaign and what the store remembers of it for the user.
pub struct Receipt<'a> {
    pub campaign: &'a Campaign,
    pub receipt: CampaignReceipt,
}

/// `entries` oldest first, as the store gives them; shown newest first.
pub fn canvas_entries(config: &Config, entries: &[CanvasEntry], now: DateTime<Utc>) -> Markup {
    let shown = entries.iter().rev().take(RECENT_ENTRIES);
    html! {
        h2 { "Canvas entries" }
        @if entries.is_empty() {
            (empty("Not in any canvas: a user enters one when they match its entry triggers or an API call enters them."))
        } @else {
            @if entries.len() > RECENT_ENTRIES {
                p.muted { "The " (RECENT_ENTRIES) " most recent of " (entries.len()) " entries." }
            }
            div.scroll { table #canvas-entries {
                thead { tr {
                    th scope="col" { "Canvas" } th scope="col" { "Now" } th scope="col" { "Since" }
                    th scope="col" { "Entered" } th scope="col" { "Path taken" }
                } }
                tbody { @for entry in shown { (entry_row(config, &entry.state, now)) } }
            } }
        }
    }
}

fn entry_row(config: &Config, state: &CanvasUserState, now: DateTime<Utc>) -> Markup {
    let api_id = state.canvas.as_str();
    let name = config
        .canvas_by_api_id(api_id)
        .map_or(api_id, |canvas| canvas.name.as_str());
    html! {
        tr {
            td { a href=(paths::canvas(api_id)) { (name) } }
            td { @match &state.position {
                Position::AtStep { step } => { "at " a href=(paths::canvas_step(api_id, step)) { (step) } }
                Position::Exited { reason, .. } => { "exited: " (reason.describe()) }
            } }
            td { @match &state.position {
                Position::AtStep { .. } => (when(state.arrived_at, now)),
                Position::Exited { at, .. } => (when(*at, now)),
            } }
            td { (when(state.entered_at, now)) }
            td {
                @if state.history.is_empty() {
                    span.muted { "no step completed yet" }
                } @else {
                    ol.path { @for step in &state.history {
                        li {
                            a href=(paths::canvas_step(api_id, &step.step)) { (step.step) }
                            " → " (step.path) " "
                            span.muted { "(left " (when(step.left_at, now)) ")" }
                        }
                    } }
                }
            }
        }
    }
}

pub fn campaigns(receipts: &[Receipt<'_>], now: DateTime<Utc>) -> Markup {
    html! {
        h2 { "Campaigns received" }
        @if receipts.is_empty() {
            (empty("The config has no campaigns."))
        } @else {
            div.scroll { table #campaigns {
                thead { tr { th scope="col" { "Campaign" } th scope="col" { "Last received" } } }
                tbody { @for Receipt { campaign, receipt } in receipts { tr {
                    td { a href=(paths::campaign(campaign.api_id())) { (campaign.name) } }
                    td { @match receipt.last_received_at {
                        Some(time) => {
                            (when(time, now))
                            @if receipt.pending_send_id.is_some() { " " span.muted { "(sending now)" } }
                        },
                        None => span.muted { "never" },
                    } }
                } } }
            } }
        }
    }
}

pub fn activity(
    config: &Config,
    user_id: Uuid,
    entries: &[ActivityEntry],
    now: DateTime<Utc>,
) -> Markup {
    let names = Names::of(config);
    html! {
        h2 { "Messages" }
        @if entries.is_empty() {
            (empty("No webhook has been sent to this user yet."))
        } @else {
            p.muted { "The " (entries.len()) " most recent activity entries (at most " (RECENT_ACTIVITY) ")." }
            div.scroll { table #activity {
                thead { tr {
                    th scope="col" { "Time" } th scope="col" { "Type" } th scope="col" { "From" }
                    th scope="col" { "Template" } th.num scope="col" { "Status" } th scope="col" { "Message" }
                } }
                tbody { @for entry in entries { tr {
                    td { a href=(paths::activity_entry(entry.id)) { (when(entry.time, now)) } }
                    td { (badge(entry.activity_type)) }
                    td { (names.source(&entry.source)) }
                    td { a href=(paths::template(&entry.template)) { (entry.template) } }
                    td.num { @if let Some(status) = entry.status { (status) } }
                    td { (entry.message) }
                } } }
            } }
        }
        p { a href=(paths::user_activity(user_id)) data-testid="all-activity" { "All of this user's activity" } }
    }
}
