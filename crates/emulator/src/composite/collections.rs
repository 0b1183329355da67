//! sObject Collections: create (POST), update (PATCH) and delete (DELETE) up to 200 leads, and upsert by external id (`PATCH …/composite/sobjects/Lead/{ExtIdField}`).

use http::Method;
use serde_json::{Map, Value, json};

use super::Snapshot;
use crate::body::parse_json;
use crate::dispatch::{Call, query_param};
use crate::leads::{self, UpsertOutcome};
use crate::reply::{Answer, Outcome};
use leadwire_salesforce::errors::{ApiError, ApiErrorItem};
use leadwire_salesforce::ids::RecordId;

const MAX_RECORDS: usize = 200;

/// One record's outcome.
struct RecordResult {
    id: Option<RecordId>,
    created: Option<bool>,
    error: Option<ApiErrorItem>,
}

impl RecordResult {
    fn ok(id: RecordId, created: Option<bool>) -> Self {
        Self {
            id: Some(id),
            created,
            error: None,
        }
    }

    fn failed(id: Option<RecordId>, error: ApiErrorItem) -> Self {
        Self {
            id,
            created: None,
            error: Some(error),
        }
    }

    fn to_json(&self) -> Value {
        let mut object = Map::new();
        if let Some(id) = &self.id {
            object.insert("id".into(), json!(id.to_string()));
        }
        object.insert("success".into(), json!(self.error.is_none()));
        let errors: Vec<Value> = self
            .error
            .iter()
            .map(ApiErrorItem::to_collection_json)
            .collect();
        object.insert("errors".into(), Value::Array(errors));
        if let Some(created) = self.created {
            object.insert("created".into(), json!(created));
        }
        Value::Object(object)
    }
}

fn first_error(error: ApiError) -> ApiErrorItem {
    error.errors.into_iter().next().unwrap_or_else(|| {
        ApiErrorItem::with_fields("UNKNOWN_EXCEPTION", "unknown error", Vec::new())
    })
}

fn rolled_back() -> ApiErrorItem {
    ApiErrorItem::with_fields(
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "Record rolled back because not all records were valid and the request was using AllOrNone header",
        Vec::new(),
    )
}

fn too_many() -> ApiError {
    ApiError::bad_request(
        "EXCEEDED_ID_LIMIT",
        "record limit reached. cannot submit more than 200 records into this call",
    )
}

/// Runs `apply` on every record; with `all_or_none`, any failure undoes them all.
fn run_all<T>(
    call: &Call,
    items: &[T],
    all_or_none: bool,
    keep_id_on_rollback: bool,
    apply: impl Fn(&T) -> RecordResult,
) -> Outcome {
    let snapshot = all_or_none.then(|| Snapshot::take(call.state));
    let mut results: Vec<RecordResult> = items.iter().map(apply).collect();
    if let Some(snapshot) = snapshot
        && results.iter().any(|result| result.error.is_some())
    {
        snapshot.restore(call.state);
        for result in &mut results {
            if result.error.is_none() {
                result.error = Some(rolled_back());
                result.created = None;
                if !keep_id_on_rollback {
                    result.id = None;
                }
            }
        }
    }
    Ok(Answer::ok(Value::Array(
        results.iter().map(RecordResult::to_json).collect(),
    )))
}

/// The `allOrNone` flag and the `records` array of a collections body.
fn records_body(call: &Call) -> Result<(bool, Vec<Map<String, Value>>), ApiError> {
    let body = parse_json(call.body)?;
    let all_or_none = body
        .get("allOrNone")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let Some(records) = body.get("records").and_then(Value::as_array) else {
        return Err(ApiError::json_parser(
            "The request body must be an object with a `records` array.",
        ));
    };
    if records.len() > MAX_RECORDS {
        return Err(too_many());
    }
    let records = records
        .iter()
        .map(|record| record.as_object().cloned().unwrap_or_default())
        .collect();
    Ok((all_or_none, records))
}

/// The error for a record that is not typed as a Lead.
fn type_error(record: &Map<String, Value>) -> Option<ApiErrorItem> {
    let kind = record
        .get("attributes")
        .and_then(|a| a.get("type"))
        .and_then(Value::as_str);
    match kind {
        Some(kind) if kind.eq_ignore_ascii_case("Lead") => None,
        Some(kind) => Some(ApiErrorItem::with_fields(
            "INVALID_TYPE",
            format!("sObject type '{kind}' is not supported."),
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

fn malformed_id(text: &str) -> ApiErrorItem {
    ApiErrorItem::with_fields("MALFORMED_ID", format!("malformed id {text}"), Vec::new())
}

/// `…/composite/sobjects`: POST creates, PATCH updates, DELETE deletes.
pub fn collections(call: &Call) -> Outcome {
    let state = call.state;
    match *call.method {
        Method::POST => {
            let (all_or_none, records) = records_body(call)?;
            run_all(call, &records, all_or_none, false, |record| {
                if let Some(error) = type_error(record) {
                    return RecordResult::failed(None, error);
                }
                if record_id(record).is_some() {
                    let error = ApiErrorItem::with_fields(
                        "INVALID_FIELD",
                        "cannot specify Id in an insert call",
                        vec!["Id".into()],
                    );
                    return RecordResult::failed(None, error);
                }
                let raw = Value::Object(record.clone()).to_string();
                match leads::create(state, record, raw.as_bytes(), call.headers) {
                    Ok(id) => RecordResult::ok(id, None),
                    Err(error) => RecordResult::failed(None, first_error(error)),
                }
            })
        }
        Method::PATCH => {
            let (all_or_none, records) = records_body(call)?;
            run_all(call, &records, all_or_none, true, |record| {
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
                let Some(id) = RecordId::parse(id_text) else {
                    return RecordResult::failed(None, malformed_id(id_text));
                };
                let mut fields = record.clone();
                fields.retain(|key, _| !key.eq_ignore_ascii_case("id"));
                let raw = Value::Object(fields.clone()).to_string();
                match leads::update(state, id.as_str(), &fields, raw.as_bytes(), call.headers) {
                    Ok(id) => RecordResult::ok(id, None),
                    Err(error) => RecordResult::failed(Some(id), first_error(error)),
                }
            })
        }
        Method::DELETE => {
            let ids: Vec<String> = query_param(call.query, "ids")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect();
            if ids.len() > MAX_RECORDS {
                return Err(too_many());
            }
            let all_or_none = query_param(call.query, "allOrNone")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            run_all(call, &ids, all_or_none, true, |text| {
                let Some(id) = RecordId::parse(text) else {
                    return RecordResult::failed(None, malformed_id(text));
                };
                match leads::delete(state, id.as_str()) {
                    Ok(id) => RecordResult::ok(id, None),
                    Err(error) => RecordResult::failed(Some(id), first_error(error)),
                }
            })
        }
        _ => Err(ApiError::method_not_allowed(
            call.method.as_str(),
            "DELETE,PATCH,POST",
        )),
    }
}

/// `PATCH …/composite/sobjects/Lead/{ExtIdField}`.
pub fn upsert(call: &Call, field: &str) -> Outcome {
    if *call.method != Method::PATCH {
        return Err(ApiError::method_not_allowed(call.method.as_str(), "PATCH"));
    }
    let state = call.state;
    let index = state
        .inner
        .catalog
        .index_of(field)
        .filter(|index| state.inner.catalog.at(*index).external_id)
        .ok_or_else(|| ApiError::external_id_field_not_found(field))?;
    let (all_or_none, records) = records_body(call)?;
    run_all(call, &records, all_or_none, false, |record| {
        if let Some(error) = type_error(record) {
            return RecordResult::failed(None, error);
        }
        let value = record
            .iter()
            .find(|(key, _)| state.inner.catalog.index_of(key) == Some(index))
            .and_then(|(_, value)| match value {
                Value::String(text) => Some(text.clone()),
                Value::Number(number) => Some(number.to_string()),
                _ => None,
            });
        let Some(value) = value else {
            let name = state.inner.catalog.at(index).name.clone();
            let error = ApiErrorItem::with_fields(
                "MISSING_ARGUMENT",
                format!("{name} not specified"),
                vec![name],
            );
            return RecordResult::failed(None, error);
        };
        let raw = Value::Object(record.clone()).to_string();
        match leads::upsert(state, field, &value, record, raw.as_bytes(), call.headers) {
            Ok(UpsertOutcome::Created(id)) => RecordResult::ok(id, Some(true)),
            Ok(UpsertOutcome::Updated(id)) => RecordResult::ok(id, Some(false)),
            Ok(UpsertOutcome::Ambiguous(ids)) => {
                let listed: Vec<String> = ids.iter().map(ToString::to_string).collect();
                let error = ApiErrorItem::with_fields(
                    "DUPLICATE_EXTERNAL_ID",
                    format!(
                        "Lead: more than one record found for external id field: [{}]",
                        listed.join(", ")
                    ),
                    Vec::new(),
                );
                RecordResult::failed(None, error)
            }
            Err(error) => RecordResult::failed(None, first_error(error)),
        }
    })
}
