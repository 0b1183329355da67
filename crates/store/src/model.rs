//! Rows of the event history and the conversions between times and stored integers.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

/// A custom event to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub user_id: Uuid,
    pub name: String,
    pub time: DateTime<Utc>,
    pub app_id: Option<String>,
    pub properties: Map<String, Value>,
}

/// A purchase to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPurchase {
    pub user_id: Uuid,
    pub product_id: String,
    pub currency: String,
    pub price: f64,
    pub quantity: u32,
    pub time: DateTime<Utc>,
    pub app_id: Option<String>,
    pub properties: Map<String, Value>,
}

/// A stored custom event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub time: DateTime<Utc>,
    pub app_id: Option<String>,
    pub properties: Map<String, Value>,
}

/// First, last and count of one event name (or product id) for one user, as
/// `/users/export/ids` reports them.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivitySummary {
    pub name: String,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub count: u64,
}

/// Microseconds since the epoch, the stored form of every time.
pub(crate) fn to_micros(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

pub(crate) fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The start of a UTC day in microseconds, the stored form of a day.
pub(crate) fn day_micros(day: NaiveDate) -> i64 {
    to_micros(day.and_time(NaiveTime::MIN).and_utc())
}
