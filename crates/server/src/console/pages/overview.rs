//! `/console/`: how the node is doing: queue depths and the oldest job waiting.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::Utc;
use leadwire_core::queue::Queue;
use maud::{Markup, html};

use super::widgets::{console, when};
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
    let mut queues = Vec::new();
    for queue in Queue::ALL {
        let pending = state.store.pending_jobs(queue).await?;
        let oldest = state.store.oldest_due_job(queue, now).await?;
        queues.push((queue, pending, oldest));
    }
    let body = html! {
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
        h2 { "Salesforce" }
        (super::salesforce::card(&state, now))
    };
    Ok(layout::page("Overview", Section::Overview, &operator, body))
}
