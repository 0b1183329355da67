//! The `schedule` object of Braze's schedule endpoints and when it sends to each user.
//!
//! `{"time": …}` alone is one instant in UTC. With `in_local_time`, `time` is a wall-clock
//! time (no zone designator) reached in each user's own `time_zone`; a user without a
//! valid one gets it in UTC (Braze falls back to the company's time zone; leadwire's is
//! UTC). With `at_optimal_time`, Braze sends on `time`'s date at each user's optimal time
//! and, for a user without engagement data, at the fallback time in their local time;
//! leadwire records no engagement, so every user gets the fallback, which is `time`'s
//! wall clock in their time zone, as with `in_local_time`.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::profile::Profile;
use crate::time::parse_date;

/// The time zones furthest ahead of (UTC+14) and behind (UTC-12) UTC: a wall-clock time
/// is reached somewhere between 14 hours before and 12 hours after it is reached in UTC.
const AHEAD_HOURS: i64 = 14;
const BEHIND_HOURS: i64 = 12;

/// A parsed `schedule` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// `time`: UTC, or the wall clock each user's zone reaches.
    pub time: NaiveDateTime,
    #[serde(default)]
    pub in_local_time: bool,
    #[serde(default)]
    pub at_optimal_time: bool,
}

impl Schedule {
    /// Parses the `schedule` field of a request body. `now` decides whether a local-time
    /// schedule has already passed in every time zone, which Braze refuses.
    pub fn parse(value: Option<&Value>, now: DateTime<Utc>) -> Result<Self, String> {
        let Some(Value::Object(object)) = value else {
            return Err(
                "schedule is required: an object such as {\"time\": \"2030-01-01T12:00:00Z\"}"
                    .into(),
            );
        };
        let time = match object.get("time") {
            Some(Value::String(text)) => parse_date(text).ok_or_else(|| {
                format!(
                    "schedule.time `{text}` is not an ISO 8601 time such as 2030-01-01T12:00:00"
                )
            })?,
            _ => return Err("schedule.time is required: an ISO 8601 time string".into()),
        };
        let flag = |key: &str| match object.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(flag)) => Ok(*flag),
            Some(_) => Err(format!("schedule.{key} must be true or false")),
        };
        let schedule = Self {
            time: time.naive_utc(),
            in_local_time: flag("in_local_time")?,
            at_optimal_time: flag("at_optimal_time")?,
        };
        if schedule.in_local_time && schedule.at_optimal_time {
            return Err("schedule: give in_local_time or at_optimal_time, not both".into());
        }
        if schedule.is_local() && schedule.last() <= now {
            return Err(format!(
                "schedule.time {} has already passed in every time zone; in_local_time and at_optimal_time need a time still to come somewhere",
                schedule.time
            ));
        }
        Ok(schedule)
    }

    /// Whether the time depends on each user's time zone.
    pub fn is_local(&self) -> bool {
        self.in_local_time || self.at_optimal_time
    }

    /// The earliest instant the schedule sends to anyone.
    pub fn first(&self) -> DateTime<Utc> {
        let utc = self.time.and_utc();
        if self.is_local() {
            utc - Duration::hours(AHEAD_HOURS)
        } else {
            utc
        }
    }

    /// The latest instant the schedule sends to anyone.
    pub fn last(&self) -> DateTime<Utc> {
        let utc = self.time.and_utc();
        if self.is_local() {
            utc + Duration::hours(BEHIND_HOURS)
        } else {
            utc
        }
    }

    /// When the schedule sends to `profile`: `time` in UTC, or its wall clock in the
    /// profile's `time_zone` (UTC without one). A wall clock that a daylight-saving jump
    /// skips is taken an hour later; one that repeats, at its first occurrence.
    pub fn instant_for(&self, profile: &Profile) -> DateTime<Utc> {
        if !self.is_local() {
            return self.time.and_utc();
        }
        let Some(zone) = time_zone(profile) else {
            return self.time.and_utc();
        };
        let local = self.time.and_local_timezone(zone);
        match local.earliest() {
            Some(at) => at.with_timezone(&Utc),
            None => (self.time + Duration::hours(1))
                .and_local_timezone(zone)
                .earliest()
                .map_or_else(|| self.time.and_utc(), |at| at.with_timezone(&Utc)),
        }
    }

    /// The form Braze names the schedule type in `/messages/scheduled_broadcasts`.
    pub fn schedule_type(&self) -> &'static str {
        if self.at_optimal_time {
            "intelligent_delivery"
        } else if self.in_local_time {
            "local_time_zones"
        } else {
            "UTC"
        }
    }
}

/// The profile's `time_zone` attribute, when it names an IANA zone.
pub fn time_zone(profile: &Profile) -> Option<Tz> {
    profile
        .standard
        .get("time_zone")
        .and_then(Value::as_str)
        .and_then(|name| name.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uuid::Uuid;

    fn now() -> DateTime<Utc> {
        "2030-01-01T00:00:00Z".parse().expect("time")
    }

    fn user(zone: Option<&str>) -> Profile {
        let mut profile = Profile::new(Uuid::nil(), now());
        if let Some(zone) = zone {
            profile.standard.insert("time_zone".into(), json!(zone));
        }
        profile
    }

    #[test]
    fn a_utc_schedule_is_one_instant() {
        let schedule =
            Schedule::parse(Some(&json!({"time": "2030-06-01T12:00:00Z"})), now()).expect("valid");
        let at: DateTime<Utc> = "2030-06-01T12:00:00Z".parse().expect("time");
        assert_eq!(schedule.first(), at);
        assert_eq!(schedule.instant_for(&user(Some("Asia/Tokyo"))), at);
    }

    #[test]
    fn local_time_follows_each_users_zone_and_falls_back_to_utc() {
        let body = json!({"time": "2030-06-01T12:00:00", "in_local_time": true});
        let schedule = Schedule::parse(Some(&body), now()).expect("valid");
        let tokyo: DateTime<Utc> = "2030-06-01T03:00:00Z".parse().expect("time");
        let paris: DateTime<Utc> = "2030-06-01T10:00:00Z".parse().expect("time");
        let utc: DateTime<Utc> = "2030-06-01T12:00:00Z".parse().expect("time");
        assert_eq!(schedule.instant_for(&user(Some("Asia/Tokyo"))), tokyo);
        assert_eq!(schedule.instant_for(&user(Some("Europe/Paris"))), paris);
        assert_eq!(schedule.instant_for(&user(None)), utc);
        assert_eq!(schedule.instant_for(&user(Some("Mars/Base"))), utc);
        assert!(schedule.first() <= tokyo && schedule.last() >= utc);
        let optimal = json!({"time": "2030-06-01T12:00:00", "at_optimal_time": true});
        let optimal = Schedule::parse(Some(&optimal), now()).expect("valid");
        assert_eq!(optimal.instant_for(&user(Some("Asia/Tokyo"))), tokyo);
    }

    #[test]
    fn bad_and_past_local_schedules_are_refused() {
        for body in [
            json!(null),
            json!({"time": 5}),
            json!({"time": "soon"}),
            json!({"time": "2030-06-01T12:00:00", "in_local_time": "yes"}),
            json!({"time": "2030-06-01T12:00:00", "in_local_time": true, "at_optimal_time": true}),
            json!({"time": "2029-12-31T11:00:00", "in_local_time": true}),
        ] {
            assert!(Schedule::parse(Some(&body), now()).is_err(), "{body}");
        }
        // Still to come west of UTC.
        let late = json!({"time": "2029-12-31T13:00:00", "in_local_time": true});
        assert!(Schedule::parse(Some(&late), now()).is_ok());
        // A UTC time in the past is sent at once.
        let past = json!({"time": "2029-12-31T13:00:00Z"});
        assert!(Schedule::parse(Some(&past), now()).is_ok());
    }
}
