//! Small pieces the pages share: times, outcome badges, empty states.

use chrono::{DateTime, Utc};
use leadwire_core::activity::ActivityType;
use maud::{Markup, html};

use crate::console::Console;
use crate::console::error::ConsoleError;
use crate::state::AppState;

/// The console of `state` (the routes exist only when it is on).
pub fn console(state: &AppState) -> Result<&Console, ConsoleError> {
    state
        .console
        .as_deref()
        .ok_or_else(|| ConsoleError::NotFound("console".into()))
}

/// A time in UTC, with how long ago it was beside it and in full in the tooltip.
pub fn when(time: DateTime<Utc>, now: DateTime<Utc>) -> Markup {
    html! {
        time datetime=(time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)) title=(time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)) {
            (time.format("%Y-%m-%d %H:%M:%S UTC"))
        }
        " " span.rel { "(" (ago(time, now)) ")" }
    }
}

/// "just now", "42 s ago", "3 min ago", "5 h ago", "2 d ago", or "in 4 min" for the future.
pub fn ago(time: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - time).num_seconds();
    let (future, seconds) = (seconds < 0, seconds.unsigned_abs());
    let span = match seconds {
        0..=4 => return "just now".into(),
        5..=59 => format!("{seconds} s"),
        60..=3599 => format!("{} min", seconds / 60),
        3600..=86_399 => format!("{} h", seconds / 3600),
        _ => format!("{} d", seconds / 86_400),
    };
    if future {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

/// An activity type as a coloured badge.
pub fn badge(kind: ActivityType) -> Markup {
    html! { span class={ "badge " (kind.as_str()) } { (kind.as_str()) } }
}

/// What an empty list shows: what is missing and what to do about it.
pub fn empty(message: &str) -> Markup {
    html! { p.empty { (message) } }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn relative_times_read_naturally() {
        let now = Utc::now();
        assert_eq!(ago(now, now), "just now");
        assert_eq!(ago(now - TimeDelta::seconds(42), now), "42 s ago");
        assert_eq!(ago(now - TimeDelta::minutes(3), now), "3 min ago");
        assert_eq!(ago(now - TimeDelta::hours(5), now), "5 h ago");
        assert_eq!(ago(now - TimeDelta::days(2), now), "2 d ago");
        assert_eq!(ago(now + TimeDelta::minutes(4), now), "in 4 min");
    }
}
