//! Segment sizes: one row per segment and day, the last measurement of a day replacing the
//! one before, read back oldest day first within a range. Running exports: one mark per
//! segment, removed only by its own export, and stale after a while.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use leadwire_store::{SegmentSize, Store};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).expect("a valid day")
}

fn at(d: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, d, hour, 0, 0)
        .single()
        .expect("a valid time")
}

fn size(segment: &str, d: u32, users: u64, hour: u32) -> SegmentSize {
    SegmentSize {
        segment_id: segment.into(),
        day: day(d),
        size: users,
        measured_at: at(d, hour),
    }
}

pub async fn segment_sizes_are_one_row_per_segment_and_day(store: Arc<dyn Store>) {
    for row in [
        size("mql", 3, 10, 1),
        size("mql", 4, 12, 1),
        size("mql", 4, 15, 9),
        size("mql", 6, 20, 1),
        size("leads", 4, 99, 1),
    ] {
        store.record_segment_size(&row).await.expect("recorded");
    }
    let rows = store
        .segment_sizes("mql", day(4), day(6))
        .await
        .expect("read");
    assert_eq!(
        rows,
        vec![size("mql", 4, 15, 9), size("mql", 6, 20, 1)],
        "the later measurement of the 4th replaced the earlier; the 3rd is outside the range"
    );
    let all = store
        .segment_sizes("mql", day(1), day(31))
        .await
        .expect("read");
    assert_eq!(all.len(), 3);
    assert!(
        store
            .segment_sizes("unknown", day(1), day(31))
            .await
            .expect("read")
            .is_empty()
    );
}

pub async fn one_export_of_a_segment_runs_at_a_time(store: Arc<dyn Store>) {
    let start = |segment: &'static str, prefix: &'static str, hour: u32| {
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.expect("begin");
            let started = tx
                .start_segment_export(segment, prefix, at(6, hour), at(5, hour))
                .await
                .expect("marked");
            tx.commit().await.expect("commit");
            started
        }
    };
    assert!(start("mql", "first", 1).await);
    assert!(!start("mql", "second", 2).await, "one export per segment");
    assert!(start("leads", "other", 2).await, "segments are independent");

    let mut tx = store.begin().await.expect("begin");
    tx.finish_segment_export("mql", "second")
        .await
        .expect("no-op");
    tx.commit().await.expect("commit");
    assert!(
        !start("mql", "third", 3).await,
        "only its own export removes a mark"
    );
    let mut tx = store.begin().await.expect("begin");
    tx.finish_segment_export("mql", "first")
        .await
        .expect("unmarked");
    tx.rollback().await.expect("rollback");
    assert!(
        !start("mql", "fourth", 3).await,
        "a rolled-back finish keeps the mark"
    );
    let mut tx = store.begin().await.expect("begin");
    tx.finish_segment_export("mql", "first")
        .await
        .expect("unmarked");
    tx.commit().await.expect("commit");
    assert!(start("mql", "fifth", 4).await);

    // A mark from before `stale_before` (an export that failed for good) no longer counts.
    let mut tx = store.begin().await.expect("begin");
    let started = tx
        .start_segment_export("leads", "late", at(8, 1), at(7, 1))
        .await
        .expect("marked");
    tx.commit().await.expect("commit");
    assert!(started);
}
