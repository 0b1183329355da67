//! The query parameters of the export endpoints, read with Braze's names and rules, each
//! problem a 400 naming the parameter: the lists' `page`, `include_archived`,
//! `sort_direction` and `last_edit.time[gt]`, the ids, and the data series' `length`,
//! `ending_at` and `starting_at`.

use std::collections::HashMap;

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::error::{ApiError, ErrorItem};

/// The query string as name → value (the last of a repeated name wins).
pub(super) type Params = HashMap<String, String>;

/// Reads the query string; one that cannot be read is a 400.
pub(super) fn read(params: Result<Query<Params>, QueryRejection>) -> Result<Params, ApiError> {
    params.map(|Query(params)| params).map_err(|rejection| {
        ApiError::bad_request(ErrorItem::new(format!(
            "the query string is invalid: {}",
            rejection.body_text()
        )))
    })
}

pub(super) fn bad(field: &str, message: String) -> ApiError {
    ApiError::bad_request(ErrorItem::new(message).field(field))
}

/// Campaigns and canvases per page of a list.
pub(super) const PAGE_SIZE: usize = 100;

/// What a list asks for.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ListQuery {
    pub page: usize,
    pub include_archived: bool,
    /// Newest first.
    pub descending: bool,
    /// Only those edited after this time.
    pub edited_after: Option<DateTime<Utc>>,
}

impl ListQuery {
    pub(super) fn parse(params: &Params) -> Result<Self, ApiError> {
        let page = match params.get("page").map(String::as_str) {
            None | Some("") => 0,
            Some(text) => text.parse().map_err(|_| {
                bad(
                    "page",
                    format!("page `{text}` is not a page number; send 0 (the default) or a positive whole number"),
                )
            })?,
        };
        let include_archived = match params.get("include_archived").map(String::as_str) {
            None | Some("") | Some("false") => false,
            Some("true") => true,
            Some(text) => {
                return Err(bad(
                    "include_archived",
                    format!("include_archived `{text}` is not a boolean; send true or false"),
                ));
            }
        };
        let descending = match params.get("sort_direction").map(String::as_str) {
            None | Some("") | Some("asc") => false,
            Some("desc") => true,
            Some(text) => {
                return Err(bad(
                    "sort_direction",
                    format!(
                        "sort_direction `{text}` is not a direction; send asc (oldest created first, the default) or desc"
                    ),
                ));
            }
        };
        let edited_after = params
            .get("last_edit.time[gt]")
            .filter(|text| !text.is_empty())
            .map(|text| time("last_edit.time[gt]", text))
            .transpose()?;
        Ok(Self {
            page,
            include_archived,
            descending,
            edited_after,
        })
    }
}

/// A required id parameter.
pub(super) fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|text| !text.is_empty())
        .ok_or_else(|| {
            bad(
                name,
                format!("{name} is required; send the api id of one configured in the config file"),
            )
        })
}

/// A boolean flag, false when absent.
pub(super) fn flag(params: &Params, name: &str) -> Result<bool, ApiError> {
    match params.get(name).map(String::as_str) {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(text) => Err(bad(
            name,
            format!("{name} `{text}` is not a boolean; send true or false"),
        )),
    }
}

/// An ISO-8601 time: with an offset (`2026-12-07T04:00:00Z`, `…+01:00`), without one
/// (`2026-12-07T04:00:00`, read as UTC), or a date (`2026-12-07`, its midnight UTC).
pub(super) fn time(name: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(time) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(time.and_utc());
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    Err(bad(
        name,
        format!(
            "{name} `{text}` is not an ISO-8601 time; send e.g. 2026-12-07T04:00:00Z or 2026-12-07"
        ),
    ))
}

/// A whole number of days or periods from 1 to `max`.
pub(super) fn length(text: &str, max: u32) -> Result<u32, ApiError> {
    text.parse::<u32>()
        .ok()
        .filter(|length| (1..=max).contains(length))
        .ok_or_else(|| {
            bad(
                "length",
                format!("length `{text}` is out of range; send a whole number from 1 to {max}"),
            )
        })
}

/// A query string of `pairs`, for tests.
#[cfg(test)]
pub(super) fn params(pairs: &[(&str, &str)]) -> Params {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_default_to_the_first_page_oldest_first_without_archived() {
        let query = ListQuery::parse(&Params::new()).expect("valid");
        assert_eq!(
            query,
            ListQuery {
                page: 0,
                include_archived: false,
                descending: false,
                edited_after: None
            }
        );
        let query = ListQuery::parse(&params(&[
            ("page", "2"),
            ("include_archived", "true"),
            ("sort_direction", "desc"),
            ("last_edit.time[gt]", "2026-12-07T04:00:00"),
        ]))
        .expect("valid");
        assert_eq!(query.page, 2);
        assert!(query.include_archived && query.descending);
        assert_eq!(
            query.edited_after.map(|time| time.to_rfc3339()),
            Some("2026-12-07T04:00:00+00:00".to_owned())
        );
        for (name, value) in [
            ("page", "-1"),
            ("include_archived", "yes"),
            ("sort_direction", "up"),
            ("last_edit.time[gt]", "yesterday"),
        ] {
            assert!(
                ListQuery::parse(&params(&[(name, value)])).is_err(),
                "{name}={value}"
            );
        }
    }

    #[test]
    fn times_and_lengths() {
        let at = |text| time("ending_at", text).map(|time| time.to_rfc3339()).ok();
        assert_eq!(
            at("2026-12-07T05:00:00+01:00").as_deref(),
            Some("2026-12-07T04:00:00+00:00")
        );
        assert_eq!(
            at("2026-12-07").as_deref(),
            Some("2026-12-07T00:00:00+00:00")
        );
        assert_eq!(at("12/07/2026"), None);
        assert_eq!(length("14", 14).ok(), Some(14));
        assert!(length("0", 14).is_err());
        assert!(length("15", 14).is_err());
        assert!(length("x", 100).is_err());
    }
}
