//! Custom events and purchases in SQL, for both databases: appended
//! [`ROWS_PER_INSERT`] to a statement, and read back as history, counts and summaries.

use std::future::Future;

use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Executor, IntoArguments, Pool, Row as _};
use uuid::Uuid;

use super::database::{Column, Param, ParamRef, SqlDatabase};
use super::shared::{ROWS_PER_INSERT, encode};
use super::statement;
use crate::error::{StoreError, StoreResult};
use crate::model::{ActivitySummary, EventRecord, NewEvent, NewPurchase, from_micros, to_micros};

const INSERT_EVENTS: &str = "INSERT INTO events (id, profile_id, name, time, app_id, properties) ";
const INSERT_PURCHASES: &str = "INSERT INTO purchases \
     (id, profile_id, product_id, currency, price, quantity, time, app_id, properties) ";
const EVENTS: &str = "SELECT id, profile_id, name, time, app_id, properties \
     FROM events WHERE profile_id = $1 AND ($2 IS NULL OR name = $2) AND time >= $3 \
     ORDER BY time, id";
/// Newest first, through `events_profile_time`.
const RECENT_EVENTS: &str = "SELECT id, profile_id, name, time, app_id, properties \
     FROM events WHERE profile_id = $1 ORDER BY time DESC, id DESC LIMIT $2";
const COUNT_EVENTS: &str =
    "SELECT COUNT(*) FROM events WHERE profile_id = $1 AND name = $2 AND time >= $3";
pub(crate) const EVENT_SUMMARIES: &str = "SELECT name, MIN(time), MAX(time), COUNT(*) \
     FROM events WHERE profile_id = $1 AND time >= $2 GROUP BY name ORDER BY name";
pub(crate) const PURCHASE_SUMMARIES: &str = "SELECT product_id, MIN(time), MAX(time), \
     CAST(SUM(quantity) AS BIGINT) FROM purchases WHERE profile_id = $1 AND time >= $2 \
     GROUP BY product_id ORDER BY product_id";

/// The history statements on database `Self`.
pub(crate) trait HistorySql: SqlDatabase {
    /// Appends `events`, each with a new id.
    fn insert_events(
        connection: &mut Self::Connection,
        events: &[NewEvent],
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Appends `purchases`, each with a new id.
    fn insert_purchases(
        connection: &mut Self::Connection,
        purchases: &[NewPurchase],
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The user's events named `name` (any when `None`) at or after `since`, oldest first.
    fn events(
        pool: &Pool<Self>,
        user_id: Uuid,
        name: Option<&str>,
        since: Option<DateTime<Utc>>,
    ) -> impl Future<Output = StoreResult<Vec<EventRecord>>> + Send;

    /// The user's `limit` most recent events, newest first.
    fn recent_events(
        pool: &Pool<Self>,
        user_id: Uuid,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<EventRecord>>> + Send;

    /// How many times the user performed event `name` at or after `since`.
    fn count_events(
        pool: &Pool<Self>,
        user_id: Uuid,
        name: &str,
        since: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Per name (event name or product id) at or after `since`: first, last and count
    /// (quantities summed for purchases), by [`EVENT_SUMMARIES`] or [`PURCHASE_SUMMARIES`].
    fn summaries(
        pool: &Pool<Self>,
        sql: &'static str,
        user_id: Uuid,
        since: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Vec<ActivitySummary>>> + Send;
}

impl<DB> HistorySql for DB
where
    DB: SqlDatabase,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> &'q str: ParamRef<'q, DB>,
    for<'q> Option<&'q str>: ParamRef<'q, DB>,
    String: Column<DB>,
    i64: Column<DB>,
    f64: Param<DB>,
{
    async fn insert_events(
        connection: &mut DB::Connection,
        events: &[NewEvent],
    ) -> StoreResult<()> {
        let rows = new_rows(events, |event| {
            encode("event properties", &event.properties)
        })?;
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let sql = statement::values::<DB>(INSERT_EVENTS, chunk.len(), 6);
            let mut query = sqlx::query(&sql);
            for row in chunk {
                query = query
                    .bind(row.id.as_str())
                    .bind(row.user_id.as_str())
                    .bind(row.item.name.as_str())
                    .bind(to_micros(row.item.time))
                    .bind(row.item.app_id.as_deref())
                    .bind(row.properties.as_str());
            }
            query.execute(&mut *connection).await?;
        }
        Ok(())
    }

    async fn insert_purchases(
        connection: &mut DB::Connection,
        purchases: &[NewPurchase],
    ) -> StoreResult<()> {
        let rows = new_rows(purchases, |purchase| {
            encode("purchase properties", &purchase.properties)
        })?;
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let sql = statement::values::<DB>(INSERT_PURCHASES, chunk.len(), 9);
            let mut query = sqlx::query(&sql);
            for row in chunk {
                query = query
                    .bind(row.id.as_str())
                    .bind(row.user_id.as_str())
                    .bind(row.item.product_id.as_str())
                    .bind(row.item.currency.as_str())
                    .bind(row.item.price)
                    .bind(i64::from(row.item.quantity))
                    .bind(to_micros(row.item.time))
                    .bind(row.item.app_id.as_deref())
                    .bind(row.properties.as_str());
            }
            query.execute(&mut *connection).await?;
        }
        Ok(())
    }

    async fn events(
        pool: &Pool<DB>,
        user_id: Uuid,
        name: Option<&str>,
        since: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<EventRecord>> {
        let since = since.map(to_micros).unwrap_or(i64::MIN);
        let rows = sqlx::query(EVENTS)
            .bind(user_id.to_string())
            .bind(name)
            .bind(since)
            .fetch_all(pool)
            .await?;
        rows.iter().map(event_record::<DB>).collect()
    }

    async fn recent_events(
        pool: &Pool<DB>,
        user_id: Uuid,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        let rows = sqlx::query(RECENT_EVENTS)
            .bind(user_id.to_string())
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?;
        rows.iter().map(event_record::<DB>).collect()
    }

    async fn count_events(
        pool: &Pool<DB>,
        user_id: Uuid,
        name: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let count: i64 = sqlx::query_scalar(COUNT_EVENTS)
            .bind(user_id.to_string())
            .bind(name)
            .bind(to_micros(since))
            .fetch_one(pool)
            .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn summaries(
        pool: &Pool<DB>,
        sql: &'static str,
        user_id: Uuid,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<ActivitySummary>> {
        let rows = sqlx::query(sql)
            .bind(user_id.to_string())
            .bind(to_micros(since))
            .fetch_all(pool)
            .await?;
        rows.iter()
            .map(|row| {
                let count: i64 = row.try_get(3)?;
                Ok(ActivitySummary {
                    name: row.try_get(0)?,
                    first: from_micros(row.try_get(1)?),
                    last: from_micros(row.try_get(2)?),
                    count: u64::try_from(count).unwrap_or(0),
                })
            })
            .collect()
    }
}

/// A row of [`EVENTS`] or [`RECENT_EVENTS`].
fn event_record<DB>(row: &DB::Row) -> StoreResult<EventRecord>
where
    DB: SqlDatabase,
    usize: ColumnIndex<DB::Row>,
    String: Column<DB>,
    i64: Column<DB>,
{
    let id: String = row.try_get(0)?;
    let profile_id: String = row.try_get(1)?;
    let properties: String = row.try_get(5)?;
    Ok(EventRecord {
        id: id.parse().unwrap_or_default(),
        user_id: profile_id.parse().unwrap_or_default(),
        name: row.try_get(2)?,
        time: from_micros(row.try_get(3)?),
        app_id: row.try_get(4)?,
        properties: serde_json::from_str(&properties).map_err(|source| StoreError::Corrupt {
            what: "event properties",
            source,
        })?,
    })
}

/// An event or purchase ready to insert: a new id, its user's id and its properties
/// serialised.
struct NewRow<'a, T> {
    id: String,
    user_id: String,
    item: &'a T,
    properties: String,
}

/// Something with a user: a [`NewEvent`] or a [`NewPurchase`].
trait OfUser {
    fn user_id(&self) -> Uuid;
}

impl OfUser for NewEvent {
    fn user_id(&self) -> Uuid {
        self.user_id
    }
}

impl OfUser for NewPurchase {
    fn user_id(&self) -> Uuid {
        self.user_id
    }
}

fn new_rows<T: OfUser>(
    items: &[T],
    properties: impl Fn(&T) -> StoreResult<String>,
) -> StoreResult<Vec<NewRow<'_, T>>> {
    items
        .iter()
        .map(|item| {
            Ok(NewRow {
                id: Uuid::now_v7().to_string(),
                user_id: item.user_id().to_string(),
                item,
                properties: properties(item)?,
            })
        })
        .collect()
}
