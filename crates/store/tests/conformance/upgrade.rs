//! A database from before the console's counters: the migration that adds them counts the
//! activity entries and canvas entries already stored, as the workers would have, and the
//! workers' later writes add to those counts. A database whose activity counters held a
//! bucket a row keeps its counts when they move to rows of an hour. The canvas entries
//! stored before the entries-per-day counters are counted on the day they entered.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use leadwire_core::activity::{ActivityEntry, ActivityType, MessageSource};
use leadwire_core::canvas::{
    CanvasUserState, ExitReason, HistoryEntry, Position, StepCounter, step_counts,
};
use leadwire_store::{
    ActivityCount, ActivityCountQuery, CanvasCounts, CanvasEntry, DayCount, PathCount, StepCounts,
    Store,
};
use serde_json::Map;
use uuid::Uuid;

use crate::activity::{campaign, entry};

/// The migration that adds the counters.
pub const COUNTERS_MIGRATION: i64 = 20261206000000;

/// The migration that moves activity counters to rows of an hour.
pub const HOUR_ROWS_MIGRATION: i64 = 20261206000100;

/// The migration that adds the config registry and the canvas entries per day.
pub const ENTRY_DAYS_MIGRATION: i64 = 20261207040000;

/// The rows stored before the upgrade.
pub struct Stored {
    pub entries: Vec<CanvasEntry>,
    pub activity: Vec<ActivityEntry>,
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
        .single()
        .expect("a valid time")
}

fn minutes(n: i64) -> DateTime<Utc> {
    start() + TimeDelta::minutes(n)
}

/// An entry of canvas "journey" that passed `history` (step, path) and is now at `position`.
fn entry_at(history: &[(&str, &str)], position: Position, arrived: i64) -> CanvasEntry {
    let state = CanvasUserState {
        canvas: "journey".into(),
        entered_at: start(),
        position,
        arrived_at: minutes(arrived),
        entry_properties: Map::new(),
        event_properties: None,
        exit_requested: false,
        history: history
            .iter()
            .map(|(step, path)| HistoryEntry {
                step: (*step).into(),
                arrived_at: start(),
                left_at: start(),
                path: (*path).into(),
            })
            .collect(),
    };
    CanvasEntry::new(Uuid::now_v7(), state)
}

fn at_step(step: &str) -> Position {
    Position::AtStep { step: step.into() }
}

fn exited(reason: ExitReason) -> Position {
    Position::Exited {
        reason,
        at: minutes(5),
        step: None,
    }
}

impl Stored {
    pub fn new() -> Self {
        let mut update = entry(
            minutes(2),
            ActivityType::WebhookError,
            MessageSource::Canvas {
                canvas: "journey".into(),
                step: "B".into(),
            },
            Uuid::now_v7(),
        );
        update.template = "Update Lead".into();
        let manual = entry(
            minutes(7),
            ActivityType::AbortedMessage,
            MessageSource::Manual,
            Uuid::now_v7(),
        );
        let lead = |at| {
            entry(
                at,
                ActivityType::Success,
                campaign("new_lead"),
                Uuid::now_v7(),
            )
        };
        Self {
            entries: vec![
                entry_at(&[("A", "next")], at_step("B"), 1),
                entry_at(
                    &[("A", "Yes"), ("C", "done")],
                    exited(ExitReason::PathEnded),
                    4,
                ),
                // Taken out of B before the step was recorded: counted as leaving from A.
                entry_at(&[("A", "next")], exited(ExitReason::StepRemoved), 4),
                entry_at(&[], at_step("A"), 3),
                entry_at(&[], at_step("A"), 2),
            ],
            activity: vec![lead(minutes(1)), update, lead(minutes(6)), manual],
        }
    }

    /// The statements that store these rows, in the columns that existed before.
    pub fn seed(&self) -> Vec<String> {
        let mut statements: Vec<String> = self
            .entries
            .iter()
            .map(|entry| {
                let exited_at = entry.state.exited_at().map(|at| at.timestamp_micros());
                format!(
                    "INSERT INTO canvas_entries (id, profile_id, canvas, state, actions, active, \
                     awaiting_action, entered_at, updated_at, exited_at) VALUES \
                     ({}, {}, {}, {}, '[]', {}, 0, {}, {}, {})",
                    text(&entry.id.to_string()),
                    text(&entry.user_id.to_string()),
                    text(entry.canvas()),
                    json(&entry.state),
                    i32::from(entry.is_active()),
                    entry.state.entered_at.timestamp_micros(),
                    entry.state.arrived_at.timestamp_micros(),
                    exited_at.map_or("NULL".into(), |at| at.to_string()),
                )
            })
            .collect();
        statements.extend(self.activity.iter().map(|logged| {
            let (campaign, canvas, step) = match &logged.source {
                MessageSource::Campaign { campaign } => (Some(campaign), None, None),
                MessageSource::Canvas { canvas, step } => (None, Some(canvas), Some(step)),
                MessageSource::Manual | MessageSource::Api | MessageSource::Test { .. } => {
                    (None, None, None)
                }
            };
            let optional = |value: Option<&String>| value.map_or("NULL".into(), |v| text(v));
            format!(
                "INSERT INTO activity_log (id, time, activity_type, campaign, canvas, step, \
                 user_id, external_id, status, send_id, entry) VALUES \
                 ({}, {}, {}, {}, {}, {}, {}, NULL, NULL, {}, {})",
                text(&logged.id.to_string()),
                logged.time.timestamp_micros(),
                text(logged.activity_type.as_str()),
                optional(campaign),
                optional(canvas),
                optional(step),
                text(&logged.user_id.to_string()),
                text(&logged.send_id.to_string()),
                json(logged),
            )
        }));
        statements
    }
}

/// `value` as an SQL string literal.
fn text(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// `value`'s JSON document as an SQL string literal.
fn json<T: serde::Serialize>(value: &T) -> String {
    text(&serde_json::to_string(value).expect("serializable"))
}

fn step_counts_of(steps: &mut BTreeMap<String, StepCounts>, step: String) -> &mut StepCounts {
    steps.entry(step.clone()).or_insert(StepCounts {
        step,
        entered: 0,
        present: 0,
        exited: 0,
    })
}

/// The counters of canvas "journey" that the workers would hold for `states`.
fn counts_of<'a>(states: impl IntoIterator<Item = &'a CanvasUserState>) -> CanvasCounts {
    let mut totals: BTreeMap<StepCounter, i64> = BTreeMap::new();
    for state in states {
        for (counter, count) in step_counts(state) {
            *totals.entry(counter).or_default() += count;
        }
    }
    let mut steps: BTreeMap<String, StepCounts> = BTreeMap::new();
    let mut paths = Vec::new();
    for (counter, count) in totals {
        let count = u64::try_from(count).expect("no counter below zero");
        match counter {
            StepCounter::Entered { step } => step_counts_of(&mut steps, step).entered = count,
            StepCounter::Present { step } => step_counts_of(&mut steps, step).present = count,
            StepCounter::Exited { step } => step_counts_of(&mut steps, step).exited = count,
            StepCounter::Taken { step, path } => paths.push(PathCount {
                step,
                path,
                taken: count,
            }),
        }
    }
    CanvasCounts {
        steps: steps.into_values().collect(),
        paths,
    }
}

pub async fn counters_are_backfilled_from_stored_rows(store: &Arc<dyn Store>, stored: &Stored) {
    let states: Vec<&CanvasUserState> = stored.entries.iter().map(|entry| &entry.state).collect();
    let backfilled = store.canvas_counts("journey").await.expect("counts");
    assert_eq!(backfilled, counts_of(states.iter().copied()));
    assert_eq!(
        backfilled
            .steps
            .iter()
            .map(|step| step.entered)
            .sum::<u64>(),
        7,
        "A five times, B and C once: the entry taken out of B counts its arrival at A alone"
    );
    let ids =
        |entries: Vec<CanvasEntry>| -> Vec<Uuid> { entries.iter().map(|entry| entry.id).collect() };
    let at_a = store.canvas_entries_at("journey", "A", 10).await;
    assert_eq!(
        ids(at_a.expect("entries")),
        [stored.entries[3].id, stored.entries[4].id],
        "newest arrival first"
    );
    let at_b = store.canvas_entries_at("journey", "B", 10).await;
    assert_eq!(ids(at_b.expect("entries")), [stored.entries[0].id]);

    let since = ActivityCountQuery::since(start());
    let count = |minute: i64, activity_type, count| ActivityCount {
        bucket: minutes(minute),
        activity_type,
        count,
    };
    assert_eq!(
        store.activity_counts(&since).await.expect("counts"),
        [
            count(0, ActivityType::Success, 1),
            count(0, ActivityType::WebhookError, 1),
            count(5, ActivityType::AbortedMessage, 1),
            count(5, ActivityType::Success, 1),
        ]
    );
    let update = ActivityCountQuery {
        template: Some("Update Lead".into()),
        step: Some("B".into()),
        ..since.clone()
    };
    assert_eq!(
        store.activity_counts(&update).await.expect("counts"),
        [count(0, ActivityType::WebhookError, 1)]
    );

    // The workers' writes add to the backfilled counts.
    let mut moved = stored.entries[0].clone();
    moved.state.history.push(HistoryEntry {
        step: "B".into(),
        arrived_at: minutes(1),
        left_at: minutes(8),
        path: "done".into(),
    });
    moved.state.position = exited(ExitReason::PathEnded);
    let lead = entry(
        minutes(3),
        ActivityType::Success,
        campaign("new_lead"),
        Uuid::now_v7(),
    );
    let mut tx = store.begin().await.expect("begin");
    tx.save_canvas_entry(&moved).await.expect("save");
    tx.record_activity(&[lead]).await.expect("record");
    tx.commit().await.expect("commit");
    let now_states = states.iter().skip(1).copied().chain([&moved.state]);
    assert_eq!(
        store.canvas_counts("journey").await.expect("counts"),
        counts_of(now_states)
    );
    let counts = store.activity_counts(&since).await.expect("counts");
    assert_eq!(counts[0], count(0, ActivityType::Success, 2));
}

/// Activity counters of a bucket a row, as the first counters migration kept them: two
/// buckets of one hour and one of the next, for keys whose log entries may be pruned.
pub fn bucket_rows() -> Vec<String> {
    let row = |minute: i64, kind: &str, count: i64| {
        format!(
            "INSERT INTO activity_counts (bucket, activity_type, source_kind, campaign, canvas, \
             step, template, count) VALUES ({}, '{kind}', 'campaign', 'new_lead', '', '', \
             'Create Lead', {count})",
            minutes(minute).timestamp_micros()
        )
    };
    vec![
        row(0, "success", 3),
        row(55, "success", 2),
        row(55, "webhook_error", 1),
        row(60, "success", 4),
    ]
}

pub async fn bucket_counts_move_to_hour_rows(store: &Arc<dyn Store>) {
    let count = |minute: i64, activity_type, count| ActivityCount {
        bucket: minutes(minute),
        activity_type,
        count,
    };
    let expected = [
        count(0, ActivityType::Success, 3),
        count(55, ActivityType::Success, 2),
        count(55, ActivityType::WebhookError, 1),
        count(60, ActivityType::Success, 4),
    ];
    let since = ActivityCountQuery::since(start());
    assert_eq!(
        store.activity_counts(&since).await.expect("counts"),
        expected
    );
    let lead = entry(
        minutes(56),
        ActivityType::Success,
        campaign("new_lead"),
        Uuid::now_v7(),
    );
    crate::activity::record(store, &[lead]).await;
    let counts = store.activity_counts(&since).await.expect("counts");
    assert_eq!(counts[1], count(55, ActivityType::Success, 3));
}

/// The entries stored before the entries-per-day counters are counted on the day they
/// entered.
pub async fn entry_days_are_backfilled_from_stored_entries(store: &Arc<dyn Store>) {
    let day = start().date_naive();
    let (before, after) = (
        day.pred_opt().expect("a day"),
        day.succ_opt().expect("a day"),
    );
    let days = store
        .canvas_entry_days("journey", before, after)
        .await
        .expect("entry days");
    assert_eq!(days, [DayCount { day, count: 5 }]);
}
