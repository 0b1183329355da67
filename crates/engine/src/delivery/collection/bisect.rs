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
//! An `INVALID_FIELD` refusal names the field (`No such column 'Foo__c' on sobject of type
//! Lead`, the name as sent): the records carrying it get the refusal at once, and the others
//! go out again together, so a template that adds a field Lead lacks costs no extra call.
//!
//! Each refused record costs at most two calls per halving, `2 · ⌈log2 n⌉` for a call of `n`
//! records. A call goes through at most [`MAX_ISOLATED`] records' worth of extra calls; past
//! that (a template whose every record is refused, say), each half still refused is its
//! records' answer, as a whole call's refusal is.

use serde_json::{Map, Value};

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

/// The field an `INVALID_FIELD` refusal names: `No such column '<name>' on sobject of type
/// <object>`, with the name as the request spelled it.
fn unknown_field(body: &str) -> Option<&str> {
    if salesforce_error_code(body) != Some("INVALID_FIELD") {
        return None;
    }
    let start = body.find("No such column '")? + "No such column '".len();
    let rest = &body[start..];
    let name = &rest[..rest.find('\'')?];
    (!name.is_empty()).then_some(name)
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
    /// The field names of each record.
    fields: Vec<Vec<String>>,
    /// The records (by position) of the calls still to make, the next one last.
    pending: Vec<Vec<usize>>,
    results: Vec<Option<CallOutcome>>,
    extra_calls_left: usize,
    extra_calls: usize,
    /// Whether the limit stopped a refused call from going out again.
    stopped: bool,
}

/// A record's share of the call that settled it, or why that call was not made.
pub type CallOutcome = Result<AttemptResult, String>;

impl Bisection {
    /// The calls for a group of `records` writing with `write`.
    pub fn new<'a>(records: impl Iterator<Item = &'a Map<String, Value>>, write: Write) -> Self {
        let fields: Vec<Vec<String>> = records
            .map(|record| record.keys().cloned().collect())
            .collect();
        let count = fields.len();
        Self {
            write,
            fields,
            pending: if count == 0 {
                Vec::new()
            } else {
                vec![(0..count).collect()]
            },
            results: vec![None; count],
            extra_calls_left: extra_call_limit(count),
            extra_calls: 0,
            stopped: false,
        }
    }

    /// The records (by position in the group, in order) the next call carries, or `None`
    /// when every record has its result.
    pub fn next_call(&mut self) -> Option<Vec<usize>> {
        self.pending.pop()
    }

    /// Takes the answer to the call carrying `records`: a refusal of their content settles
    /// the records carrying the unknown field it names, and the others are sent again
    /// (together, or in halves when it names none of theirs) while the limit allows; any
    /// other answer is split among them.
    pub fn answer(&mut self, records: Vec<usize>, outcome: CallOutcome) {
        if let Ok(call) = &outcome
            && records.len() > 1
            && refuses_content(call)
        {
            let (carrying, others): (Vec<usize>, Vec<usize>) = match unknown_field(&call.body) {
                Some(field) => records.iter().partition(|&&record| {
                    self.fields[record]
                        .iter()
                        .any(|name| name.eq_ignore_ascii_case(field))
                }),
                None => (Vec::new(), records.clone()),
            };
            if !carrying.is_empty() {
                self.settle(&carrying, &outcome);
                if !others.is_empty() {
                    self.send_again(vec![others], outcome);
                }
                return;
            }
            let (first, second) = records.split_at(records.len() / 2);
            // The first half goes next: pushed last.
            self.send_again(vec![second.to_vec(), first.to_vec()], outcome);
            return;
        }
        self.settle(&records, &outcome);
    }

    /// Queues `calls`, one extra call each, when the limit allows; otherwise their records
    /// get `outcome`, the answer of the call that carried them.
    fn send_again(&mut self, calls: Vec<Vec<usize>>, outcome: CallOutcome) {
        if self.extra_calls_left < calls.len() {
            self.stopped = true;
            for records in calls {
                self.settle(&records, &outcome);
            }
            return;
        }
        self.extra_calls_left -= calls.len();
        self.extra_calls += calls.len();
        self.pending.extend(calls);
    }

    /// Gives each of `records` its share of `outcome`.
    fn settle(&mut self, records: &[usize], outcome: &CallOutcome) {
        let shares: Vec<CallOutcome> = match outcome {
            Ok(call) => split(call, records.len(), self.write)
                .into_iter()
                .map(Ok)
                .collect(),
            Err(refusal) => vec![Err(refusal.clone()); records.len()],
        };
        for (&record, share) in records.iter().zip(shares) {
            self.results[record] = Some(share);
        }
    }

    /// How many calls went out beyond the first.
    pub fn extra_calls(&self) -> usize {
        self.extra_calls
    }

    /// Whether the limit on extra calls stopped a refused call from going out again.
    pub fn limit_reached(&self) -> bool {
        self.stopped
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

    use serde_json::json;

    use super::*;

    const INVALID_FIELD: &str = r#"[{"message":"No such column 'Foo__c' on sobject of type Lead","errorCode":"INVALID_FIELD"}]"#;
    const WRONG_TYPE: &str = r#"[{"message":"Cannot deserialize instance of int from VALUE_STRING value many or request may be missing a required field at [line:1, column:90]","errorCode":"JSON_PARSER_ERROR"}]"#;

    fn answer(status: u16, body: &str) -> AttemptResult {
        AttemptResult {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
            body_truncated: false,
            duration: Duration::from_millis(30),
            error: None,
        }
    }

    /// `count` records; those in `unknown` carry `foo__c` (a field Lead lacks), those in
    /// `wrong` a number that is not one.
    fn records(
        count: usize,
        unknown: &BTreeSet<usize>,
        wrong: &BTreeSet<usize>,
    ) -> Vec<Map<String, Value>> {
        (0..count)
            .map(|record| {
                let mut fields =
                    json!({"attributes": {"type": "Lead"}, "LastName": format!("L{record}")});
                if unknown.contains(&record) {
                    fields["foo__c"] = json!(1);
                }
                if wrong.contains(&record) {
                    fields["NumberOfEmployees"] = json!("many");
                }
                match fields {
                    Value::Object(fields) => fields,
                    _ => unreachable!("an object"),
                }
            })
            .collect()
    }

    /// Salesforce as far as these records go: a call carrying a record of `unknown` or
    /// `wrong` is refused whole for the first such record; any other is answered record by
    /// record. Returns each record's result, the records of every call made, and whether the
    /// limit stopped a refused call from going out again.
    fn run(
        count: usize,
        unknown: &BTreeSet<usize>,
        wrong: &BTreeSet<usize>,
    ) -> (Vec<CallOutcome>, Vec<Vec<usize>>, bool) {
        let group = records(count, unknown, wrong);
        let mut bisection = Bisection::new(group.iter(), Write::Create);
        let mut calls = Vec::new();
        while let Some(carried) = bisection.next_call() {
            calls.push(carried.clone());
            let refused = carried
                .iter()
                .find(|record| unknown.contains(record) || wrong.contains(record));
            let outcome = match refused {
                Some(record) if unknown.contains(record) => answer(400, INVALID_FIELD),
                Some(_) => answer(400, WRONG_TYPE),
                None => {
                    let results: Vec<Value> = carried
                        .iter()
                        .map(|record| json!({"id": format!("lead-{record}"), "success": true, "errors": []}))
                        .collect();
                    answer(200, &Value::Array(results).to_string())
                }
            };
            bisection.answer(carried, Ok(outcome));
        }
        assert_eq!(bisection.extra_calls(), calls.len() - 1);
        let stopped = bisection.limit_reached();
        (bisection.results(), calls, stopped)
    }

    /// Runs a call of `count` records and checks each ends with its own result; returns the
    /// number of extra calls.
    fn assert_isolated(count: usize, unknown: &[usize], wrong: &[usize]) -> usize {
        let unknown: BTreeSet<usize> = unknown.iter().copied().collect();
        let wrong: BTreeSet<usize> = wrong.iter().copied().collect();
        let (results, calls, stopped) = run(count, &unknown, &wrong);
        assert!(!stopped, "within the limit");
        assert_eq!(results.len(), count);
        for (record, result) in results.iter().enumerate() {
            let result = result.as_ref().expect("every call was made");
            if unknown.contains(&record) {
                assert_eq!(
                    (result.status, result.body.as_str()),
                    (400, INVALID_FIELD),
                    "record {record}"
                );
            } else if wrong.contains(&record) {
                assert_eq!(
                    (result.status, result.body.as_str()),
                    (400, WRONG_TYPE),
                    "record {record}"
                );
            } else {
                assert_eq!(result.status, 201, "record {record}");
                let body: Value = serde_json::from_str(&result.body).expect("its result");
                assert_eq!(body["id"], json!(format!("lead-{record}")), "its own id");
            }
        }
        let delivered: Vec<usize> = calls
            .iter()
            .filter(|carried| {
                carried
                    .iter()
                    .all(|record| !unknown.contains(record) && !wrong.contains(record))
            })
            .flatten()
            .copied()
            .collect();
        let once: BTreeSet<usize> = delivered.iter().copied().collect();
        assert_eq!(once.len(), delivered.len(), "no record written twice");
        assert_eq!(once.len(), count - unknown.len() - wrong.len());
        calls.len() - 1
    }

    fn halvings(count: usize) -> usize {
        count.next_power_of_two().trailing_zeros() as usize
    }

    #[test]
    fn refused_records_are_isolated_within_two_calls_per_halving_each() {
        assert_eq!(
            assert_isolated(50, &[], &[]),
            0,
            "a call that goes through is one call"
        );
        for wrong in [vec![0], vec![17], vec![49], vec![3, 4], vec![12, 38]] {
            let extra = assert_isolated(50, &[], &wrong);
            assert!(
                extra <= 2 * halvings(50) * wrong.len(),
                "{wrong:?}: {extra} extra calls"
            );
        }
        assert_eq!(
            assert_isolated(1, &[], &[0]),
            0,
            "a record alone is not sent again"
        );
        assert_eq!(assert_isolated(2, &[], &[1]), 2);
        let extra = assert_isolated(200, &[], &[0, 99, 100, 199]);
        assert!(extra <= 2 * halvings(200) * 4, "{extra}");
    }

    #[test]
    fn records_carrying_the_unknown_field_named_are_refused_at_once() {
        assert_eq!(
            assert_isolated(50, &[7, 30], &[]),
            1,
            "the others go out once more"
        );
        assert_eq!(
            assert_isolated(50, &(0..50).collect::<Vec<_>>(), &[]),
            0,
            "every record carries it"
        );
        let extra = assert_isolated(50, &[7], &[31]);
        assert!(extra <= 1 + 2 * halvings(50), "{extra}");
        assert_eq!(unknown_field(INVALID_FIELD), Some("Foo__c"));
        assert_eq!(unknown_field(WRONG_TYPE), None);
    }

    #[test]
    fn the_limit_stops_halving_when_every_record_is_refused() {
        let every: BTreeSet<usize> = (0..200).collect();
        let (results, calls, stopped) = run(200, &BTreeSet::new(), &every);
        assert!(stopped, "the limit stopped it");
        assert_eq!(calls.len() - 1, extra_call_limit(200));
        assert_eq!(extra_call_limit(200), 2 * 8 * MAX_ISOLATED);
        assert!(results.iter().all(|result| {
            result
                .as_ref()
                .is_ok_and(|result| result.status == 400 && result.body == WRONG_TYPE)
        }));
    }

    #[test]
    fn only_a_refusal_of_the_content_is_sent_again() {
        let not_sent_again = [
            answer(
                401,
                r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#,
            ),
            answer(
                403,
                r#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#,
            ),
            answer(
                400,
                r#"[{"message":"API is disabled for this User","errorCode":"API_DISABLED_FOR_ORG"}]"#,
            ),
            answer(404, r#"[{"errorCode":"NOT_FOUND","message":"x"}]"#),
            answer(503, ""),
        ];
        let group = records(4, &BTreeSet::new(), &BTreeSet::new());
        for call in not_sent_again {
            assert!(!refuses_content(&call), "{call:?}");
            let mut bisection = Bisection::new(group.iter(), Write::Upsert);
            let carried = bisection.next_call().expect("the call");
            bisection.answer(carried, Ok(call.clone()));
            assert_eq!(bisection.next_call(), None, "not sent again: {call:?}");
            let results = bisection.results();
            assert!(results.iter().all(|result| result.as_ref() == Ok(&call)));
        }
        assert!(refuses_content(&answer(400, INVALID_FIELD)));
        assert!(refuses_content(&answer(400, WRONG_TYPE)));
    }

    #[test]
    fn a_call_not_made_is_the_answer_of_its_records() {
        let group = records(4, &BTreeSet::new(), &BTreeSet::new());
        let mut bisection = Bisection::new(group.iter(), Write::Create);
        let carried = bisection.next_call().expect("the call");
        bisection.answer(carried, Ok(answer(400, WRONG_TYPE)));
        let first = bisection.next_call().expect("the first half");
        assert_eq!(first, [0, 1]);
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
