//! Isolating the records that make Salesforce refuse a whole sObject Collections call.
//!
//! Salesforce reads every record of a Collections call before it writes any, and one record
//! it cannot read (a field the object lacks, `INVALID_FIELD`; a value of the wrong JSON type,
//! `JSON_PARSER_ERROR`) fails the whole call with a 400 and writes nothing. A call refused
//! that way ([`refuses_content`]) goes out again in halves, and a refused half in halves
//! again, until each refused record is alone: a record refused alone gets that answer as its
//! own (a permanent failure with Salesforce's text), and every record of a half that gets
//! through gets its own result. Any other answer to a half (a 401, a 403
//! `REQUEST_LIMIT_EXCEEDED`, a 5xx, a dropped connection) is the answer of that half's
//! records, judged as for a whole call.
//!
//! Each refused record costs at most two calls per halving, `2 · ⌈log2 n⌉` for a call of `n`
//! records. A call goes through at most [`MAX_ISOLATED`] records' worth of extra calls; past
//! that (a template whose every record is refused, say), each half still refused is its
//! records' answer, as a whole call's refusal is.

use std::ops::Range;

use super::records::Write;
use super::split::split;
use crate::delivery::http::AttemptResult;
use crate::delivery::retry::salesforce_error_code;

/// How many refused records' worth of extra calls one call may spend isolating them.
pub const MAX_ISOLATED: usize = 4;

/// Error codes of a 400 that are about the session, the org or its limits, not the records,
/// so halving the call would change nothing.
const NOT_ABOUT_RECORDS: &[&str] = &[
    "REQUEST_LIMIT_EXCEEDED",
    "INVALID_SESSION_ID",
    "API_DISABLED_FOR_ORG",
    "API_CURRENTLY_DISABLED",
];

/// Whether `call` refuses the whole request for what its records hold: a 400 whose error is
/// not about the session, the org or its limits.
pub fn refuses_content(call: &AttemptResult) -> bool {
    call.status == 400
        && call.error.is_none()
        && !salesforce_error_code(&call.body).is_some_and(|code| NOT_ABOUT_RECORDS.contains(&code))
}

/// The most extra calls a call of `records` records may make: [`MAX_ISOLATED`] refused
/// records at `2 · ⌈log2 records⌉` each.
pub fn extra_call_limit(records: usize) -> usize {
    let halvings = records.max(1).next_power_of_two().trailing_zeros() as usize;
    2 * halvings * MAX_ISOLATED
}

/// The calls of one group of records and the result each record ends with: the first call
/// carries every record; [`Bisection::next_call`] names the records of the next one, and
/// [`Bisection::answer`] takes its answer.
#[derive(Debug)]
pub struct Bisection {
    write: Write,
    /// Record ranges still to send, the next one last.
    pending: Vec<Range<usize>>,
    results: Vec<Option<CallOutcome>>,
    extra_calls_left: usize,
    extra_calls: usize,
}

/// A record's share of the call that settled it, or why that call was not made.
pub type CallOutcome = Result<AttemptResult, String>;

impl Bisection {
    /// The calls for a group of `records` records writing with `write`.
    pub fn new(records: usize, write: Write) -> Self {
        Self {
            write,
            pending: if records == 0 {
                Vec::new()
            } else {
                vec![0..records]
            },
            results: vec![None; records],
            extra_calls_left: extra_call_limit(records),
            extra_calls: 0,
        }
    }

    /// The records (by position in the group) the next call carries, or `None` when every
    /// record has its result.
    pub fn next_call(&mut self) -> Option<Range<usize>> {
        self.pending.pop()
    }

    /// Takes the answer to the call carrying `records`: a refusal of their content is sent
    /// again in halves while the limit allows; any other answer is split among them.
    pub fn answer(&mut self, records: Range<usize>, outcome: CallOutcome) {
        let count = records.len();
        if let Ok(call) = &outcome
            && count > 1
            && refuses_content(call)
            && self.extra_calls_left >= 2
        {
            self.extra_calls_left -= 2;
            self.extra_calls += 2;
            let middle = records.start + count / 2;
            // The first half goes next: pushed last.
            self.pending.push(middle..records.end);
            self.pending.push(records.start..middle);
            return;
        }
        let shares: Vec<CallOutcome> = match outcome {
            Ok(call) => split(&call, count, self.write)
                .into_iter()
                .map(Ok)
                .collect(),
            Err(refusal) => vec![Err(refusal); count],
        };
        for (slot, share) in self.results[records].iter_mut().zip(shares) {
            *slot = Some(share);
        }
    }

    /// How many calls went out beyond the first.
    pub fn extra_calls(&self) -> usize {
        self.extra_calls
    }

    /// Whether the limit on extra calls stopped a refused call from being halved.
    pub fn limit_reached(&self) -> bool {
        self.extra_calls_left < 2
    }

    /// Each record's result, in group order; a record no call settled (the caller stopped
    /// before [`Bisection::next_call`] said `None`) says so.
    pub fn results(self) -> Vec<CallOutcome> {
        self.results
            .into_iter()
            .map(|result| {
                result.unwrap_or_else(|| {
                    Err("the sObject Collections call for this record was not made".to_owned())
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::time::Duration;

    use serde_json::{Value, json};

    use super::*;

    const INVALID_FIELD: &str =
        r#"[{"message":"No such column 'Foo__c' on sobject of type Lead","errorCode":"INVALID_FIELD"}]"#;

    fn answer(status: u16, body: String) -> AttemptResult {
        AttemptResult {
            status,
            headers: Vec::new(),
            body,
            body_truncated: false,
            duration: Duration::from_millis(30),
            error: None,
        }
    }

    /// Salesforce as far as these records go: a call carrying any record of `bad` is refused
    /// whole; any other is answered record by record. Returns each record's result and the
    /// records of every call made.
    fn run(records: usize, bad: &BTreeSet<usize>) -> (Vec<CallOutcome>, Vec<Range<usize>>) {
        let mut bisection = Bisection::new(records, Write::Create);
        let mut calls = Vec::new();
        while let Some(range) = bisection.next_call() {
            calls.push(range.clone());
            let outcome = if range.clone().any(|record| bad.contains(&record)) {
                answer(400, INVALID_FIELD.to_owned())
            } else {
                let results: Vec<Value> = range
                    .clone()
                    .map(|record| json!({"id": format!("lead-{record}"), "success": true, "errors": []}))
                    .collect();
                answer(200, Value::Array(results).to_string())
            };
            bisection.answer(range, Ok(outcome));
        }
        assert_eq!(bisection.extra_calls(), calls.len() - 1);
        (bisection.results(), calls)
    }

    fn assert_isolated(records: usize, bad: &[usize]) -> usize {
        let bad: BTreeSet<usize> = bad.iter().copied().collect();
        let (results, calls) = run(records, &bad);
        assert_eq!(results.len(), records);
        for (record, result) in results.iter().enumerate() {
            let result = result.as_ref().expect("every call was made");
            if bad.contains(&record) {
                assert_eq!(result.status, 400, "record {record}");
                assert_eq!(result.body, INVALID_FIELD, "Salesforce's own text");
            } else {
                assert_eq!(result.status, 201, "record {record}");
                let body: Value = serde_json::from_str(&result.body).expect("its result");
                assert_eq!(body["id"], json!(format!("lead-{record}")), "its own id");
            }
        }
        let delivered: Vec<usize> = calls
            .iter()
            .filter(|range| !(*range).clone().any(|record| bad.contains(&record)))
            .flat_map(Clone::clone)
            .collect();
        let once: BTreeSet<usize> = delivered.iter().copied().collect();
        assert_eq!(once.len(), delivered.len(), "no record written twice");
        assert_eq!(once.len(), records - bad.len());
        calls.len() - 1
    }

    #[test]
    fn refused_records_are_isolated_within_two_calls_per_halving_each() {
        let halvings = |records: usize| records.next_power_of_two().trailing_zeros() as usize;
        assert_eq!(assert_isolated(50, &[]), 0, "a call that goes through is one call");
        for bad in [vec![0], vec![17], vec![49], vec![3, 4], vec![12, 38]] {
            let extra = assert_isolated(50, &bad);
            assert!(
                extra <= 2 * halvings(50) * bad.len(),
                "{bad:?}: {extra} extra calls"
            );
        }
        assert_eq!(assert_isolated(1, &[0]), 0, "a record alone is not sent again");
        assert_eq!(assert_isolated(2, &[1]), 2);
        let extra = assert_isolated(200, &[0, 99, 100, 199]);
        assert!(extra <= 2 * halvings(200) * 4, "{extra}");
    }

    #[test]
    fn the_limit_stops_halving_when_every_record_is_refused() {
        let all: BTreeSet<usize> = (0..200).collect();
        let (results, calls) = run(200, &all);
        assert_eq!(calls.len() - 1, extra_call_limit(200));
        assert_eq!(extra_call_limit(200), 2 * 8 * MAX_ISOLATED);
        assert!(results.iter().all(|result| result
            .as_ref()
            .is_ok_and(|result| result.status == 400 && result.body == INVALID_FIELD)));
    }

    #[test]
    fn only_a_refusal_of_the_content_is_halved() {
        let not_halved = [
            answer(
                401,
                r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#
                    .into(),
            ),
            answer(
                403,
                r#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#
                    .into(),
            ),
            answer(
                400,
                r#"[{"message":"API is disabled for this User","errorCode":"API_DISABLED_FOR_ORG"}]"#
                    .into(),
            ),
            answer(404, r#"[{"errorCode":"NOT_FOUND","message":"x"}]"#.into()),
            answer(503, String::new()),
        ];
        for call in not_halved {
            assert!(!refuses_content(&call), "{call:?}");
            let mut bisection = Bisection::new(4, Write::Upsert);
            let range = bisection.next_call().expect("the call");
            bisection.answer(range, Ok(call.clone()));
            assert_eq!(bisection.next_call(), None, "not sent again: {call:?}");
            let results = bisection.results();
            assert!(results.iter().all(|result| result.as_ref() == Ok(&call)));
        }
        assert!(refuses_content(&answer(400, INVALID_FIELD.into())));
        let parser = r#"[{"message":"Cannot deserialize instance of int from VALUE_STRING value many or request may be missing a required field at [line:1, column:90]","errorCode":"JSON_PARSER_ERROR"}]"#;
        assert!(refuses_content(&answer(400, parser.into())));
    }

    #[test]
    fn a_call_not_made_is_the_answer_of_its_records() {
        let mut bisection = Bisection::new(4, Write::Create);
        let range = bisection.next_call().expect("the call");
        bisection.answer(range, Ok(answer(400, INVALID_FIELD.into())));
        let first = bisection.next_call().expect("the first half");
        assert_eq!(first, 0..2);
        bisection.answer(first, Err("refused by the URL policy".into()));
        let results = bisection.results();
        assert_eq!(results[0], Err("refused by the URL policy".into()));
        assert!(
            results[3]
                .as_ref()
                .is_err_and(|why| why.contains("was not made"))
        );
    }
}
