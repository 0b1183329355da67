//! The Salesforce card: per connection the API usage Salesforce last reported, its API
//! budget floor (and whether non-urgent sends wait at it), the token
//! (fresh, expired or failing, and when it was fetched) and the circuit breaker of each of
//! its hosts, from the delivery worker's status. The overview and the configuration page
//! show it. It never shows a token or a secret: the status holds none.

use chrono::{DateTime, Utc};
use leadwire_engine::delivery::DeliveryWorker;
use leadwire_engine::delivery::status::{
    BreakerState, ConnectionStatus, HostStatus, TokenState, TokenStatus,
};
use leadwire_engine::delivery::usage::ApiUsage;
use maud::{Markup, html};

use super::widgets::{empty, when};
use crate::state::AppState;

/// What the node without a delivery worker says.
pub const NOTHING_SENT: &str =
    "No webhook templates are configured, so nothing is sent to Salesforce";

/// The card for the node behind `state`.
pub fn card(state: &AppState, now: DateTime<Utc>) -> Markup {
    let worker = state
        .console
        .as_deref()
        .and_then(|console| console.context.delivery.as_deref());
    html! { div #salesforce data-testid="salesforce" { (card_of(worker, now)) } }
}

fn card_of(worker: Option<&DeliveryWorker>, now: DateTime<Utc>) -> Markup {
    let Some(worker) = worker else {
        return empty(NOTHING_SENT);
    };
    let status = worker.status();
    html! {
        @if status.connections.is_empty() {
            (empty("No Salesforce connection is configured: webhooks go to their URLs without a token. Add a [[salesforce_connections]] entry to send with one."))
        } @else {
            div.cards.connections { @for connection in &status.connections { (connection_card(connection, now)) } }
        }
        @if !status.other_hosts.is_empty() {
            h3 { "Other hosts" }
            (hosts_table(&status.other_hosts, now))
        }
    }
}

fn connection_card(connection: &ConnectionStatus, now: DateTime<Utc>) -> Markup {
    let id = format!("connection-{}", connection.name);
    html! {
        section.card data-testid=(id) aria-label={ "Salesforce connection " (connection.name) } {
            h3 { (connection.name) }
            dl.facts {
                dt { "Instance" } dd { code { (connection.instance_url) } }
                dt { "Token URL" } dd { code { (connection.token_url) } }
                dt { "API usage" } dd data-testid="api-usage" { (usage(connection.api_usage.as_ref(), now)) }
                dt { "API budget" } dd data-testid="api-budget" { (budget(connection)) }
                dt { "Token" } dd data-testid="token" { (token(&connection.token, now)) }
                @if let Some(until) = connection.resting_until {
                    dt { "Rest" }
                    dd data-testid="rest" { (tag("resting", "resting")) " after REQUEST_LIMIT_EXCEEDED until " (when(until, now)) }
                }
            }
            (hosts_table(&connection.hosts, now))
        }
    }
}

fn usage(usage: Option<&ApiUsage>, now: DateTime<Utc>) -> Markup {
    let Some(usage) = usage else {
        return html! { span.muted { "none seen yet (Salesforce reports it on every API answer)" } };
    };
    html! {
        meter min="0" max=(usage.limit) value=(usage.used) high=(usage.limit * 8 / 10) {
            (usage.used) " of " (usage.limit)
        }
        " " span.usage { (usage.used) " / " (usage.limit) } " (" (format!("{:.1}", usage.percent())) " %), seen " (when(usage.seen_at, now))
    }
}

fn budget(connection: &ConnectionStatus) -> Markup {
    let floor = connection.budget.api_floor;
    let requests = connection
        .api_usage
        .and_then(|usage| u64::try_from(usage.limit).ok())
        .map(|limit| floor.requests(limit));
    html! {
        @if connection.budget.paused {
            (tag("paused", "paused")) " at the floor: sends of templates not marked urgent wait"
        } @else {
            (tag("closed", "sending"))
        }
        " · floor " (floor.to_string())
        @if let Some(requests) = requests { " (" (requests) " requests)" }
    }
}

fn token(token: &TokenStatus, now: DateTime<Utc>) -> Markup {
    let state = token.state;
    let class = match state {
        TokenState::NotFetched => "not_fetched",
        TokenState::Fresh => "fresh",
        TokenState::Expired => "expired",
        TokenState::Failing => "failing",
    };
    html! {
        (tag(class, state.as_str()))
        @if let Some(at) = token.last_fetch_at {
            " fetched " (when(at, now))
        }
        @if state == TokenState::Fresh && let Some(expires) = token.expires_at {
            ", used until " (when(expires, now))
        }
        " · " (token.fetches) @if token.fetches == 1 { " request" } @else { " requests" } " since start"
        @if let Some(error) = &token.last_error {
            p.error data-testid="token-error" { (error) }
        }
    }
}

fn hosts_table(hosts: &[HostStatus], now: DateTime<Utc>) -> Markup {
    html! {
        div.scroll { table.hosts {
            thead { tr { th { "Host" } th { "Circuit breaker" } th.num { "Recent failures" } } }
            tbody { @for host in hosts { tr data-host=(host.host) {
                td { code { (host.host) } }
                td { (breaker(host.breaker, now))
                    @if let Some(until) = host.resting_until {
                        " · " (tag("resting", "resting")) " until " (when(until, now))
                    }
                }
                td.num { (host.recent_failures) }
            } } }
        } }
    }
}

fn breaker(state: BreakerState, now: DateTime<Utc>) -> Markup {
    match state {
        BreakerState::Closed => tag("closed", "closed"),
        BreakerState::Probing => {
            html! { (tag("probing", "probing")) " the next failure pauses it again" }
        }
        BreakerState::Paused { until } => {
            html! { (tag("paused", "paused")) " sends are held back until " (when(until, now)) }
        }
    }
}

/// A state as a coloured badge.
fn tag(class: &str, label: &str) -> Markup {
    html! { span class={ "badge " (class) } { (label) } }
}
