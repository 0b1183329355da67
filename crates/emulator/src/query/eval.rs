//! Evaluates parsed SOQL against leads: field checks, filtering with SOQL's comparison rules, ordering with NULLS FIRST/LAST, LIMIT and OFFSET.

use std::cmp::Ordering;

use chrono::{Duration, NaiveDate, Utc};
use serde_json::Value;

use super::QueryError;
use super::parser::{Condition, Literal, Name, Query, Selection};
use crate::record::field_value;
use crate::store::LeadRecord;
use leadwire_salesforce::fields::LeadCatalog;

/// Fails with INVALID_FIELD for the first name Lead does not have.
pub fn check_fields(query: &Query, catalog: &LeadCatalog) -> Result<(), QueryError> {
    let mut names: Vec<&Name> = Vec::new();
    match &query.select {
        Selection::Count => {}
        Selection::CountField(name) => names.push(name),
        Selection::Fields(fields) => names.extend(fields),
    }
    if let Some(filter) = &query.filter {
        collect(filter, &mut names);
    }
    names.extend(query.order.iter().map(|key| &key.field));
    match names
        .into_iter()
        .find(|name| catalog.index_of(&name.text).is_none())
    {
        Some(name) => Err(QueryError::invalid_field(name)),
        None => Ok(()),
    }
}

fn collect<'a>(condition: &'a Condition, names: &mut Vec<&'a Name>) {
    match condition {
        Condition::And(terms) | Condition::Or(terms) => {
            for term in terms {
                collect(term, names);
            }
        }
        Condition::Not(inner) => collect(inner, names),
        Condition::Compare { field, .. }
        | Condition::In { field, .. }
        | Condition::Like { field, .. } => names.push(field),
    }
}

fn value_of(catalog: &LeadCatalog, record: &LeadRecord, name: &Name) -> Value {
    catalog
        .index_of(&name.text)
        .map_or(Value::Null, |index| field_value(catalog, record, index))
}

/// The records matching the query's filter, ordered, with OFFSET and LIMIT applied.
pub fn select<'a>(
    query: &Query,
    catalog: &LeadCatalog,
    records: &'a [LeadRecord],
) -> Vec<&'a LeadRecord> {
    let today = Utc::now().date_naive();
    let mut matched: Vec<&LeadRecord> = records
        .iter()
        .filter(|record| {
            query
                .filter
                .as_ref()
                .is_none_or(|filter| holds(filter, catalog, record, today))
        })
        .collect();
    if !query.order.is_empty() {
        matched.sort_by(|a, b| {
            for key in &query.order {
                let (left, right) = (
                    value_of(catalog, a, &key.field),
                    value_of(catalog, b, &key.field),
                );
                let ordering = match (left.is_null(), right.is_null()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => {
                        if key.nulls_last {
                            Ordering::Greater
                        } else {
                            Ordering::Less
                        }
                    }
                    (false, true) => {
                        if key.nulls_last {
                            Ordering::Less
                        } else {
                            Ordering::Greater
                        }
                    }
                    (false, false) => {
                        let ordering = compare_values(&left, &right).unwrap_or(Ordering::Equal);
                        if key.descending {
                            ordering.reverse()
                        } else {
                            ordering
                        }
                    }
                };
                if ordering != Ordering::Equal {
                    return ordering;
                }
            }
            Ordering::Equal
        });
    }
    let offset = query.offset.unwrap_or(0);
    matched
        .into_iter()
        .skip(offset)
        .take(query.limit.unwrap_or(usize::MAX))
        .collect()
}

fn holds(
    condition: &Condition,
    catalog: &LeadCatalog,
    record: &LeadRecord,
    today: NaiveDate,
) -> bool {
    match condition {
        Condition::And(terms) => terms.iter().all(|term| holds(term, catalog, record, today)),
        Condition::Or(terms) => terms.iter().any(|term| holds(term, catalog, record, today)),
        Condition::Not(inner) => !holds(inner, catalog, record, today),
        Condition::Compare { field, op, value } => {
            compare(&value_of(catalog, record, field), op, value, today)
        }
        Condition::In {
            field,
            values,
            negated,
        } => {
            let actual = value_of(catalog, record, field);
            let found = values
                .iter()
                .any(|value| compare(&actual, "=", value, today));
            found != *negated
        }
        Condition::Like { field, pattern } => match value_of(catalog, record, field) {
            Value::String(text) => like(&text.to_lowercase(), &pattern.to_lowercase()),
            _ => false,
        },
    }
}

fn compare(actual: &Value, op: &str, literal: &Literal, today: NaiveDate) -> bool {
    match (actual, literal) {
        (_, Literal::Null) => match op {
            "=" => actual.is_null(),
            "!=" => !actual.is_null(),
            _ => false,
        },
        (Value::Null, _) => op == "!=",
        (Value::String(text), Literal::Relative(from, to)) => {
            let Some(date) = text
                .get(..10)
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            else {
                return false;
            };
            let (start, end) = (today + Duration::days(*from), today + Duration::days(*to));
            match op {
                "=" => date >= start && date <= end,
                "!=" => date < start || date > end,
                "<" => date < start,
                "<=" => date <= end,
                ">" => date > end,
                ">=" => date >= start,
                _ => false,
            }
        }
        _ => {
            let Some(ordering) = compare_literal(actual, literal) else {
                return op == "!=";
            };
            match op {
                "=" => ordering == Ordering::Equal,
                "!=" => ordering != Ordering::Equal,
                "<" => ordering == Ordering::Less,
                "<=" => ordering != Ordering::Greater,
                ">" => ordering == Ordering::Greater,
                ">=" => ordering != Ordering::Less,
                _ => false,
            }
        }
    }
}

fn compare_literal(actual: &Value, literal: &Literal) -> Option<Ordering> {
    match (actual, literal) {
        (Value::String(text), Literal::Str(wanted)) => {
            Some(text.to_lowercase().cmp(&wanted.to_lowercase()))
        }
        (Value::String(text), Literal::Date(date)) => {
            Some(text.get(..10).unwrap_or(text).cmp(date.as_str()))
        }
        (Value::String(text), Literal::DateTime(time)) if text.len() == 10 => {
            Some(text.as_str().cmp(time.get(..10).unwrap_or(time)))
        }
        (Value::String(text), Literal::DateTime(time)) => Some(text.cmp(time)),
        (Value::String(text), Literal::Number(n)) => text.parse::<f64>().ok()?.partial_cmp(n),
        (Value::Number(number), Literal::Number(n)) => number.as_f64()?.partial_cmp(n),
        (Value::Number(number), Literal::Str(s)) => {
            number.as_f64()?.partial_cmp(&s.parse::<f64>().ok()?)
        }
        (Value::Bool(b), Literal::Bool(wanted)) => Some(b.cmp(wanted)),
        _ => None,
    }
}

fn compare_values(left: &Value, right: &Value) -> Option<Ordering> {
    match (left, right) {
        (Value::String(a), Value::String(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// One piece of a LIKE pattern.
#[derive(Clone, Copy, PartialEq)]
enum Wildcard {
    /// `%`: any run of characters, empty included.
    AnyRun,
    /// `_`: exactly one character.
    One,
    /// A character as written (`\%` and `\_` are literal).
    Char(char),
}

fn wildcards(pattern: &str) -> Vec<Wildcard> {
    let mut parts = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        parts.push(match c {
            '\\' => match chars.next() {
                Some(escaped) => Wildcard::Char(escaped),
                None => break,
            },
            '%' => Wildcard::AnyRun,
            '_' => Wildcard::One,
            other => Wildcard::Char(other),
        });
    }
    parts
}

/// SOQL LIKE: `%` any run, `_` one character, `\%` and `\_` literal. Greedy matching that
/// goes back to the last `%` on a mismatch, in memory linear in the text and the pattern
/// (not their product, which a long pattern over a long text would make gigabytes).
pub fn like(text: &str, pattern: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let parts = wildcards(pattern);
    let (mut t, mut p) = (0, 0);
    // Where the last `%` was seen: the part after it, and the text it has swallowed up to.
    let mut resume: Option<(usize, usize)> = None;
    while let Some(&c) = text.get(t) {
        match parts.get(p) {
            Some(Wildcard::AnyRun) => {
                p += 1;
                resume = Some((p, t));
                continue;
            }
            Some(Wildcard::One) => {
                (p, t) = (p + 1, t + 1);
                continue;
            }
            Some(Wildcard::Char(wanted)) if *wanted == c => {
                (p, t) = (p + 1, t + 1);
                continue;
            }
            _ => {}
        }
        let Some((after, swallowed)) = resume else {
            return false;
        };
        resume = Some((after, swallowed + 1));
        (p, t) = (after, swallowed + 1);
    }
    parts
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|part| *part == Wildcard::AnyRun))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Wildcard, like, wildcards};

    /// The textbook table: `row[j]` says whether the parts so far match `text[..j]`.
    fn like_by_table(text: &str, pattern: &str) -> bool {
        let text: Vec<char> = text.chars().collect();
        let mut row: Vec<bool> = (0..=text.len()).map(|j| j == 0).collect();
        for part in wildcards(pattern) {
            let mut next = vec![false; text.len() + 1];
            for j in 0..=text.len() {
                next[j] = match part {
                    Wildcard::AnyRun => row[j] || (j > 0 && next[j - 1]),
                    Wildcard::One => j > 0 && row[j - 1],
                    Wildcard::Char(c) => j > 0 && row[j - 1] && text[j - 1] == c,
                };
            }
            row = next;
        }
        row[text.len()]
    }

    proptest! {
        #[test]
        fn like_agrees_with_the_table(text in "[ab%_]{0,12}", pattern in r"[ab%_\\]{0,8}") {
            prop_assert_eq!(like(&text, &pattern), like_by_table(&text, &pattern));
        }
    }

    #[test]
    fn like_patterns() {
        assert!(like("jane@acme.test", "%@acme.test"));
        assert!(like("abc", "a_c"));
        assert!(!like("abbc", "a_c"));
        assert!(like("100%", "100\\%"));
        assert!(!like("1000", "100\\%"));
        assert!(like("", "%"));
        assert!(like("", ""));
        assert!(!like("a", ""));
        assert!(!like("", "_"));
        assert!(like("abcabd", "%ab_"));
        assert!(like("aXbXc", "a%b%c"));
        assert!(!like("aXbXc", "a%c%b"));
        assert!(like("a_b", "a\\_b"));
        assert!(!like("axb", "a\\_b"));
        assert!(like("ab", "ab%%"));
    }
}
