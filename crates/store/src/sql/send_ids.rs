//! Send ids ([`crate::send_ids`]) in SQL, for both databases: a registration inserts its
//! pair and, when it is new, bumps its day's row in `send_id_days` in the same
//! transaction (the row lock orders concurrent registrations on PostgreSQL; SQLite runs
//! write transactions one at a time); a tracked send's figures are two grouped reads of
//! the activity log's partial index on `tracking_send_id`.

use std::future::Future;

use chrono::{DateTime, Utc};
use leadwire_core::activity::ActivityType;
use sqlx::{ColumnIndex, Executor, IntoArguments, Pool, Transaction};

use super::database::{Column, ParamRef, SqlDatabase};
use crate::error::{StoreError, StoreResult};
use crate::model::{day_micros, from_micros, to_micros};
use crate::send_ids::{
    SendIdOutcome, SendIdRegistration, TrackedSendCount, TrackedSendQuery, TrackedSendSeries,
};
use crate::stats::DayCount;

const INSERT_PAIR: &str = "INSERT INTO send_ids (campaign_id, send_id, created_at) \
     VALUES ($1, $2, $3) ON CONFLICT (campaign_id, send_id) DO NOTHING";
const BUMP_DAY: &str = "INSERT INTO send_id_days (day, created) VALUES ($1, 1) \
     ON CONFLICT (day) DO UPDATE SET created = send_id_days.created + 1 RETURNING created";
const DAY_COUNT: &str = "SELECT created FROM send_id_days WHERE day = $1";

/// Microseconds in a day: entries are grouped by `time / DAY`.
const DAY: i64 = 86_400_000_000;
const TRACKED: &str = "FROM activity_log WHERE tracking_send_id = $1 AND campaign = $2 \
     AND time >= $3 AND time < $4";

/// The send-id statements on database `Self`.
pub(crate) trait SendIdSql: SqlDatabase {
    /// Registers the pair inside `tx`; the caller commits unless it is over the limit.
    fn register_pair(
        tx: &mut Transaction<'static, Self>,
        campaign_id: &str,
        send_id: &str,
        daily_limit: u32,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<SendIdRegistration>> + Send;

    fn tracked_series(
        pool: &Pool<Self>,
        query: &TrackedSendQuery,
    ) -> impl Future<Output = StoreResult<TrackedSendSeries>> + Send;
}

impl<DB> SendIdSql for DB
where
    DB: SqlDatabase,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> &'q str: ParamRef<'q, DB>,
    String: Column<DB>,
    i64: Column<DB>,
{
    async fn register_pair(
        tx: &mut Transaction<'static, DB>,
        campaign_id: &str,
        send_id: &str,
        daily_limit: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<SendIdRegistration> {
        let day = day_micros(now.date_naive());
        let inserted = sqlx::query(INSERT_PAIR)
            .bind(campaign_id)
            .bind(send_id)
            .bind(to_micros(now))
            .execute(&mut **tx)
            .await?;
        if DB::rows_affected(&inserted) == 0 {
            let created: Option<i64> = sqlx::query_scalar(DAY_COUNT)
                .bind(day)
                .fetch_optional(&mut **tx)
                .await?;
            return Ok(SendIdRegistration {
                outcome: SendIdOutcome::AlreadyRegistered,
                created_today: count(created.unwrap_or(0)),
            });
        }
        let created: i64 = sqlx::query_scalar(BUMP_DAY)
            .bind(day)
            .fetch_one(&mut **tx)
            .await?;
        let created = count(created);
        Ok(if created > daily_limit {
            SendIdRegistration {
                outcome: SendIdOutcome::OverDailyLimit,
                created_today: created - 1,
            }
        } else {
            SendIdRegistration {
                outcome: SendIdOutcome::Created,
                created_today: created,
            }
        })
    }

    async fn tracked_series(
        pool: &Pool<DB>,
        query: &TrackedSendQuery,
    ) -> StoreResult<TrackedSendSeries> {
        let counts_sql = format!(
            "SELECT time / {DAY}, activity_type, COUNT(*) {TRACKED} \
             GROUP BY time / {DAY}, activity_type ORDER BY 1, 2"
        );
        let sent_types: Vec<String> = ActivityType::ALL
            .into_iter()
            .filter(|kind| kind.counts_as_sent())
            .map(|kind| format!("'{}'", kind.as_str()))
            .collect();
        let recipients_sql = format!(
            "SELECT time / {DAY}, COUNT(DISTINCT user_id) {TRACKED} \
             AND activity_type IN ({}) GROUP BY time / {DAY} ORDER BY 1",
            sent_types.join(", ")
        );
        let bounds = (to_micros(query.since), to_micros(query.until));
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(&counts_sql)
            .bind(query.send_id.as_str())
            .bind(query.campaign.as_str())
            .bind(bounds.0)
            .bind(bounds.1)
            .fetch_all(pool)
            .await?;
        let mut counts = Vec::with_capacity(rows.len());
        for (day, kind, entries) in rows {
            let activity_type = ActivityType::parse(&kind).ok_or_else(|| corrupt(&kind))?;
            counts.push(TrackedSendCount {
                day: from_micros(day * DAY).date_naive(),
                activity_type,
                count: u64::try_from(entries).unwrap_or(0),
            });
        }
        let rows: Vec<(i64, i64)> = sqlx::query_as(&recipients_sql)
            .bind(query.send_id.as_str())
            .bind(query.campaign.as_str())
            .bind(bounds.0)
            .bind(bounds.1)
            .fetch_all(pool)
            .await?;
        let recipients = rows
            .into_iter()
            .map(|(day, users)| DayCount {
                day: from_micros(day * DAY).date_naive(),
                count: u64::try_from(users).unwrap_or(0),
            })
            .collect();
        Ok(TrackedSendSeries { counts, recipients })
    }
}

/// A stored day count as a count (negative only if edited by hand; read as zero).
fn count(stored: i64) -> u32 {
    u32::try_from(stored).unwrap_or(0)
}

fn corrupt(kind: &str) -> StoreError {
    StoreError::Corrupt {
        what: "activity entry type",
        source: serde::de::Error::custom(format!("unknown activity type `{kind}`")),
    }
}
