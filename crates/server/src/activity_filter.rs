//! The activity log's filters as a query string gives them (`GET /activity` and the
//! console's log page), read into an [`ActivityQuery`] with one set of rules and messages.
//!
//! A filter left empty (as an HTML form sends an unused field) filters nothing.

use chrono::{DateTime, NaiveDateTime, Utc};
use leadwire_core::activity::ActivityType;
use leadwire_store::{ActivityCursor, ActivityQuery};
use serde::Deserialize;
use uuid::Uuid;

/// The filters of the activity log, as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ActivityFilter {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub campaign: Option<String>,
    pub canvas: Option<String>,
    pub step: Option<String>,
    /// A profile's internal id or its external id.
    pub user: Option<String>,
    pub status: Option<String>,
    pub since: Option<String>,
    pub send_id: Option<String>,
}

/// A filter value that cannot be read: which one, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FilterError {
    pub field: &'static str,
    pub message: String,
}

impl FilterError {
    fn new(field: &'static str, message: String) -> Self {
        Self { field, message }
    }
}

/// `value` unless it is absent or empty.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|text| !text.is_empty())
}

impl ActivityFilter {
    /// The filters in query-string order, only those given.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("type", &self.kind),
            ("campaign", &self.campaign),
            ("canvas", &self.canvas),
            ("step", &self.step),
            ("user", &self.user),
            ("status", &self.status),
            ("since", &self.since),
            ("send_id", &self.send_id),
        ]
        .into_iter()
        .filter_map(|(name, value)| given(value).map(|value| (name, value)))
        .collect()
    }

    /// The query these filters ask for (no cursor, the store's default page size).
    pub fn query(&self) -> Result<ActivityQuery, FilterError> {
        let owned = |value: &Option<String>| given(value).map(str::to_owned);
        Ok(ActivityQuery {
            activity_type: given(&self.kind).map(activity_type).transpose()?,
            campaign: owned(&self.campaign),
            canvas: owned(&self.canvas),
            step: owned(&self.step),
            user: owned(&self.user),
            status: given(&self.status).map(status).transpose()?,
            since: given(&self.since).map(since).transpose()?,
            send_id: given(&self.send_id).map(send_id).transpose()?,
            ..ActivityQuery::default()
        })
    }
}

fn activity_type(name: &str) -> Result<ActivityType, FilterError> {
    ActivityType::parse(name).ok_or_else(|| {
        let known: Vec<&str> = ActivityType::ALL.iter().map(|kind| kind.as_str()).collect();
        FilterError::new(
            "type",
            format!("type `{name}` is not one of {}", known.join(", ")),
        )
    })
}

fn status(text: &str) -> Result<u16, FilterError> {
    text.parse().map_err(|_| {
        FilterError::new(
            "status",
            format!("status `{text}` is not an HTTP status code such as 400 or 599"),
        )
    })
}

/// An RFC 3339 time, or one without an offset (as a browser's date-time field gives it)
/// taken as UTC.
fn since(text: &str) -> Result<DateTime<Utc>, FilterError> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    .map(|time| time.and_utc())
    .ok_or_else(|| {
        FilterError::new(
            "since",
            format!("since `{text}` is not an RFC 3339 time such as 2026-11-29T10:00:00Z"),
        )
    })
}

fn send_id(text: &str) -> Result<Uuid, FilterError> {
    text.parse().map_err(|_| {
        FilterError::new(
            "send_id",
            format!("send_id `{text}` is not a send id (a UUID, as an entry shows it)"),
        )
    })
}

/// The cursor in query parameter `field`, as a page's link gives it.
pub fn cursor(field: &'static str, text: &str) -> Result<ActivityCursor, FilterError> {
    text.parse()
        .map_err(|error: leadwire_store::activity::InvalidCursor| {
            FilterError::new(field, format!("{field}: {error}"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The filter of a query string made of `pairs`, read as the routes read it.
    fn filter(pairs: &[(&str, &str)]) -> ActivityFilter {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let uri: axum::http::Uri = format!("/log?{query}").parse().expect("a URI");
        axum::extract::Query::<ActivityFilter>::try_from_uri(&uri)
            .expect("a query string")
            .0
    }

    #[test]
    fn empty_fields_filter_nothing() {
        let form = filter(&[("type", ""), ("status", ""), ("since", ""), ("user", "")]);
        assert_eq!(form.query(), Ok(ActivityQuery::default()));
        assert!(form.pairs().is_empty());
    }

    #[test]
    fn every_filter_is_read() {
        let send = Uuid::from_u128(7);
        let form = filter(&[
            ("type", "webhook_error"),
            ("campaign", "New lead"),
            ("canvas", "scoring"),
            ("step", "update"),
            ("user", "ext-1"),
            ("status", "503"),
            ("since", "2026-11-29T10:00"),
            ("send_id", &send.to_string()),
        ]);
        let query = form.query().expect("valid");
        assert_eq!(query.activity_type, Some(ActivityType::WebhookError));
        assert_eq!(query.campaign.as_deref(), Some("New lead"));
        assert_eq!(query.status, Some(503));
        assert_eq!(
            query.since.map(|time| time.to_rfc3339()),
            Some("2026-11-29T10:00:00+00:00".to_owned())
        );
        assert_eq!(query.send_id, Some(send));
        assert_eq!(form.pairs().len(), 8);
        assert_eq!(
            filter(&[("since", "2026-11-29T11:00:00+01:00")])
                .query()
                .map(|query| query.since),
            Ok(since("2026-11-29T10:00:00Z").ok())
        );
    }

    #[test]
    fn bad_values_name_their_field_and_an_example() {
        for (field, value, hint) in [
            ("type", "push_error", "webhook_error"),
            ("status", "abc", "such as 400"),
            ("status", "70000", "such as 400"),
            ("since", "yesterday", "2026-11-29T10:00:00Z"),
            ("send_id", "42", "UUID"),
        ] {
            let error = filter(&[(field, value)]).query().expect_err(value);
            assert_eq!(error.field, field);
            assert!(error.message.contains(value), "{}", error.message);
            assert!(error.message.contains(hint), "{}", error.message);
        }
        let error = cursor("before", "nope").expect_err("not a cursor");
        assert_eq!(error.field, "before");
        assert!(
            error.message.starts_with("before: `nope`"),
            "{}",
            error.message
        );
    }
}
