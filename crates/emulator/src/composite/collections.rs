//! sObject Collections create (POST), update (PATCH) and delete (DELETE) of up to 200 leads, and the request checks every collection operation shares (body shape, the 200-record cap, `attributes.type`, readable fields).

use std::collections::HashMap;

use http::Method;
use serde_json::{Map, Value};

use super::results::{Operation, RecordResult, run_all};
use crate::body::{parse_json, value_position};
use crate::dispatch::{Call, query_param};
use crate::leads;
use crate::reply::Outcome;
use crate::stats::Written;
use crate::validate::check_readable;
use leadwire_salesforce::errors::{ApiError, ApiErrorItem};
use leadwire_salesforce::ids::{LEAD_KEY_PREFIX, RecordId};

const MAX_RECORDS: usize = 200;
/// How many times one request may repeat an id it updates (Salesforce help article 000386990).
const MAX_REPEATED_UPDATES: usize = 12;

fn too_many() -> ApiError {
    ApiError::bad_request(
        "EXCEEDED_ID_LIMIT",
        "record limit reached. cannot submit more than 200 records into this call",
    )
}

/// The `allOrNone` flag and the `records` of a create, update or upsert body, checked the
/// way Salesforce reads a body: shape, then the 200-record cap, then every Lead record's
/// fields and value types (any failure is a 400 for the whole request).
pub fn records_body(call: &Call) -> Result<(bool, Vec<Map<String, Value>>), ApiError> {
    let body = parse_json(call.body)?;
    let all_or_none = match body.get("allOrNone") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(other) => {
            let (line, column) = value_position(call.body, "allOrNone");
            return Err(ApiError::json_parser(format!(
                "Cannot deserialize instance of boolean from {} or request may be missing a required field at [line:{line}, column:{column}]",
                json_token(other)
            )));
        }
    };
    let Some(records) = body.get("records").and_then(Value::as_array) else {
        return Err(ApiError::json_parser(
            "The request body must be an object with a `records` array.",
        ));
    };
    if records.len() > MAX_RECORDS {
        return Err(too_many());
    }
    let mut objects = Vec::with_capacity(records.len());
    for (position, record) in records.iter().enumerate() {
        let Some(object) = record.as_object() else {
            return Err(ApiError::json_parser(format!(
                "records[{position}] must be a JSON object with `attributes` and fields, not {}.",
                json_token(record)
            )));
        };
        if type_error(object).is_none() {
            check_readable(&call.state.inner.catalog, object, call.body)?;
        }
        objects.push(object.clone());
    }
    Ok((all_or_none, objects))
}

fn json_token(value: &Value) -> String {
    match value {
        Value::String(text) => format!("VALUE_STRING value {text}"),
        Value::Array(_) => "START_ARRAY value [".to_owned(),
        Value::Object(_) => "START_OBJECT value {".to_owned(),
        Value::Number(number) => format!("VALUE_NUMBER value {number}"),
        Value::Bool(flag) => format!("VALUE_{}", flag.to_string().to_uppercase()),
        Value::Null => "VALUE_NULL".to_owned(),
    }
}

/// The error for a record whose `attributes.type` is missing or is not Lead.
pub fn type_error(record: &Map<String, Value>) -> Option<ApiErrorItem> {
    let kind = record
        .get("attributes")
        .and_then(|a| a.get("type"))
        .and_then(Value::as_str);
    match kind {
        Some(kind) if kind.eq_ignore_ascii_case("Lead") => None,
        Some(kind) => Some(ApiErrorItem::with_fields(
            "INVALID_TYPE",
            format!(
                "sObject type '{kind}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
            ),
            Vec::new(),
        )),
        None => Some(ApiErrorItem::with_fields(
            "INVALID_TYPE",
            "Must send a concrete entity type.",
            Vec::new(),
        )),
    }
}

fn record_id(record: &Map<String, Value>) -> Option<&str> {
    record
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("id"))
        .and_then(|(_, value)| value.as_str())
}

fn wrong_type_id(text: &str) -> ApiErrorItem {
    ApiErrorItem::with_fields(
        "MALFORMED_ID",
        format!("Lead ID: id value of incorrect type: {text}"),
        vec!["Id".into()],
    )
}

fn invalid_cross_reference() -> ApiErrorItem {
    ApiErrorItem::with_fields(
        "INVALID_CROSS_REFERENCE_KEY",
        "invalid cross reference id",
        Vec::new(),
    )
}

/// Why an existing live lead cannot be written, or `None` when it can.
fn unwritable(call: &Call, id: &RecordId) -> Option<RecordResult> {
    match call.state.inner.leads.get(id) {
        None => Some(RecordResult::failed(None, invalid_cross_reference())),
        Some(record) if record.deleted => Some(RecordResult::from_error(
            Some(*id),
            ApiError::entity_is_deleted(),
        )),
        Some(_) => None,
    }
}

/// `…/composite/sobjects`: POST creates, PATCH updates, DELETE deletes.
pub fn collections(call: &Call) -> Outcome {
    match *call.method {
        Method::POST => create(call),
        Method::PATCH => update(call),
        Method::DELETE => delete(call),
        _ => Err(ApiError::method_not_allowed(
            call.method.as_str(),
            "DELETE,PATCH,POST",
        )),
    }
}

fn create(call: &Call) -> Outcome {
    let (all_or_none, records) = records_body(call)?;
    run_all(
        call,
        &records,
        all_or_none,
        Operation::Create,
        |_, record| {
            if let Some(error) = type_error(record) {
                return RecordResult::failed(None, error);
            }
            if record_id(record).is_some() {
                let error = ApiErrorItem::with_fields(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    "cannot specify Id in an insert call",
                    vec!["Id".into()],
                );
                return RecordResult::failed(None, error);
            }
            let raw = Value::Object(record.clone()).to_string();
            match leads::create(call.state, record, raw.as_bytes(), call.headers) {
                Ok(id) => RecordResult::ok(id, Written::Created),
                Err(error) => RecordResult::from_error(None, error),
            }
        },
    )
}

fn update(call: &Call) -> Outcome {
    let (all_or_none, records) = records_body(call)?;
    let mut seen: HashMap<RecordId, usize> = HashMap::new();
    run_all(
        call,
        &records,
        all_or_none,
        Operation::Update,
        |_, record| {
            if let Some(error) = type_error(record) {
                return RecordResult::failed(None, error);
            }
            let Some(id_text) = record_id(record) else {
                let error = ApiErrorItem::with_fields(
                    "MISSING_ARGUMENT",
                    "Id not specified in an update call",
                    Vec::new(),
                );
                return RecordResult::failed(None, error);
            };
            let Some(id) = RecordId::parse(id_text).filter(|id| id.key_prefix() == LEAD_KEY_PREFIX)
            else {
                return RecordResult::failed(None, wrong_type_id(id_text));
            };
            let repeats = seen.entry(id).or_default();
            *repeats += 1;
            if *repeats > MAX_REPEATED_UPDATES + 1 {
                let error = ApiErrorItem::with_fields(
                    "DUPLICATE_VALUE",
                    format!(
                        "Maximum number of duplicate updates in one batch ({MAX_REPEATED_UPDATES} allowed). Attempt to update Id more than once in this Api call: {id}"
                    ),
                    Vec::new(),
                );
                return RecordResult::failed(Some(id), error);
            }
            if let Some(failure) = unwritable(call, &id) {
                return failure;
            }
            let mut fields = record.clone();
            fields.retain(|key, _| !key.eq_ignore_ascii_case("id"));
            let raw = Value::Object(fields.clone()).to_string();
            match leads::update(
                call.state,
                id.as_str(),
                &fields,
                raw.as_bytes(),
                call.headers,
            ) {
                Ok(id) => RecordResult::ok(id, Written::Updated),
                Err(error) => RecordResult::from_error(Some(id), error),
            }
        },
    )
}

fn delete(call: &Call) -> Outcome {
    let ids: Vec<Map<String, Value>> = query_param(call.query, "ids")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| Map::from_iter([("Id".to_owned(), Value::String(id.to_owned()))]))
        .collect();
    if ids.len() > MAX_RECORDS {
        return Err(too_many());
    }
    let all_or_none =
        query_param(call.query, "allOrNone").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    run_all(call, &ids, all_or_none, Operation::Delete, |_, record| {
        let text = record_id(record).unwrap_or_default();
        let Some(id) = RecordId::parse(text) else {
            let error = ApiErrorItem::with_fields(
                "MALFORMED_ID",
                format!("malformed id {text}"),
                Vec::new(),
            );
            return RecordResult::failed(None, error);
        };
        if id.key_prefix() != LEAD_KEY_PREFIX {
            return RecordResult::failed(None, invalid_cross_reference());
        }
        if let Some(failure) = unwritable(call, &id) {
            return failure;
        }
        match leads::delete(call.state, id.as_str()) {
            Ok(id) => RecordResult::ok(id, Written::Deleted),
            Err(error) => RecordResult::from_error(Some(id), error),
        }
    })
}
