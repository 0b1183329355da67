//! sObject Collections upsert: `PATCH …/composite/sobjects/Lead/{ExtIdField}` creates or updates up to 200 leads by external id; an external-id value repeated within the request fails every record carrying it.

use std::collections::HashMap;

use http::Method;
use serde_json::{Map, Value};

use super::collections::{records_body, type_error};
use super::results::{Operation, RecordResult, run_all};
use crate::dispatch::Call;
use crate::leads::{self, UpsertOutcome};
use crate::reply::Outcome;
use crate::stats::Written;
use leadwire_salesforce::errors::{ApiError, ApiErrorItem};

/// `PATCH …/composite/sobjects/Lead/{ExtIdField}`.
pub fn upsert(call: &Call, field: &str) -> Outcome {
    if *call.method != Method::PATCH {
        return Err(ApiError::method_not_allowed(call.method.as_str(), "PATCH"));
    }
    let catalog = &call.state.inner.catalog;
    let index = catalog
        .index_of(field)
        .filter(|index| catalog.at(*index).external_id)
        .ok_or_else(|| ApiError::external_id_field_not_found(field))?;
    let name = catalog.at(index).name.clone();
    let (all_or_none, records) = records_body(call)?;
    let values: Vec<Option<String>> = records
        .iter()
        .map(|record| external_value(call, index, record))
        .collect();
    let mut uses: HashMap<String, usize> = HashMap::new();
    for value in values.iter().flatten() {
        *uses.entry(value.to_ascii_lowercase()).or_default() += 1;
    }
    run_all(
        call,
        &records,
        all_or_none,
        Operation::Upsert,
        |position, record| {
            if let Some(error) = type_error(record) {
                return RecordResult::failed(None, error);
            }
            let Some(value) = &values[position] else {
                let error = ApiErrorItem::with_fields(
                    "MISSING_ARGUMENT",
                    format!("{name} not specified"),
                    vec![name.clone()],
                );
                return RecordResult::failed(None, error);
            };
            if uses
                .get(&value.to_ascii_lowercase())
                .is_some_and(|count| *count > 1)
            {
                let error = ApiErrorItem::with_fields(
                    "DUPLICATE_VALUE",
                    format!("Duplicate external id specified: {value}"),
                    Vec::new(),
                );
                return RecordResult::failed(None, error);
            }
            let raw = Value::Object(record.clone()).to_string();
            match leads::upsert(
                call.state,
                field,
                value,
                record,
                raw.as_bytes(),
                call.headers,
            ) {
                Ok(UpsertOutcome::Created(id)) => RecordResult::ok(id, Written::Created),
                Ok(UpsertOutcome::Updated(id)) => RecordResult::ok(id, Written::Updated),
                Ok(UpsertOutcome::Ambiguous(ids)) => {
                    RecordResult::failed(None, leads::duplicate_external_id(&ids))
                }
                Err(error) => RecordResult::from_error(None, error),
            }
        },
    )
}

/// The record's value of the external-id field (any key case), as text.
fn external_value(call: &Call, index: usize, record: &Map<String, Value>) -> Option<String> {
    record
        .iter()
        .find(|(key, _)| call.state.inner.catalog.index_of(key) == Some(index))
        .and_then(|(_, value)| match value {
            Value::String(text) if !text.is_empty() => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        })
}
