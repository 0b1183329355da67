//! `/console/campaigns`: each configured campaign with its trigger, its template and its
//! sends over a time range; `/console/campaigns/{api_id}` is one campaign ([`detail`]).
//! Counts come from the activity counters (entries name a campaign by its name).

mod detail;

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use chrono::Utc;
use leadwire_core::campaign::{Campaign, DeliveryType};
use maud::{Markup, html};

use super::describe;
use super::outcomes::{Outcomes, RangeQuery, Scope, Timeline, range_links};
use super::paths;
use super::widgets::{console, empty};
use crate::console::error::ConsoleError;
use crate::console::layout::{self, Section};
use crate::console::session::Operator;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/campaigns", get(list))
        .route("/console/campaigns/{api_id}", get(detail::page))
}

/// A campaign's console page.
fn campaign_href(campaign: &Campaign) -> String {
    paths::campaign(campaign.api_id())
}

/// Which entries are the campaign's.
fn scope(campaign: &Campaign) -> Scope {
    Scope {
        campaign: Some(campaign.name.clone()),
        ..Scope::default()
    }
}

/// How users come to the campaign, in words.
fn trigger(campaign: &Campaign) -> Markup {
    html! {
        (describe::delivery(campaign.delivery))
        @match campaign.delivery {
            DeliveryType::ApiTriggered => span.muted { ": sent by POST /campaigns/trigger/send" },
            DeliveryType::Api => span.muted { ": sent by POST /messages/send with its campaign_id" },
            DeliveryType::ActionBased => { ", when a user does any of:" (describe::triggers(&campaign.triggers)) },
        }
    }
}

/// The four counts, as table cells.
fn count_cells(outcomes: &Outcomes) -> Markup {
    html! {
        td.num.sent { (outcomes.sent()) }
        td.num.delivered { (outcomes.delivered()) }
        td.num.errors.err[outcomes.errors() > 0] { (outcomes.errors()) }
        td.num.aborted { (outcomes.aborted()) }
    }
}

async fn list(
    State(state): State<AppState>,
    operator: Operator,
    Query(query): Query<RangeQuery>,
) -> Result<Markup, ConsoleError> {
    let console = console(&state)?;
    let range = query.range()?;
    let now = Utc::now();
    let campaigns = &console.context.config.campaigns;
    let mut rows = Vec::with_capacity(campaigns.len());
    for campaign in campaigns {
        let timeline = Timeline::load(state.store.as_ref(), range, now, scope(campaign)).await?;
        rows.push((campaign, timeline.totals()));
    }
    let body = html! {
        (range_links("/console/campaigns", range))
        @if rows.is_empty() {
            (empty("No campaigns are configured: add a [[campaigns]] table to the config file and restart the node."))
        } @else {
            div.scroll { table #campaigns data-testid="campaigns" {
                caption { "Sends in the " (range.label()) }
                thead { tr {
                    th scope="col" { "Campaign" } th scope="col" { "Trigger" } th scope="col" { "Template" }
                    th.num scope="col" { "Sent" } th.num scope="col" { "Delivered" } th.num scope="col" { "Errors" } th.num scope="col" { "Aborted" }
                } }
                tbody { @for (campaign, outcomes) in &rows {
                    tr data-testid={ "campaign-" (campaign.api_id()) } {
                        th scope="row" {
                            a href={ (campaign_href(campaign)) "?range=" (range.as_str()) } { (campaign.name) }
                            @if campaign.api_id() != campaign.name { br; code.muted { (campaign.api_id()) } }
                        }
                        td { (trigger(campaign)) }
                        td { a href=(paths::template(&campaign.template)) { (campaign.template) } }
                        (count_cells(outcomes))
                    }
                } }
            } }
            p.muted { "Sent counts every attempt that went out, delivered or not; errors are webhook and Connected Content errors; aborted messages were not sent." }
        }
    };
    Ok(layout::page(
        "Campaigns",
        Section::Campaigns,
        &operator,
        body,
    ))
}
