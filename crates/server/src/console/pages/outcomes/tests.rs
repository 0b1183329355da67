//! Ranges, buckets and totals of send outcomes.

use super::*;
use chrono::TimeZone;

fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, hour, minute, 0).unwrap()
}

#[test]
fn ranges_read_from_the_query_default_to_a_day_and_refuse_others() {
    assert_eq!(Range::from_query(None).unwrap(), Range::Day);
    assert_eq!(Range::from_query(Some("")).unwrap(), Range::Day);
    for range in Range::ALL {
        assert_eq!(Range::from_query(Some(range.as_str())).unwrap(), range);
    }
    let error = Range::from_query(Some("2y")).unwrap_err().to_string();
    assert!(error.contains("range=1h, 24h, 7d or 30d"), "{error}");
}

#[test]
fn the_last_bucket_holds_now_and_five_minute_counts_sum_into_hours() {
    let now = at(12, 34);
    let mut day = Timeline::new(Range::Day, now);
    assert_eq!(day.start, at(12, 0) - TimeDelta::hours(23));
    day.add(at(12, 30), ActivityType::Success, 2);
    day.add(at(12, 5), ActivityType::Success, 3);
    day.add(at(11, 55), ActivityType::WebhookError, 1);
    day.add(
        day.start - TimeDelta::minutes(5),
        ActivityType::Success,
        100,
    );
    assert_eq!(day.buckets[23].get(ActivityType::Success), 5);
    assert_eq!(day.buckets[22].get(ActivityType::WebhookError), 1);
    assert_eq!(
        day.totals().total(),
        6,
        "a count before the range is left out"
    );
    let hour = Timeline::new(Range::Hour, now);
    assert_eq!(hour.start, at(11, 35));
    assert_eq!(hour.buckets.len(), 12);
    let month = Timeline::new(Range::Month, now);
    assert_eq!(month.start, at(0, 0) - TimeDelta::days(29));
}

#[test]
fn sent_counts_delivered_and_errors_but_not_aborts() {
    let mut outcomes = Outcomes::default();
    outcomes.add(ActivityType::Success, 5);
    outcomes.add(ActivityType::WebhookError, 2);
    outcomes.add(ActivityType::ConnectedContentError, 1);
    outcomes.add(ActivityType::AbortedMessage, 4);
    assert_eq!(
        (
            outcomes.sent(),
            outcomes.delivered(),
            outcomes.errors(),
            outcomes.aborted()
        ),
        (8, 5, 3, 4)
    );
}

#[test]
fn buckets_are_labelled_by_their_span() {
    assert_eq!(
        span_label(at(12, 0), TimeDelta::minutes(5)),
        "2026-05-01 12:00–12:05"
    );
    assert_eq!(span_label(at(0, 0), TimeDelta::days(1)), "2026-05-01");
}

#[test]
fn range_links_keep_the_path_and_mark_the_current_range() {
    let links = range_links("/console/campaigns/new%20lead", Range::Week).into_string();
    assert!(links.contains(r#"href="/console/campaigns/new%20lead?range=7d" aria-current="true""#));
    assert_eq!(links.matches("aria-current").count(), 1);
}
