//! The counters of [`crate::stats`] as a write transaction gathers them
//! ([`PendingCounts`]), and the statements that add them to the counter tables when it
//! commits: one upsert per distinct counter, in key order, each table in the same order in
//! every transaction, so two transactions never wait on each other's counter rows in a
//! cycle.

use std::collections::BTreeMap;
use std::future::Future;

use leadwire_core::activity::{ActivityEntry, MessageSource};
use leadwire_core::canvas::{CountChange, StepCounter};
use sqlx::{Executor, IntoArguments};

use super::database::{Param, ParamRef, SqlDatabase};
use super::statement;
use crate::error::StoreResult;
use crate::stats::bucket_micros;

/// Counter rows per multi-row upsert.
const ROWS_PER_UPSERT: usize = 500;

const UPSERT_ACTIVITY: &str = "INSERT INTO activity_counts \
     (bucket, activity_type, source_kind, campaign, canvas, step, template, count) ";
const UPSERT_ACTIVITY_CONFLICT: &str = " ON CONFLICT \
     (bucket, activity_type, source_kind, campaign, canvas, step, template) \
     DO UPDATE SET count = activity_counts.count + excluded.count";
const UPSERT_STEPS: &str =
    "INSERT INTO canvas_step_counts (canvas, step, entered, present, exited) ";
const UPSERT_STEPS_CONFLICT: &str = " ON CONFLICT (canvas, step) DO UPDATE SET \
     entered = canvas_step_counts.entered + excluded.entered, \
     present = canvas_step_counts.present + excluded.present, \
     exited = canvas_step_counts.exited + excluded.exited";
const UPSERT_PATHS: &str = "INSERT INTO canvas_path_counts (canvas, step, path, taken) ";
const UPSERT_PATHS_CONFLICT: &str = " ON CONFLICT (canvas, step, path) DO UPDATE SET \
     taken = canvas_path_counts.taken + excluded.taken";

/// The columns an activity entry's source is filtered and counted by: campaign, canvas,
/// step (each `None` when the source has none).
pub(crate) fn source_columns(source: &MessageSource) -> (Option<&str>, Option<&str>, Option<&str>) {
    match source {
        MessageSource::Campaign { campaign } => (Some(campaign), None, None),
        MessageSource::Canvas { canvas, step } => (None, Some(canvas), Some(step)),
        MessageSource::Manual => (None, None, None),
    }
}

fn source_kind(source: &MessageSource) -> &'static str {
    match source {
        MessageSource::Campaign { .. } => "campaign",
        MessageSource::Canvas { .. } => "canvas",
        MessageSource::Manual => "manual",
    }
}

/// One activity counter: a bucket and what its entries share. A source without a
/// campaign, canvas or step counts under the empty name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ActivityKey {
    bucket: i64,
    activity_type: &'static str,
    source_kind: &'static str,
    campaign: String,
    canvas: String,
    step: String,
    template: String,
}

impl ActivityKey {
    fn of(entry: &ActivityEntry) -> Self {
        let (campaign, canvas, step) = source_columns(&entry.source);
        Self {
            bucket: bucket_micros(entry.time.timestamp_micros()),
            activity_type: entry.activity_type.as_str(),
            source_kind: source_kind(&entry.source),
            campaign: campaign.unwrap_or_default().to_owned(),
            canvas: canvas.unwrap_or_default().to_owned(),
            step: step.unwrap_or_default().to_owned(),
            template: entry.template.clone(),
        }
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
    activity: BTreeMap<ActivityKey, i64>,
    /// By canvas and step.
    steps: BTreeMap<(String, String), StepDelta>,
    /// By canvas, step and path.
    paths: BTreeMap<(String, String, String), i64>,
}

impl PendingCounts {
    /// Counts each of `entries` once.
    pub(crate) fn count_activity<'a>(
        &mut self,
        entries: impl IntoIterator<Item = &'a ActivityEntry>,
    ) {
        for entry in entries {
            *self.activity.entry(ActivityKey::of(entry)).or_default() += 1;
        }
    }

    fn step(&mut self, canvas: String, step: String) -> &mut StepDelta {
        self.steps.entry((canvas, step)).or_default()
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
        let activity: Vec<_> = counts.activity.iter().collect();
        for chunk in activity.chunks(ROWS_PER_UPSERT) {
            let mut sql = statement::values::<DB>(UPSERT_ACTIVITY, chunk.len(), 8);
            sql.push_str(UPSERT_ACTIVITY_CONFLICT);
            let mut query = sqlx::query(&sql);
            for (key, count) in chunk {
                query = query
                    .bind(key.bucket)
                    .bind(key.activity_type)
                    .bind(key.source_kind)
                    .bind(key.campaign.as_str())
                    .bind(key.canvas.as_str())
                    .bind(key.step.as_str())
                    .bind(key.template.as_str())
                    .bind(**count);
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
        let grouped: Vec<(i64, &str, &str, i64)> = counts
            .activity
            .iter()
            .map(|(key, count)| (key.bucket, key.activity_type, key.source_kind, *count))
            .collect();
        let first = bucket_micros(1_800_000_000_000_000);
        let second = first + 300_000_000;
        assert_eq!(
            grouped,
            [
                (first, "success", "campaign", 2),
                (first, "success", "manual", 1),
                (first, "webhook_error", "campaign", 1),
                (second, "success", "campaign", 1),
            ]
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
