//! The console's reads ([`crate::stats`]) in SQL, for both databases: activity counts by
//! hour range through the counter table's indexes (each row an hour of 5-minute buckets,
//! see [`super::counters`]), a canvas's step and path counters and its entries per day by
//! primary key, and the
//! entries at a step through the index on (canvas, step, arrival).

use std::fmt::Write as _;
use std::future::Future;

use leadwire_core::activity::ActivityType;
use sqlx::{ColumnIndex, Executor, IntoArguments, Pool, Row as _};

use super::counters::{SLOT_COLUMNS, row_and_slot, row_span};
use super::database::{Column, ParamRef, SqlDatabase};
use super::journeys::{EntryRow, decode_entry, entries_at};
use super::shared::matches_nothing;
use crate::error::{StoreError, StoreResult};
use crate::journeys::CanvasEntry;
use crate::model::{from_micros, to_micros};
use crate::stats::{
    ActivityCount, ActivityCountQuery, CanvasCounts, MAX_ENTRIES_AT, PathCount, StepCounts,
    bucket_micros,
};

/// Step and path names are sorted here rather than in SQL, where the two databases'
/// collations could order them differently.
const STEP_COUNTS: &str =
    "SELECT step, entered, present, exited FROM canvas_step_counts WHERE canvas = $1";
const ENTRY_DAYS: &str = "SELECT day, entries FROM canvas_entry_days \
     WHERE canvas = $1 AND day >= $2 AND day <= $3 ORDER BY day";
const PATH_COUNTS: &str = "SELECT step, path, taken FROM canvas_path_counts WHERE canvas = $1";

/// The console's read statements on database `Self`.
pub(crate) trait StatsSql: SqlDatabase {
    /// Entries per bucket and type matching `query`, ordered by bucket.
    fn activity_counts(
        pool: &Pool<Self>,
        query: &ActivityCountQuery,
    ) -> impl Future<Output = StoreResult<Vec<ActivityCount>>> + Send;

    /// The step and path counters of `canvas`.
    fn canvas_counts(
        pool: &Pool<Self>,
        canvas: &str,
    ) -> impl Future<Output = StoreResult<CanvasCounts>> + Send;

    /// The entries into `canvas` per day from `first` to `last` (day starts, microseconds).
    fn entry_days(
        pool: &Pool<Self>,
        canvas: &str,
        first: i64,
        last: i64,
    ) -> impl Future<Output = StoreResult<Vec<(i64, u64)>>> + Send;

    /// Up to `limit` entries at `step` of `canvas`, newest arrival first.
    fn entries_at(
        pool: &Pool<Self>,
        canvas: &str,
        step: &str,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<CanvasEntry>>> + Send;
}

impl<DB> StatsSql for DB
where
    DB: SqlDatabase,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> &'q str: ParamRef<'q, DB>,
    String: Column<DB>,
    i64: Column<DB>,
    i32: Column<DB>,
{
    async fn activity_counts(
        pool: &Pool<DB>,
        query: &ActivityCountQuery,
    ) -> StoreResult<Vec<ActivityCount>> {
        let (sql, texts) = counts_statement(query);
        if texts.iter().any(|text| matches_nothing(text)) {
            return Ok(Vec::new());
        }
        let first = bucket_micros(to_micros(query.since));
        let until = query.until.map_or(i64::MAX, to_micros);
        let mut statement = sqlx::query(&sql).bind(row_and_slot(first).0).bind(until);
        for text in texts {
            statement = statement.bind(text);
        }
        let wanted = |bucket: i64| bucket >= first && bucket < until;
        let bucket_width = row_span() / SLOT_COLUMNS.len() as i64;
        let mut counts = Vec::new();
        for row in statement.fetch_all(pool).await? {
            let hour: i64 = row.try_get(0)?;
            let activity_type = decode_type(row.try_get(1)?)?;
            for slot in 0..SLOT_COLUMNS.len() {
                let stored: i64 = row.try_get(2 + slot)?;
                let bucket = hour + slot as i64 * bucket_width;
                if stored > 0 && wanted(bucket) {
                    counts.push(ActivityCount {
                        bucket: from_micros(bucket),
                        activity_type,
                        count: count(stored),
                    });
                }
            }
        }
        counts.sort_by_key(|count| (count.bucket, count.activity_type.as_str()));
        Ok(counts)
    }

    async fn canvas_counts(pool: &Pool<DB>, canvas: &str) -> StoreResult<CanvasCounts> {
        if matches_nothing(canvas) {
            return Ok(CanvasCounts::default());
        }
        let mut steps: Vec<(String, i64, i64, i64)> = sqlx::query_as(STEP_COUNTS)
            .bind(canvas)
            .fetch_all(pool)
            .await?;
        steps.sort_unstable();
        let mut paths: Vec<(String, String, i64)> = sqlx::query_as(PATH_COUNTS)
            .bind(canvas)
            .fetch_all(pool)
            .await?;
        paths.sort_unstable();
        Ok(CanvasCounts {
            steps: steps
                .into_iter()
                .map(|(step, entered, present, exited)| StepCounts {
                    step,
                    entered: count(entered),
                    present: count(present),
                    exited: count(exited),
                })
                .collect(),
            paths: paths
                .into_iter()
                .map(|(step, path, taken)| PathCount {
                    step,
                    path,
                    taken: count(taken),
                })
                .collect(),
        })
    }

    async fn entry_days(
        pool: &Pool<DB>,
        canvas: &str,
        first: i64,
        last: i64,
    ) -> StoreResult<Vec<(i64, u64)>> {
        if matches_nothing(canvas) {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, i64)> = sqlx::query_as(ENTRY_DAYS)
            .bind(canvas)
            .bind(first)
            .bind(last)
            .fetch_all(pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(day, entries)| (day, count(entries)))
            .collect())
    }

    async fn entries_at(
        pool: &Pool<DB>,
        canvas: &str,
        step: &str,
        limit: u32,
    ) -> StoreResult<Vec<CanvasEntry>> {
        if matches_nothing(canvas) || matches_nothing(step) || limit == 0 {
            return Ok(Vec::new());
        }
        let rows: Vec<EntryRow> = sqlx::query_as(&entries_at())
            .bind(canvas)
            .bind(step)
            .bind(i64::from(limit.min(MAX_ENTRIES_AT)))
            .fetch_all(pool)
            .await?;
        rows.into_iter().map(decode_entry).collect()
    }
}

/// A stored counter as a count (a counter never goes below zero unless the rows were
/// edited by hand; such a one reads as zero).
fn count(stored: i64) -> u64 {
    u64::try_from(stored).unwrap_or(0)
}

fn decode_type(name: String) -> StoreResult<ActivityType> {
    serde_json::from_value(serde_json::Value::String(name)).map_err(|source| StoreError::Corrupt {
        what: "activity count type",
        source,
    })
}

/// The statement for `query`'s counter rows (hour, type, a sum per bucket column), and the
/// text filters to bind after the hour range ($1 the first hour, $2 the end, which is bound
/// even when the query has none: PostgreSQL's plan for a statement reused with any values
/// reads a range with both ends through the index, and one with a start alone as the
/// whole table).
fn counts_statement(query: &ActivityCountQuery) -> (String, Vec<String>) {
    let mut sql = String::from("SELECT hour, activity_type");
    for column in SLOT_COLUMNS {
        write!(sql, ", CAST(SUM({column}) AS BIGINT)").ok();
    }
    sql.push_str(" FROM activity_counts WHERE hour >= $1 AND hour < $2");
    let mut parameters = 2;
    let mut texts = Vec::new();
    for (column, value) in [
        ("campaign", &query.campaign),
        ("canvas", &query.canvas),
        ("step", &query.step),
        ("template", &query.template),
    ] {
        if let Some(value) = value {
            parameters += 1;
            // The second term is the condition of the column's partial index.
            write!(sql, " AND {column} = ${parameters} AND {column} <> ''").ok();
            texts.push(value.clone());
        }
    }
    sql.push_str(" GROUP BY hour, activity_type");
    (sql, texts)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn the_counts_statement_binds_only_the_filters_set() {
        let since = Utc
            .timestamp_opt(1_800_000_000, 0)
            .single()
            .expect("a time");
        let mut query = ActivityCountQuery::since(since);
        let (sql, texts) = counts_statement(&query);
        assert!(sql.starts_with("SELECT hour, activity_type, CAST(SUM(m00) AS BIGINT), "));
        assert!(
            sql.contains("WHERE hour >= $1 AND hour < $2 GROUP BY"),
            "{sql}"
        );
        assert!(texts.is_empty());
        query.canvas = Some("scoring".into());
        query.template = Some("Create Lead".into());
        let (sql, texts) = counts_statement(&query);
        assert!(
            sql.contains(
                "hour < $2 AND canvas = $3 AND canvas <> '' AND template = $4 AND template <> '' GROUP BY"
            ),
            "{sql}"
        );
        assert_eq!(texts, ["scoring", "Create Lead"]);
    }
}
