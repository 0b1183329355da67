//! Per-minute rate-limit accounting for one campaign or canvas: how many sends this minute,
//! and when a held-back send should retry. Braze aborts a message held 72 hours or more.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// A message delayed this long by the rate limit is aborted.
pub const MAX_RATE_LIMIT_DELAY_HOURS: i64 = 72;

/// The count of sends in the current UTC minute. Persist it per campaign.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RateWindow {
    pub minute_start: Option<DateTime<Utc>>,
    pub sent: u32,
}

/// What to do with one send under the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    SendNow,
    /// The minute is full; try again at this time (the next minute's start).
    RetryAt(DateTime<Utc>),
    /// Held back 72 hours or more: abort the message.
    Abort,
}

impl RateWindow {
    /// Accounts one send due since `scheduled_at`, at `now`, under `limit` per minute
    /// (`None` = unlimited). A granted send is counted.
    pub fn try_send(
        &mut self,
        limit: Option<u32>,
        scheduled_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> RateDecision {
        let minute = minute_of(now);
        if self.minute_start != Some(minute) {
            self.minute_start = Some(minute);
            self.sent = 0;
        }
        let full = limit.is_some_and(|limit| self.sent >= limit);
        if !full {
            self.sent = self.sent.saturating_add(1);
            return RateDecision::SendNow;
        }
        let retry_at = minute
            .checked_add_signed(TimeDelta::minutes(1))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        if retry_at.signed_duration_since(scheduled_at)
            >= TimeDelta::hours(MAX_RATE_LIMIT_DELAY_HOURS)
        {
            RateDecision::Abort
        } else {
            RateDecision::RetryAt(retry_at)
        }
    }

    /// Gives back the slot of a send granted at `granted_at` that was never sent (it
    /// aborted), if its minute is still the current window. Returns whether it did.
    pub fn give_back(&mut self, granted_at: DateTime<Utc>) -> bool {
        let same_minute = self.minute_start == Some(minute_of(granted_at));
        if same_minute && self.sent > 0 {
            self.sent -= 1;
            return true;
        }
        false
    }
}

fn minute_of(time: DateTime<Utc>) -> DateTime<Utc> {
    time.duration_trunc(TimeDelta::minutes(1)).unwrap_or(time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32, minute: u32, second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, hour, minute, second)
            .single()
            .expect("valid time")
    }

    #[test]
    fn counts_per_minute_and_resets_on_the_next() {
        let mut window = RateWindow::default();
        let start = at(12, 0, 5);
        assert_eq!(
            window.try_send(Some(2), start, start),
            RateDecision::SendNow
        );
        assert_eq!(
            window.try_send(Some(2), start, at(12, 0, 30)),
            RateDecision::SendNow
        );
        assert_eq!(
            window.try_send(Some(2), start, at(12, 0, 59)),
            RateDecision::RetryAt(at(12, 1, 0))
        );
        assert_eq!(
            window.try_send(Some(2), start, at(12, 1, 0)),
            RateDecision::SendNow
        );
        assert_eq!(window.sent, 1);
    }

    #[test]
    fn unlimited_always_sends() {
        let mut window = RateWindow::default();
        for second in 0..50 {
            assert_eq!(
                window.try_send(None, at(9, 0, 0), at(9, 0, second)),
                RateDecision::SendNow
            );
        }
    }

    #[test]
    fn aborts_after_72_hours_of_delay() {
        let mut window = RateWindow {
            minute_start: Some(at(12, 0, 0)),
            sent: 10,
        };
        let scheduled = at(12, 1, 0) - TimeDelta::hours(72);
        assert_eq!(
            window.try_send(Some(10), scheduled, at(12, 0, 10)),
            RateDecision::Abort
        );
        let scheduled = scheduled + TimeDelta::seconds(1);
        assert_eq!(
            window.try_send(Some(10), scheduled, at(12, 0, 10)),
            RateDecision::RetryAt(at(12, 1, 0))
        );
    }

    #[test]
    fn a_slot_is_given_back_only_within_its_minute() {
        let mut window = RateWindow::default();
        let granted = at(12, 0, 5);
        assert_eq!(
            window.try_send(Some(1), granted, granted),
            RateDecision::SendNow
        );
        assert!(window.give_back(granted));
        assert_eq!(
            window.try_send(Some(1), granted, at(12, 0, 6)),
            RateDecision::SendNow,
            "the slot is free again"
        );
        window.try_send(Some(1), at(12, 1, 0), at(12, 1, 0));
        assert!(!window.give_back(granted), "a past minute's slot is gone");
        assert_eq!(window.sent, 1);
    }
}
