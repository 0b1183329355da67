//! The days a data series covers and the numbers of each day, from the counters the console
//! reads: send outcomes from the activity counters (webhook `sent` counts every attempt
//! that went out, delivered or not, and `errors` the webhook and Connected Content errors,
//! as the console counts them), canvas entries from the entries-per-day counters. Days are
//! UTC days.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use leadwire_core::activity::Outcomes;
use leadwire_store::{ActivityCountQuery, Store, StoreResult};

use super::params::{Params, bad, length, time};
use crate::error::ApiError;

/// A run of whole UTC days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DayRange {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl DayRange {
    /// `length` days ending with the day of `end`.
    fn ending(end: DateTime<Utc>, length: u32) -> Self {
        let last = end.date_naive();
        let first = last
            .checked_sub_days(Days::new(u64::from(length.saturating_sub(1))))
            .unwrap_or(NaiveDate::MIN);
        Self { first, last }
    }

    /// The days, oldest first.
    pub fn days(&self) -> Vec<NaiveDate> {
        self.first.iter_days().take(self.len()).collect()
    }

    /// Which day of the range `day` is.
    pub fn index(&self, day: NaiveDate) -> Option<usize> {
        (self.first..=self.last)
            .contains(&day)
            .then(|| usize::try_from((day - self.first).num_days()).ok())
            .flatten()
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.first.and_time(NaiveTime::MIN).and_utc()
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.last
            .succ_opt()
            .unwrap_or(self.last)
            .and_time(NaiveTime::MIN)
            .and_utc()
    }

    pub fn len(&self) -> usize {
        self.index(self.last).map_or(0, |index| index + 1)
    }
}

/// `/campaigns/data_series`: `length` (1–100) days ending with `ending_at` (now when absent).
pub(super) fn campaign_range(params: &Params, now: DateTime<Utc>) -> Result<DayRange, ApiError> {
    let Some(text) = params.get("length").filter(|text| !text.is_empty()) else {
        return Err(bad(
            "length",
            "length is required; send the number of days, from 1 to 100".into(),
        ));
    };
    let length = length(text, 100)?;
    Ok(DayRange::ending(ending_at(params, now)?, length))
}

/// The canvas series: `starting_at` or `length` (1–14 days), ending with `ending_at` (now
/// when absent); at most 14 days either way.
pub(super) fn canvas_range(params: &Params, now: DateTime<Utc>) -> Result<DayRange, ApiError> {
    const MAX_DAYS: u32 = 14;
    let end = ending_at(params, now)?;
    let given = |name: &str| params.get(name).filter(|text| !text.is_empty());
    if let Some(text) = given("length") {
        return Ok(DayRange::ending(end, length(text, MAX_DAYS)?));
    }
    let Some(text) = given("starting_at") else {
        return Err(bad(
            "length",
            "send starting_at or length (a number of days from 1 to 14) with ending_at".into(),
        ));
    };
    let start = time("starting_at", text)?;
    let range = DayRange {
        first: start.date_naive(),
        last: end.date_naive(),
    };
    if start > end {
        return Err(bad(
            "starting_at",
            format!("starting_at `{text}` is after ending_at; send a start before the end"),
        ));
    }
    if range.len() > MAX_DAYS as usize {
        return Err(bad(
            "starting_at",
            format!(
                "starting_at `{text}` is more than {MAX_DAYS} days before ending_at; send a range of at most {MAX_DAYS} days"
            ),
        ));
    }
    Ok(range)
}

fn ending_at(params: &Params, now: DateTime<Utc>) -> Result<DateTime<Utc>, ApiError> {
    params
        .get("ending_at")
        .filter(|text| !text.is_empty())
        .map_or(Ok(now), |text| time("ending_at", text))
}

/// Send outcomes per day of `range` of the entries `scope` selects (its time bounds are
/// set here).
pub(super) async fn outcomes_by_day(
    store: &dyn Store,
    range: DayRange,
    scope: ActivityCountQuery,
) -> StoreResult<Vec<Outcomes>> {
    let query = ActivityCountQuery {
        since: range.start(),
        until: Some(range.end()),
        ..scope
    };
    let mut days = vec![Outcomes::default(); range.len()];
    for count in store.activity_counts(&query).await? {
        if let Some(day) = range
            .index(count.bucket.date_naive())
            .and_then(|index| days.get_mut(index))
        {
            day.add(count.activity_type, count.count);
        }
    }
    Ok(days)
}

/// Entries into canvas `api_id` per day of `range`.
pub(super) async fn entries_by_day(
    store: &dyn Store,
    range: DayRange,
    api_id: &str,
) -> StoreResult<Vec<u64>> {
    let mut days = vec![0; range.len()];
    for count in store
        .canvas_entry_days(api_id, range.first, range.last)
        .await?
    {
        if let Some(day) = range.index(count.day).and_then(|index| days.get_mut(index)) {
            *day += count.count;
        }
    }
    Ok(days)
}

/// The webhook stats of a variation or step: `sent` and `errors`.
pub(super) fn webhook_stats(outcomes: &Outcomes) -> serde_json::Map<String, serde_json::Value> {
    let mut stats = serde_json::Map::new();
    stats.insert("sent".into(), outcomes.sent().into());
    stats.insert("errors".into(), outcomes.errors().into());
    stats
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::super::params::params;
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 4, 0, 0)
            .single()
            .expect("a time")
    }

    #[test]
    fn a_range_ends_with_the_day_of_ending_at() {
        let range = campaign_range(&params(&[("length", "3")]), now()).expect("valid");
        let days: Vec<String> = range
            .days()
            .into_iter()
            .map(|day| day.to_string())
            .collect();
        assert_eq!(days, ["2026-12-05", "2026-12-06", "2026-12-07"]);
        assert_eq!(range.len(), 3);
        let range = canvas_range(
            &params(&[
                ("starting_at", "2026-11-24T10:00:00Z"),
                ("ending_at", "2026-12-07"),
            ]),
            now(),
        )
        .expect("14 days");
        assert_eq!(range.len(), 14);
        for bad in [
            params(&[]),
            params(&[("length", "101")]),
            params(&[("length", "0")]),
        ] {
            assert!(campaign_range(&bad, now()).is_err(), "{bad:?}");
        }
        for bad in [
            params(&[]),
            params(&[("length", "15")]),
            params(&[("starting_at", "2026-11-23")]),
            params(&[("starting_at", "2026-12-08")]),
        ] {
            assert!(canvas_range(&bad, now()).is_err(), "{bad:?}");
        }
    }
}
