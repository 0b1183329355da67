//! `/console/campaigns/{api_id}`: one campaign's settings, its sends over the chosen range
//! (totals and a chart), and its newest activity entries.

use axum::extract::{Path, Query, State};
use chrono::Utc;
use leadwire_core::campaign::Campaign;
use leadwire_store::ActivityQuery;
use maud::{Markup, html};

use super::{campaign_href, count_cells, scope, trigger};
use crate::console::error::{ConsoleError, encode};
use crate::console::layout::{self, Section};
use crate::console::pages::describe;
use crate::console::pages::outcomes::{RangeQuery, Timeline, range_links};
use crate::console::pages::paths;
use crate::console::pages::recent::recent_activity;
use crate::console::pages::widgets::console;
use crate::console::session::Operator;
use crate::state::AppState;

/// How many entries "Recent activity" shows.
const RECENT: u32 = 20;

pub async fn page(
    State(state): State<AppState>,
    operator: Operator,
    Path(api_id): Path<String>,
    Query(query): Query<RangeQuery>,
) -> Result<Markup, ConsoleError> {
    let console = console(&state)?;
    let range = query.range()?;
    let campaign = console
        .context
        .config
        .campaigns
        .iter()
        .find(|campaign| campaign.api_id() == api_id)
        .ok_or_else(|| ConsoleError::NotFound(format!("campaign `{api_id}` in the config")))?;
    let now = Utc::now();
    let timeline = Timeline::load(state.store.as_ref(), range, now, scope(campaign)).await?;
    let totals = timeline.totals();
    let recent = state
        .store
        .activity(&ActivityQuery {
            campaign: Some(campaign.name.clone()),
            limit: RECENT,
            ..ActivityQuery::default()
        })
        .await?
        .entries;
    let all = format!("/console/log?campaign={}", encode(&campaign.name));
    let body = html! {
        p { a href="/console/campaigns" { "All campaigns" } }
        h2 { "Settings" }
        (settings(campaign))
        h2 { "Sends in the " (range.label()) }
        (range_links(&campaign_href(campaign), range))
        div.scroll { table data-testid="campaign-counts" {
            thead { tr { th.num scope="col" { "Sent" } th.num scope="col" { "Delivered" } th.num scope="col" { "Errors" } th.num scope="col" { "Aborted" } } }
            tbody { tr { (count_cells(&totals)) } }
        } }
        (timeline.chart("campaign-chart", &format!("Sends by outcome, {}", range.label())))
        h2 { "Recent activity" }
        (recent_activity(&recent, now, &all, "No activity yet: the campaign has not sent anything, or its entries were pruned."))
    };
    Ok(layout::page(
        &format!("Campaign {}", campaign.name),
        Section::Campaigns,
        &operator,
        body,
    ))
}

fn settings(campaign: &Campaign) -> Markup {
    html! {
        dl.facts data-testid="campaign-settings" {
            dt { "API id" } dd { code { (campaign.api_id()) } }
            dt { "Trigger" } dd { (trigger(campaign)) }
            dt { "Template" } dd { a href=(paths::template(&campaign.template)) { (campaign.template) } }
            dt { "Audience" } dd { (describe::filters(&campaign.audience, "all users")) }
            dt { "Delay" } dd {
                @match campaign.delay {
                    Some(delay) => { "send " (describe::interval(delay)) " after the trigger" },
                    None => "send at once",
                }
            }
            @if campaign.delay.is_some() {
                dt { "Exception events" } dd { (describe::triggers(&campaign.exception_events)) }
            }
            dt { "Re-eligibility" } dd {
                @match campaign.reeligible_after {
                    Some(wait) => { "again " (describe::interval(wait)) " after the last send" },
                    None => "once per user",
                }
            }
            dt { "Rate limit" } dd {
                @match campaign.rate_limit_per_minute {
                    Some(limit) => { (limit) " messages per minute" },
                    None => "unlimited",
                }
            }
        }
    }
}
