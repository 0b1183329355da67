//! The console's counters: activity per 5-minute bucket and type, written with the entries
//! and only when they commit; canvas step counters moved by saves and profile deletions;
//! the entries at a step, newest arrival first; entries per canvas and day.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use leadwire_core::activity::{ActivityEntry, ActivityType, MessageSource};
use leadwire_core::canvas::{CanvasUserState, ExitReason, HistoryEntry, Position};
use leadwire_core::profile::Profile;
use leadwire_store::{
    ActivityCount, ActivityCountQuery, BufferedTransaction, CanvasCounts, CanvasEntry, DayCount,
    JourneyWrites, PathCount, StepCounts, Store, StoreTransaction,
};
use serde_json::Map;
use uuid::Uuid;

use crate::activity::{campaign, entry, record};

/// The start of a 5-minute bucket.
fn bucket_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 10, 0, 0)
        .single()
        .expect("a valid time")
}

fn minutes(n: i64) -> TimeDelta {
    TimeDelta::minutes(n)
}

fn scoring(step: &str) -> MessageSource {
    MessageSource::Canvas {
        canvas: "scoring".into(),
        step: step.into(),
    }
}

fn at(time: DateTime<Utc>, kind: ActivityType, source: MessageSource) -> ActivityEntry {
    entry(time, kind, source, Uuid::new_v4())
}

fn count(bucket: DateTime<Utc>, activity_type: ActivityType, count: u64) -> ActivityCount {
    ActivityCount {
        bucket,
        activity_type,
        count,
    }
}

pub async fn activity_is_counted_by_bucket_type_and_source(store: Arc<dyn Store>) {
    let start = bucket_start();
    let mut update = at(start + minutes(1), ActivityType::Success, scoring("update"));
    update.template = "Update Lead".into();
    let repeated = at(
        start + minutes(2),
        ActivityType::Success,
        campaign("new_lead"),
    );
    record(
        &store,
        &[
            at(
                start - minutes(1),
                ActivityType::Success,
                campaign("new_lead"),
            ),
            repeated.clone(),
            at(
                start + minutes(4),
                ActivityType::Success,
                campaign("new_lead"),
            ),
            at(
                start + minutes(3),
                ActivityType::WebhookError,
                campaign("new_lead"),
            ),
            update,
            at(
                start + minutes(2),
                ActivityType::WebhookError,
                scoring("score"),
            ),
            at(
                start + minutes(5),
                ActivityType::Success,
                campaign("new_lead"),
            ),
            at(
                start + minutes(9),
                ActivityType::AbortedMessage,
                MessageSource::Manual,
            ),
        ],
    )
    .await;
    // Logged already: the log keeps one, and so does the count.
    record(&store, &[repeated]).await;
    // Rolled back, explicitly or by dropping: nothing is counted.
    for explicit in [true, false] {
        let mut tx = store.begin().await.expect("begin");
        let lost = at(
            start + minutes(1),
            ActivityType::Success,
            campaign("new_lead"),
        );
        tx.record_activity(&[lost]).await.expect("record");
        if explicit {
            tx.rollback().await.expect("rollback");
        }
    }

    let since = |since: DateTime<Utc>| ActivityCountQuery::since(since);
    let next = start + minutes(5);
    assert_eq!(
        store.activity_counts(&since(start)).await.expect("counts"),
        [
            count(start, ActivityType::Success, 3),
            count(start, ActivityType::WebhookError, 2),
            count(next, ActivityType::AbortedMessage, 1),
            count(next, ActivityType::Success, 1),
        ],
        "by bucket, then type name"
    );
    let mut query = since(start + minutes(4));
    query.until = Some(next);
    let first_bucket = store.activity_counts(&query).await.expect("counts");
    assert_eq!(
        first_bucket,
        [
            count(start, ActivityType::Success, 3),
            count(start, ActivityType::WebhookError, 2),
        ],
        "every bucket overlapping [since, until)"
    );
    query.since = start - minutes(5);
    query.campaign = Some("new_lead".into());
    assert_eq!(
        store.activity_counts(&query).await.expect("counts"),
        [
            count(start - minutes(5), ActivityType::Success, 1),
            count(start, ActivityType::Success, 2),
            count(start, ActivityType::WebhookError, 1),
        ]
    );
    let canvas_step = ActivityCountQuery {
        canvas: Some("scoring".into()),
        step: Some("update".into()),
        ..since(start)
    };
    assert_eq!(
        store.activity_counts(&canvas_step).await.expect("counts"),
        [count(start, ActivityType::Success, 1)]
    );
    let canvas = ActivityCountQuery {
        canvas: Some("scoring".into()),
        ..since(start)
    };
    assert_eq!(
        store.activity_counts(&canvas).await.expect("counts").len(),
        2
    );
    let template = ActivityCountQuery {
        template: Some("Update Lead".into()),
        ..since(start - minutes(60))
    };
    assert_eq!(
        store.activity_counts(&template).await.expect("counts"),
        [count(start, ActivityType::Success, 1)]
    );
    let nowhere = ActivityCountQuery {
        campaign: Some("new_lead\u{0}".into()),
        ..since(start)
    };
    assert_eq!(store.activity_counts(&nowhere).await.expect("counts"), []);

    // Counters are history: pruning the log leaves them.
    let pruned = store
        .prune_activity(start + minutes(60), start + minutes(60))
        .await
        .expect("prune");
    assert_eq!(pruned, 8);
    assert_eq!(
        store
            .activity_counts(&since(start))
            .await
            .expect("counts")
            .len(),
        4
    );
}

/// A state at `step` of canvas "journey", entered and arrived at `time`.
fn state_at(step: &str, time: DateTime<Utc>) -> CanvasUserState {
    CanvasUserState {
        canvas: "journey".into(),
        entered_at: time,
        position: Position::AtStep { step: step.into() },
        arrived_at: time,
        entry_properties: Map::new(),
        event_properties: None,
        exit_requested: false,
        history: Vec::new(),
    }
}

/// Leaves the current step down `path` at `time`, to `next` or out of the canvas.
fn go(entry: &mut CanvasEntry, path: &str, next: Option<&str>, time: DateTime<Utc>) {
    let state = &mut entry.state;
    let step = state.current_step().expect("at a step").to_owned();
    state.history.push(HistoryEntry {
        step,
        arrived_at: state.arrived_at,
        left_at: time,
        path: path.into(),
    });
    state.arrived_at = time;
    state.position = match next {
        Some(next) => Position::AtStep { step: next.into() },
        None => Position::Exited {
            reason: ExitReason::PathEnded,
            at: time,
            step: None,
        },
    };
}

async fn save(tx: &mut dyn StoreTransaction, entries: &[&CanvasEntry]) {
    for entry in entries {
        tx.save_canvas_entry(entry).await.expect("save entry");
    }
}

fn step(step: &str, entered: u64, present: u64, exited: u64) -> StepCounts {
    StepCounts {
        step: step.into(),
        entered,
        present,
        exited,
    }
}

fn path(step: &str, path: &str, taken: u64) -> PathCount {
    PathCount {
        step: step.into(),
        path: path.into(),
        taken,
    }
}

pub async fn canvas_steps_count_arrivals_presence_exits_and_paths(store: Arc<dyn Store>) {
    let t = bucket_start();
    let users: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
    let profiles: Vec<Profile> = users.iter().map(|id| Profile::new(*id, t)).collect();
    crate::harness::save_profiles(&store, &profiles).await;
    let mut ada = CanvasEntry::new(users[0], state_at("A", t));
    let mut bob = CanvasEntry::new(users[1], state_at("A", t));
    let mut cid = CanvasEntry::new(users[2], state_at("A", t));

    // Entered and moved on in one transaction: the counters see the last save.
    let mut tx = store.begin().await.expect("begin");
    save(&mut *tx, &[&ada, &bob, &cid]).await;
    go(&mut ada, "next", Some("B"), t + minutes(1));
    save(&mut *tx, &[&ada]).await;
    tx.commit().await.expect("commit");
    assert_eq!(
        store.canvas_counts("journey").await.expect("counts"),
        CanvasCounts {
            steps: vec![step("A", 3, 2, 0), step("B", 1, 1, 0)],
            paths: vec![path("A", "next", 1)],
        }
    );

    // A rolled-back move counts nothing.
    let mut moved = bob.clone();
    go(&mut moved, "Yes", Some("C"), t + minutes(2));
    let mut tx = store.begin().await.expect("begin");
    save(&mut *tx, &[&moved]).await;
    tx.rollback().await.expect("rollback");

    // Read first (as the workers do), through a buffered transaction.
    let mut tx = BufferedTransaction::begin(&*store).await.expect("begin");
    let stored = tx
        .canvas_entry(bob.id)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(stored, bob);
    go(&mut bob, "Yes", Some("C"), t + minutes(2));
    bob.state.exit(ExitReason::Deduplicated, t + minutes(3));
    go(&mut cid, "next", Some("B"), t + minutes(2));
    go(&mut ada, "done", None, t + minutes(4));
    save(&mut tx, &[&bob, &cid, &ada]).await;
    Box::new(tx).commit().await.expect("commit");
    let counts = CanvasCounts {
        steps: vec![step("A", 3, 0, 0), step("B", 2, 1, 1), step("C", 1, 0, 1)],
        paths: vec![
            path("A", "Yes", 1),
            path("A", "next", 2),
            path("B", "done", 1),
        ],
    };
    assert_eq!(
        store.canvas_counts("journey").await.expect("counts"),
        counts
    );

    // Saving what is stored changes nothing; pruning exited entries changes nothing.
    let mut tx = store.begin().await.expect("begin");
    save(&mut *tx, &[&ada, &cid]).await;
    tx.commit().await.expect("commit");
    let pruned = store
        .prune_canvas_entries(t + minutes(60), 100)
        .await
        .expect("prune");
    assert_eq!(pruned, 2);
    assert_eq!(
        store.canvas_counts("journey").await.expect("counts"),
        counts
    );

    // A deleted user's entry leaves the step it was at; the history stays.
    let mut tx = store.begin().await.expect("begin");
    assert!(tx.delete_profile(cid.user_id).await.expect("delete"));
    tx.commit().await.expect("commit");
    let mut after_delete = counts.clone();
    after_delete.steps[1] = step("B", 2, 0, 1);
    assert_eq!(
        store.canvas_counts("journey").await.expect("counts"),
        after_delete
    );
    // Saved again after its deletion, it is a new entry.
    let mut tx = store.begin().await.expect("begin");
    save(&mut *tx, &[&cid]).await;
    tx.commit().await.expect("commit");
    let counts = store.canvas_counts("journey").await.expect("counts");
    assert_eq!(counts.steps[0], step("A", 4, 0, 0));
    assert_eq!(counts.steps[1], step("B", 3, 1, 1));

    assert_eq!(
        store.canvas_counts("unknown").await.expect("counts"),
        CanvasCounts::default()
    );
}

pub async fn entries_at_a_step_are_listed_newest_arrival_first(store: Arc<dyn Store>) {
    let t = bucket_start();
    let arrivals: Vec<CanvasEntry> = (0..4)
        .map(|n| CanvasEntry::new(Uuid::now_v7(), state_at("Wait", t + minutes(n))))
        .collect();
    let mut exited = CanvasEntry::new(Uuid::now_v7(), state_at("Wait", t + minutes(10)));
    exited.state.exit(ExitReason::StepRemoved, t + minutes(11));
    let mut elsewhere = CanvasEntry::new(Uuid::now_v7(), state_at("Wait", t + minutes(12)));
    elsewhere.state.canvas = "other".into();
    let mut moved_on = arrivals[3].clone();
    go(&mut moved_on, "next", Some("Send"), t + minutes(13));
    let mut tx = store.begin().await.expect("begin");
    for entry in arrivals.iter().chain([&exited, &elsewhere, &moved_on]) {
        tx.save_canvas_entry(entry).await.expect("save entry");
    }
    tx.commit().await.expect("commit");

    let listed = store
        .canvas_entries_at("journey", "Wait", 2)
        .await
        .expect("entries");
    assert_eq!(listed, [arrivals[2].clone(), arrivals[1].clone()]);
    let all = store
        .canvas_entries_at("journey", "Wait", 100)
        .await
        .expect("entries");
    let ids: Vec<Uuid> = all.iter().map(|entry| entry.id).collect();
    assert_eq!(ids, [arrivals[2].id, arrivals[1].id, arrivals[0].id]);
    let sent = store
        .canvas_entries_at("journey", "Send", 100)
        .await
        .expect("entries");
    assert_eq!(sent, [moved_on]);
    for (canvas, step, limit) in [("journey", "Wait", 0), ("journey\u{0}", "Wait", 5)] {
        let none = store.canvas_entries_at(canvas, step, limit).await;
        assert_eq!(none.expect("entries"), []);
    }
}

fn day_count(day: DateTime<Utc>, count: u64) -> DayCount {
    DayCount {
        day: day.date_naive(),
        count,
    }
}

pub async fn canvas_entries_are_counted_once_on_the_day_they_entered(store: Arc<dyn Store>) {
    let t = bucket_start();
    let day = TimeDelta::days(1);
    let users: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
    let profiles: Vec<Profile> = users.iter().map(|id| Profile::new(*id, t)).collect();
    crate::harness::save_profiles(&store, &profiles).await;
    let mut ada = CanvasEntry::new(users[0], state_at("A", t));
    let bob = CanvasEntry::new(users[1], state_at("A", t + minutes(5)));
    let cid = CanvasEntry::new(users[2], state_at("A", t + day * 2));
    let mut tx = store.begin().await.expect("begin");
    save(&mut *tx, &[&ada, &bob]).await;
    tx.commit().await.expect("commit");

    // A rolled-back entry counts nothing; moving on and saving again is the same entry.
    let mut tx = store.begin().await.expect("begin");
    save(&mut *tx, &[&cid]).await;
    tx.rollback().await.expect("rollback");
    go(&mut ada, "next", Some("B"), t + day);
    let mut tx = BufferedTransaction::begin(&*store).await.expect("begin");
    tx.canvas_entry(ada.id).await.expect("read");
    save(&mut tx, &[&ada, &cid]).await;
    Box::new(tx).commit().await.expect("commit");

    let (first, last) = ((t - day).date_naive(), (t + day * 3).date_naive());
    let days = |canvas: &'static str| {
        let store = store.clone();
        async move {
            store
                .canvas_entry_days(canvas, first, last)
                .await
                .expect("entry days")
        }
    };
    assert_eq!(
        days("journey").await,
        [day_count(t, 2), day_count(t + day * 2, 1)]
    );
    assert_eq!(
        store
            .canvas_entry_days(
                "journey",
                (t + day).date_naive(),
                (t + day * 2).date_naive()
            )
            .await
            .expect("entry days"),
        [day_count(t + day * 2, 1)],
        "both ends of the range are included"
    );
    // Deleting the user keeps the entry counted.
    let mut tx = store.begin().await.expect("begin");
    assert!(tx.delete_profile(bob.user_id).await.expect("delete"));
    tx.commit().await.expect("commit");
    assert_eq!(days("journey").await[0], day_count(t, 2));
    assert!(days("unknown").await.is_empty());
    assert!(days("journey\0").await.is_empty());
}
