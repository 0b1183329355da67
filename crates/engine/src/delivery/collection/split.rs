//! An sObject Collections answer split into one result per record, each judged by the
//! verdict stage as that send's own attempt.
//!
//! A well-formed call is answered 200 with one result per record, in request order. Each
//! record's result keeps the call's headers, its own result object as the body, and the
//! status Salesforce would give that record written alone:
//!
//! | record result | status | verdict |
//! |---|---|---|
//! | `success: true` of a create, or of an upsert that `created` | 201 | delivered |
//! | `success: true` otherwise | 200 | delivered |
//! | `UNABLE_TO_LOCK_ROW` (another write holds the row) | 503 | retried |
//! | `NOT_FOUND`, `ENTITY_IS_DELETED` | 404 | failed |
//! | any other error (`REQUIRED_FIELD_MISSING`, `DUPLICATES_DETECTED`, …) | 400 | failed |
//!
//! A 400 refusing the whole call for what one of its records holds is first narrowed down
//! to the records it is about (`bisect`). Any other answer (a 401, a 403
//! `REQUEST_LIMIT_EXCEEDED`, a 5xx, a dropped connection), and such a 400 to a call of one
//! record, is every record's answer, judged as it would be for a single send. A 200 that is not one
//! result per record is a 502 for each: the records may or may not be written, and are
//! retried.

use serde_json::Value;

use super::records::Write;
use crate::delivery::http::AttemptResult;

/// Per-record error codes that clear by themselves, so the record is retried.
const RETRYABLE_RECORD_ERRORS: &[&str] = &["UNABLE_TO_LOCK_ROW"];
/// The status given to each record of a 200 that is not one result per record.
const UNREADABLE_ANSWER: u16 = 502;

/// One result per record of a call of `count` records.
pub fn split(call: &AttemptResult, count: usize, write: Write) -> Vec<AttemptResult> {
    if !(200..300).contains(&call.status) || call.error.is_some() {
        return vec![call.clone(); count];
    }
    let results = match serde_json::from_str::<Value>(&call.body) {
        Ok(Value::Array(results)) if results.len() == count => results,
        Ok(_) | Err(_) => {
            let error = format!(
                "the sObject Collections answer is not {count} record results{}",
                if call.body_truncated {
                    " (it was cut at the kept size)"
                } else {
                    ""
                }
            );
            let unreadable = AttemptResult {
                status: UNREADABLE_ANSWER,
                error: Some(error),
                ..call.clone()
            };
            return vec![unreadable; count];
        }
    };
    results
        .iter()
        .map(|result| AttemptResult {
            status: record_status(result, write),
            body: result.to_string(),
            body_truncated: false,
            ..call.clone()
        })
        .collect()
}

/// The status of one record's result (see the module's table).
fn record_status(result: &Value, write: Write) -> u16 {
    if result.get("success").and_then(Value::as_bool) == Some(true) {
        let created =
            write == Write::Create || result.get("created").and_then(Value::as_bool) == Some(true);
        return if created { 201 } else { 200 };
    }
    let code = result
        .get("errors")
        .and_then(|errors| errors.get(0))
        .and_then(|error| error.get("statusCode"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    match code {
        code if RETRYABLE_RECORD_ERRORS.contains(&code) => 503,
        "NOT_FOUND" | "ENTITY_IS_DELETED" => 404,
        _ => 400,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::delivery::retry::{Classification, classify};

    fn answer(status: u16, body: &str) -> AttemptResult {
        AttemptResult {
            status,
            headers: vec![("Sforce-Limit-Info".into(), "api-usage=3/15000".into())],
            body: body.into(),
            body_truncated: false,
            duration: Duration::from_millis(40),
            error: None,
        }
    }

    #[test]
    fn each_record_gets_its_own_status_body_and_verdict() {
        let body = r#"[
            {"id":"00Q5g00000AbCdEAAV","success":true,"errors":[],"created":true},
            {"id":"00Q5g00000AbCdFAAV","success":true,"errors":[],"created":false},
            {"success":false,"errors":[{"statusCode":"UNABLE_TO_LOCK_ROW","message":"unable to obtain exclusive access to this record","fields":[]}]},
            {"success":false,"errors":[{"statusCode":"REQUIRED_FIELD_MISSING","message":"Required fields are missing: [LastName]","fields":["LastName"]}]},
            {"id":"00Q5g00000AbCdGAAV","success":false,"errors":[{"statusCode":"ENTITY_IS_DELETED","message":"entity is deleted","fields":[]}]}
        ]"#;
        let records = split(&answer(200, body), 5, Write::Upsert);
        let statuses: Vec<u16> = records.iter().map(|record| record.status).collect();
        assert_eq!(statuses, [201, 200, 503, 400, 404]);
        let verdicts: Vec<Classification> = records
            .iter()
            .map(|record| classify(record.status, &record.body))
            .collect();
        assert_eq!(
            verdicts,
            [
                Classification::Delivered,
                Classification::Delivered,
                Classification::Retry,
                Classification::GiveUp,
                Classification::GiveUp
            ]
        );
        assert!(records[3].body.contains("REQUIRED_FIELD_MISSING"));
        assert_eq!(
            records[0].header("sforce-limit-info"),
            Some("api-usage=3/15000")
        );
        let created = split(
            &answer(
                200,
                r#"[{"id":"00Q5g00000AbCdEAAV","success":true,"errors":[]}]"#,
            ),
            1,
            Write::Create,
        );
        assert_eq!(created[0].status, 201);
    }

    #[test]
    fn a_whole_call_failure_is_every_records_answer() {
        let unavailable = answer(503, "[]");
        assert_eq!(split(&unavailable, 3, Write::Create), vec![unavailable; 3]);
        let short = split(&answer(200, r#"[{"success":true}]"#), 2, Write::Create);
        assert!(short.iter().all(|record| {
            record.status == UNREADABLE_ANSWER
                && record
                    .error
                    .as_deref()
                    .is_some_and(|error| error.contains("not 2 record results"))
        }));
    }
}
