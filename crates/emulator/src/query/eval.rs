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
        Condition::And(a, b) | Condition::Or(a, b) => {
            collect(a, names);
            collect(b, names);
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
        Condition::And(a, b) => {
            holds(a, catalog, record, today) && holds(b, catalog, record, today)
        }
        Condition::Or(a, b) => holds(a, catalog, record, today) || holds(b, catalog, record, today),
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

/// SOQL LIKE: `%` any run, `_` one character, `\%` and `\_` literal.
pub fn like(text: &str, pattern: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let mut parts: Vec<Option<char>> = Vec::new();
    let mut chars = pattern.chars();
    let mut any_run = Vec::new();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(escaped) = chars.next() {
                    parts.push(Some(escaped));
                    any_run.push(false);
                }
            }
            '%' => {
                parts.push(None);
                any_run.push(true);
            }
            '_' => {
                parts.push(None);
                any_run.push(false);
            }
            other => {
                parts.push(Some(other));
                any_run.push(false);
            }
        }
    }
    // matches[i][j]: pattern[..i] matches text[..j]
    let mut matches = vec![vec![false; text.len() + 1]; parts.len() + 1];
    matches[0][0] = true;
    for i in 1..=parts.len() {
        for j in 0..=text.len() {
            matches[i][j] = if any_run[i - 1] {
                matches[i - 1][j] || (j > 0 && matches[i][j - 1])
            } else {
                j > 0 && matches[i - 1][j - 1] && parts[i - 1].is_none_or(|c| c == text[j - 1])
            };
        }
    }
    matches[parts.len()][text.len()]
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn like_patterns() {
        assert!(like("jane@acme.test", "%@acme.test"));
        assert!(like("abc", "a_c"));
        assert!(!like("abbc", "a_c"));
        assert!(like("100%", "100\\%"));
        assert!(!like("1000", "100\\%"));
        assert!(like("", "%"));
    }
}
