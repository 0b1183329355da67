//! The settings half the node runs with, as far as the console can see it: the API's
//! timeouts and body limit, delivery's retries, breaker, tokens, rests, concurrency and
//! retention (from the delivery worker, when there is one), and the console's sessions.

use leadwire_core::time::Interval;
use leadwire_engine::delivery::DeliverySettings;
use maud::{Markup, html};

use crate::console::ConsoleSettings;
use crate::state::AppState;

/// The runtime settings section.
pub fn settings(state: &AppState, console: &ConsoleSettings) -> Markup {
    let delivery = state
        .console
        .as_deref()
        .and_then(|console| console.context.delivery.as_deref())
        .map(|worker| worker.settings());
    html! {
        section #settings aria-labelledby="settings-heading" {
            h2 #settings-heading { "Runtime settings" }
            p.muted { "From the [server], [delivery] and [console] sections, their defaults and LEADWIRE_<SECTION>__<KEY> variables." }
            h3 { "API" }
            dl.facts {
                dt { "Request timeout" } dd { (seconds(state.request_timeout.as_secs())) }
                dt { "Body read timeout" } dd { (seconds(state.body_read_timeout.as_secs())) }
                dt { "Largest body" } dd { (state.max_body_bytes) " bytes" }
            }
            h3 { "Delivery" }
            @match delivery {
                Some(delivery) => (delivery_settings(delivery)),
                None => p.muted { "No delivery worker runs on this node (no webhook templates)." },
            }
            h3 { "Console" }
            dl.facts {
                dt { "Session idle timeout" } dd { (span(console.session_idle)) }
                dt { "Session lifetime" } dd { (span(console.session_lifetime)) }
            }
        }
    }
}

fn delivery_settings(delivery: &DeliverySettings) -> Markup {
    let delays: Vec<String> = delivery
        .retry_delays
        .iter()
        .map(|delay| span(*delay))
        .collect();
    html! {
        dl.facts data-testid="delivery-settings" {
            dt { "Request timeout" } dd { (span(delivery.timeout)) }
            dt { "Retry delays" } dd {
                @if delays.is_empty() { "no retries" } @else { (delays.join(", ")) }
                " (±" (format!("{:.0}", delivery.retry_jitter * 100.0)) " %)"
            }
            dt { "Longest Retry-After honoured" } dd { (span(delivery.max_retry_after)) }
            dt { "Circuit breaker" } dd {
                "more than " (delivery.breaker_failures) " failures of a host in " (span(delivery.breaker_window))
                " pause it for " (span(delivery.breaker_cooldown))
            }
            dt { "Token reuse" } dd { (span(delivery.token_ttl)) }
            dt { "Rest after REQUEST_LIMIT_EXCEEDED" } dd {
                (span(delivery.connection_backoff)) ", doubling up to " (span(delivery.connection_backoff_max))
            }
            dt { "In flight" } dd {
                (delivery.max_in_flight_per_connection) " per connection, "
                (delivery.max_in_flight_per_host) " per host"
            }
            dt { "Batches" } dd { (delivery.batch_size) " sends, " (delivery.lanes) " lanes, leased for " (span(delivery.lease)) }
            dt { "Activity kept" } dd { (span(delivery.activity_retention)) }
            dt { "Hosts allowed besides public ones" } dd {
                @if delivery.allowed_hosts.is_empty() { span.muted { "none" } } @else { (delivery.allowed_hosts.join(", ")) }
            }
            dt { "Extra secret names" } dd {
                @if delivery.secret_names.is_empty() { span.muted { "none" } } @else { (delivery.secret_names.join(", ")) }
            }
        }
    }
}

fn seconds(seconds: u64) -> String {
    span(Interval::from_seconds(seconds))
}

/// An interval in its largest whole unit: `90s`, `5m`, `2h`, `7d`.
pub fn span(interval: Interval) -> String {
    let seconds = interval.seconds();
    let (amount, unit) = [(86_400, "d"), (3600, "h"), (60, "m")]
        .into_iter()
        .find(|(size, _)| seconds > 0 && seconds.is_multiple_of(*size))
        .map_or((seconds, "s"), |(size, unit)| (seconds / size, unit));
    format!("{amount}{unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_in_their_largest_whole_unit() {
        let read = |seconds| span(Interval::from_seconds(seconds));
        assert_eq!(read(0), "0s");
        assert_eq!(read(90), "90s");
        assert_eq!(read(300), "5m");
        assert_eq!(read(7200), "2h");
        assert_eq!(read(5400), "90m");
        assert_eq!(read(7 * 86_400), "7d");
    }
}
