//! `/console/`: how the node is doing: sends by outcome over the last hour and the last
//! day (from the activity counters), queue depths and the oldest job waiting.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use leadwire_core::activity::ActivityType;
use leadwire_core::queue::Queue;
use leadwire_store::{ActivityQuery, Store};
use maud::{Markup, html};

use super::outcomes::{Range, Scope, Timeline};
use super::widgets::{badge, console, empty, when};
use crate::console::error::ConsoleError;
use crate::console::layout::{self, Section};
use crate::console::session::Operator;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/", get(overview))
}

async fn overview(
    State(state): State<AppState>,
    operator: Operator,
) -> Result<Markup, ConsoleError> {
    console(&state)?;
    let now = Utc::now();
    let sends = sends(state.store.as_ref(), now).await?;
    let queues = queues(state.store.as_ref(), now).await?;
    let body = html! {
        (sends)
        (queues)
        h2 { "Salesforce" }
        (super::salesforce::card(&state, now))
    };
    Ok(layout::page("Overview", Section::Overview, &operator, body))
}

/// The last hour in 5-minute bars and the last day in hourly bars, from one counter read.
async fn sends(store: &dyn Store, now: DateTime<Utc>) -> Result<Markup, ConsoleError> {
    let mut hour = Timeline::new(Range::Hour, now);
    let mut day = Timeline::new(Range::Day, now);
    let counts = store
        .activity_counts(&Scope::default().since(day.start))
        .await?;
    hour.add_counts(&counts);
    day.add_counts(&counts);
    let (last_hour, last_day) = (hour.totals(), day.totals());
    let never_sent = last_day.total() == 0 && never_sent(store).await?;
    Ok(html! {
        h2 { "Sends" }
        p.muted data-testid="freshness" {
            "As of " (now.format("%H:%M:%S UTC")) ", live: the counters include every send recorded until this page was drawn."
        }
        @if never_sent {
            (empty("No sends yet: post a user with an email to /users/track"))
        } @else {
            div.scroll { table #outcome-totals data-testid="outcome-totals" {
                thead { tr { th scope="col" { "Outcome" } th.num scope="col" { "Last hour" } th.num scope="col" { "Last 24 hours" } } }
                tbody {
                    @for kind in ActivityType::ALL {
                        tr data-testid={ "total-" (kind.as_str()) } {
                            th scope="row" { (badge(kind)) }
                            td.num.hour { (last_hour.get(kind)) }
                            td.num.day { (last_day.get(kind)) }
                        }
                    }
                }
            } }
            (hour.chart("sends-hour", "Sends by outcome, last hour (5-minute bars)"))
            (day.chart("sends-day", "Sends by outcome, last 24 hours (hourly bars)"))
        }
    })
}

/// Whether the log holds no entry at all (one indexed read of the newest entry).
async fn never_sent(store: &dyn Store) -> Result<bool, ConsoleError> {
    let newest = ActivityQuery {
        limit: 1,
        ..ActivityQuery::default()
    };
    Ok(store.activity(&newest).await?.entries.is_empty())
}

async fn queues(store: &dyn Store, now: DateTime<Utc>) -> Result<Markup, ConsoleError> {
    let mut queues = Vec::new();
    for queue in Queue::ALL {
        let pending = store.pending_jobs(queue).await?;
        let oldest = store.oldest_due_job(queue, now).await?;
        queues.push((queue, pending, oldest));
    }
    Ok(html! {
        h2 { "Queues" }
        div.scroll {
            table #queues {
                thead { tr { th { "Queue" } th.num { "Pending jobs" } th { "Oldest due job" } } }
                tbody {
                    @for (queue, pending, oldest) in &queues {
                        tr {
                            td { (queue.as_str()) }
                            td.num { (pending) }
                            td { @match oldest { Some(time) => (when(*time, now)), None => span.muted { "none waiting" } } }
                        }
                    }
                }
            }
        }
    })
}
