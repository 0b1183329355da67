//! Braze's send identifier (`send_id`): the key the sends of an API campaign are tracked
//! under for `GET /sends/data_series`. Not leadwire's own per-send uuid
//! ([`SendTask::send_id`](crate::queue::SendTask)); in Rust it is called the tracking send
//! id. This module holds Braze's rules for one: its form, how many `POST /sends/id/create`
//! registers a day, and how long its analytics are kept.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

/// The longest send id, in characters (all ASCII, so bytes too).
pub const MAX_LEN: usize = 64;

/// New `campaign_id` + `send_id` pairs `POST /sends/id/create` registers per UTC day.
pub const DAILY_LIMIT: u32 = 100;

/// Days after a send that its analytics are answered by `GET /sends/data_series`.
pub const RETENTION_DAYS: u32 = 14;

/// The oldest time at `now` whose tracked sends still have analytics: what
/// `GET /sends/data_series` counts from, and how long the activity log keeps entries with a
/// tracking send id at least.
pub fn analytics_kept_since(now: DateTime<Utc>) -> DateTime<Utc> {
    now - TimeDelta::days(i64::from(RETENTION_DAYS))
}

/// Why a `send_id` value is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("send_id must be a string of 1 to {MAX_LEN} ASCII characters; {0}")]
pub struct InvalidSendId(String);

/// Checks `text` as a send id: 1 to [`MAX_LEN`] ASCII characters.
pub fn check(text: &str) -> Result<(), InvalidSendId> {
    if text.is_empty() {
        return Err(InvalidSendId("it is empty".into()));
    }
    if !text.is_ascii() {
        return Err(InvalidSendId(format!(
            "`{text}` has a character outside ASCII"
        )));
    }
    if text.len() > MAX_LEN {
        return Err(InvalidSendId(format!("it has {} characters", text.len())));
    }
    Ok(())
}

/// The `send_id` of a request body: absent or `null` is `None`, a valid string is kept,
/// anything else is refused.
pub fn from_body(value: Option<&Value>) -> Result<Option<String>, InvalidSendId> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => check(text).map(|()| Some(text.clone())),
        Some(other) => Err(InvalidSendId(format!("got {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_send_id_is_one_to_64_ascii_characters() {
        assert_eq!(check("spring-sale_2026"), Ok(()));
        assert_eq!(check(&"x".repeat(MAX_LEN)), Ok(()));
        for bad in ["", "caf\u{e9}", &"x".repeat(MAX_LEN + 1)] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_body_value_is_absent_null_or_a_valid_string() {
        assert_eq!(from_body(None), Ok(None));
        assert_eq!(from_body(Some(&Value::Null)), Ok(None));
        assert_eq!(from_body(Some(&json!("a1"))), Ok(Some("a1".into())));
        let error = from_body(Some(&json!(12))).expect_err("a number is refused");
        assert!(error.to_string().contains("got 12"), "{error}");
        assert!(from_body(Some(&json!(""))).is_err());
    }
}
