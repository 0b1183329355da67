//! The counters of [`crate::stats`] as a write transaction gathers them
//! ([`PendingCounts`]), and the statements that add them to the counter tables when it
//! commits (activity, canvas steps and paths, canvas entries per day): one upsert per
//! distinct counter row, in key order, each table in the same
//! order in every transaction, so two transactions never wait on each other's counter rows
//! in a cycle.
//!
//! An activity counter row holds an hour of one key's 5-minute buckets, a column each
//! ([`SLOT_COLUMNS`]): a read over 30 days visits 720 rows a key rather than 8,640, and
//! the entries of one call that fall in several buckets of an hour are one upsert.

use std::collections::BTreeMap;
use std::future::Future;

use chrono::NaiveDate;

use leadwire_core::activity::{ActivityEntry, MessageSource};
use leadwire_core::canvas::{CountChange, StepCounter};
use sqlx::{Executor, IntoArguments};

use super::database::{Param, ParamRef, SqlDatabase};
use super::statement;
use crate::error::StoreResult;
use crate::model::day_micros;
use crate::stats::ACTIVITY_BUCKET;

/// Counter rows per multi-row upsert.
const ROWS_PER_UPSERT: usize = 500;

/// The columns of an activity counter row's buckets, named by the minute each starts at.
pub(crate) const SLOT_COLUMNS: [&str; 12] = [
    "m00", "m05", "m10", "m15", "m20", "m25", "m30", "m35", "m40", "m45", "m50", "m55",
];

/// The time an activity counter row spans, in microseconds.
pub(crate) fn row_span() -> i64 {
    ACTIVITY_BUCKET.num_microseconds().unwrap_or(1) * SLOT_COLUMNS.len() as i64
}

/// Where an entry at `time_micros` is counted: the start of its row's hour and the index
/// of its bucket's column.
pub(crate) fn row_and_slot(time_micros: i64) -> (i64, usize) {
    let span = row_span();
    let offset = time_micros.rem_euclid(span);
    let slot = offset / (span / SLOT_COLUMNS.len() as i64);
    (time_micros - offset, usize::try_from(slot).unwrap_or(0))
}

/// `INSERT INTO activity_counts (…) ` and the `ON CONFLICT` clause adding each column.
fn activity_upsert() -> (String, String) {
    let slots = SLOT_COLUMNS.join(", ");
    let head = format!(
        "INSERT INTO activity_counts \
         (hour, activity_type, source_kind, campaign, canvas, step, template, {slots}) "
    );
    let sums: Vec<String> = SLOT_COLUMNS
        .iter()
        .map(|column| format!("{column} = activity_counts.{column} + excluded.{column}"))
        .collect();
    let conflict = format!(
        " ON CONFLICT (hour, activity_type, source_kind, campaign, canvas, step, template) \
         DO UPDATE SET {}",
        sums.join(", ")
    );
    (head, conflict)
}
const UPSERT_STEPS: &str =
    "INSERT INTO canvas_step_counts (canvas, step, entered, present, exited) ";
const UPSERT_STEPS_CONFLICT: &str = " ON CONFLICT (canvas, step) DO UPDATE SET \
     entered = canvas_step_counts.entered + excluded.entered, \
     present = canvas_step_counts.present + excluded.present, \
     exited = canvas_step_counts.exited + excluded.exited";
const UPSERT_ENTRY_DAYS: &str = "INSERT INTO canvas_entry_days (canvas, day, entries) ";
const UPSERT_ENTRY_DAYS_CONFLICT: &str = " ON CONFLICT (canvas, day) DO UPDATE SET \
     entries = canvas_entry_days.entries + excluded.entries";
const UPSERT_PATHS: &str = "INSERT INTO canvas_path_counts (canvas, step, path, taken) ";
const UPSERT_PATHS_CONFLICT: &str = " ON CONFLICT (canvas, step, path) DO UPDATE SET \
     taken = canvas_path_counts.taken + excluded.taken";

/// The columns an activity entry's source is filtered and counted by: campaign, canvas,
/// step (each `None` when the source has none).
pub(crate) fn source_columns(source: &MessageSource) -> (Option<&str>, Option<&str>, Option<&str>) {
    match source {
        MessageSource::Campaign { campaign } => (Some(campaign), None, None),
        MessageSource::Canvas { canvas, step } => (None, Some(canvas), Some(step)),
        MessageSource::Manual | MessageSource::Api | MessageSource::Test { .. } => {
            (None, None, None)
        }
    }
}

/// One activity counter row: an hour and what its entries share. A source without a
/// campaign, canvas or step counts under the empty name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ActivityKey {
    hour: i64,
    activity_type: &'static str,
    source_kind: &'static str,
    campaign: String,
    canvas: String,
    step: String,
    template: String,
}

impl ActivityKey {
    /// The row counting `entry`, and the index of its bucket's column.
    fn of(entry: &ActivityEntry) -> (Self, usize) {
        let (campaign, canvas, step) = source_columns(&entry.source);
        let (hour, slot) = row_and_slot(entry.time.timestamp_micros());
        let key = Self {
            hour,
            activity_type: entry.activity_type.as_str(),
            source_kind: entry.source.kind(),
            campaign: campaign.unwrap_or_default().to_owned(),
            canvas: canvas.unwrap_or_default().to_owned(),
            step: step.unwrap_or_default().to_owned(),
            template: entry.template.clone(),
        };
        (key, slot)
    }
}

/// The changes to one step's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct StepDelta {
    entered: i64,
    present: i64,
    exited: i64,
}

impl StepDelta {
    fn is_zero(&self) -> bool {
        *self == Self::default()
    }
}

/// What a transaction adds to the counters, summed by counter until it commits.
#[derive(Debug, Default)]
pub(crate) struct PendingCounts {
    /// Each row's bucket counts.
    activity: BTreeMap<ActivityKey, [i64; 12]>,
    /// By canvas and step.
    steps: BTreeMap<(String, String), StepDelta>,
    /// By canvas, step and path.
    paths: BTreeMap<(String, String, String), i64>,
    /// New entries by canvas and day (the start of the UTC day, in microseconds).
    entry_days: BTreeMap<(String, i64), i64>,
}

impl PendingCounts {
    /// Counts each of `entries` once.
    pub(crate) fn count_activity<'a>(
        &mut self,
        entries: impl IntoIterator<Item = &'a ActivityEntry>,
    ) {
        for entry in entries {
            let (key, slot) = ActivityKey::of(entry);
            self.activity.entry(key).or_default()[slot] += 1;
        }
    }

    fn step(&mut self, canvas: String, step: String) -> &mut StepDelta {
        self.steps.entry((canvas, step)).or_default()
    }

    /// Counts a new entry into `canvas` on `day`.
    pub(crate) fn count_entry(&mut self, canvas: &str, day: NaiveDate) {
        *self
            .entry_days
            .entry((canvas.to_owned(), day_micros(day)))
            .or_default() += 1;
    }

    /// Adds changes to the canvas counters.
    pub(crate) fn apply(&mut self, changes: Vec<CountChange>) {
        for CountChange {
            canvas,
            counter,
            delta,
        } in changes
        {
            match counter {
                StepCounter::Entered { step } => self.step(canvas, step).entered += delta,
                StepCounter::Present { step } => self.step(canvas, step).present += delta,
                StepCounter::Exited { step } => self.step(canvas, step).exited += delta,
                StepCounter::Taken { step, path } => {
                    *self.paths.entry((canvas, step, path)).or_default() += delta;
                }
            }
        }
    }
}

/// The counter statements on database `Self`.
pub(crate) trait CounterSql: SqlDatabase {
    /// Adds `counts` to the counter tables (counters whose changes cancel out are left
    /// alone).
    fn write_counts(
        connection: &mut Self::Connection,
        counts: &PendingCounts,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

impl<DB> CounterSql for DB
where
    DB: SqlDatabase,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: ParamRef<'q, DB>,
    i64: Param<DB>,
{
    async fn write_counts(
        connection: &mut DB::Connection,
        counts: &PendingCounts,
    ) -> StoreResult<()> {
        let steps: Vec<_> = counts
            .steps
            .iter()
            .filter(|(_, delta)| !delta.is_zero())
            .collect();
        for chunk in steps.chunks(ROWS_PER_UPSERT) {
            let mut sql = statement::values::<DB>(UPSERT_STEPS, chunk.len(), 5);
            sql.push_str(UPSERT_STEPS_CONFLICT);
            let mut query = sqlx::query(&sql);
            for ((canvas, step), delta) in chunk {
                query = query
                    .bind(canvas.as_str())
                    .bind(step.as_str())
                    .bind(delta.entered)
                    .bind(delta.present)
                    .bind(delta.exited);
            }
            query.execute(&mut *connection).await?;
        }
        let paths: Vec<_> = counts
            .paths
            .iter()
            .filter(|(_, taken)| **taken != 0)
            .collect();
        for chunk in paths.chunks(ROWS_PER_UPSERT) {
            let mut sql = statement::values::<DB>(UPSERT_PATHS, chunk.len(), 4);
            sql.push_str(UPSERT_PATHS_CONFLICT);
            let mut query = sqlx::query(&sql);
            for ((canvas, step, path), taken) in chunk {
                query = query
                    .bind(canvas.as_str())
                    .bind(step.as_str())
                    .bind(path.as_str())
                    .bind(**taken);
            }
            query.execute(&mut *connection).await?;
        }
        let days: Vec<_> = counts.entry_days.iter().collect();
        for chunk in days.chunks(ROWS_PER_UPSERT) {
            let mut sql = statement::values::<DB>(UPSERT_ENTRY_DAYS, chunk.len(), 3);
            sql.push_str(UPSERT_ENTRY_DAYS_CONFLICT);
            let mut query = sqlx::query(&sql);
            for ((canvas, day), entries) in chunk {
                query = query.bind(canvas.as_str()).bind(*day).bind(**entries);
            }
            query.execute(&mut *connection).await?;
        }
        let activity: Vec<_> = counts.activity.iter().collect();
        let (head, conflict) = activity_upsert();
        let columns = 7 + SLOT_COLUMNS.len();
        for chunk in activity.chunks(ROWS_PER_UPSERT) {
            let mut sql = statement::values::<DB>(&head, chunk.len(), columns);
            sql.push_str(&conflict);
            let mut query = sqlx::query(&sql);
            for (key, counts) in chunk {
                query = query
                    .bind(key.hour)
                    .bind(key.activity_type)
                    .bind(key.source_kind)
                    .bind(key.campaign.as_str())
                    .bind(key.canvas.as_str())
                    .bind(key.step.as_str())
                    .bind(key.template.as_str());
                for count in *counts {
                    query = query.bind(*count);
                }
            }
            query.execute(&mut *connection).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use leadwire_core::activity::ActivityType;
    use uuid::Uuid;

    use super::*;

    fn entry(seconds: i64, kind: ActivityType, source: MessageSource) -> ActivityEntry {
        ActivityEntry {
            id: Uuid::now_v7(),
            time: Utc
                .timestamp_opt(1_800_000_000 + seconds, 0)
                .single()
                .expect("a time"),
            activity_type: kind,
            source,
            user_id: Uuid::nil(),
            external_id: None,
            template: "Create Lead".into(),
            message: String::new(),
            attempt: 1,
            status: None,
            duration_ms: 0,
            request: None,
            response: None,
            send_id: Uuid::nil(),
            trigger_properties: None,
            tracking_send_id: None,
        }
    }

    #[test]
    fn entries_are_grouped_by_bucket_and_key() {
        let campaign = MessageSource::Campaign {
            campaign: "new_lead".into(),
        };
        let mut counts = PendingCounts::default();
        counts.count_activity(&[
            entry(0, ActivityType::Success, campaign.clone()),
            entry(10, ActivityType::Success, campaign.clone()),
            entry(10, ActivityType::WebhookError, campaign.clone()),
            entry(400, ActivityType::Success, campaign),
            entry(10, ActivityType::Success, MessageSource::Manual),
        ]);
        let grouped: Vec<(i64, &str, &str, [i64; 12])> = counts
            .activity
            .iter()
            .map(|(key, counts)| (key.hour, key.activity_type, key.source_kind, *counts))
            .collect();
        // 1,800,000,000 s is on the hour: 0 and 10 s in its first bucket, 400 s in the second.
        let hour = 1_800_000_000_000_000;
        let slot = |index: usize, count| {
            let mut counts = [0; 12];
            counts[index] = count;
            counts
        };
        let mut success = slot(0, 2);
        success[1] = 1;
        assert_eq!(
            grouped,
            [
                (hour, "success", "campaign", success),
                (hour, "success", "manual", slot(0, 1)),
                (hour, "webhook_error", "campaign", slot(0, 1)),
            ]
        );
    }

    #[test]
    fn rows_start_on_the_hour_and_slots_are_five_minutes() {
        let hour = 3_600_000_000;
        assert_eq!(row_and_slot(0), (0, 0));
        assert_eq!(row_and_slot(hour + 299_999_999), (hour, 0));
        assert_eq!(row_and_slot(hour + 300_000_000), (hour, 1));
        assert_eq!(row_and_slot(2 * hour - 1), (hour, 11));
        assert_eq!(
            row_and_slot(-1),
            (-hour, 11),
            "before the epoch rounds down too"
        );
    }

    #[test]
    fn canvas_changes_are_summed_by_step_and_path() {
        let change = |counter, delta| CountChange {
            canvas: "c".into(),
            counter,
            delta,
        };
        let step = || "A".to_owned();
        let mut counts = PendingCounts::default();
        counts.apply(vec![
            change(StepCounter::Entered { step: step() }, 1),
            change(StepCounter::Present { step: step() }, 1),
            change(StepCounter::Present { step: step() }, -1),
            change(StepCounter::Exited { step: step() }, 1),
            change(
                StepCounter::Taken {
                    step: step(),
                    path: "next".into(),
                },
                2,
            ),
        ]);
        let key = ("c".to_owned(), step());
        assert_eq!(
            counts.steps.get(&key),
            Some(&StepDelta {
                entered: 1,
                present: 0,
                exited: 1
            })
        );
        assert_eq!(
            counts.paths.get(&("c".into(), step(), "next".into())),
            Some(&2)
        );
    }
}
