//! The Lead REST resources: `sobjects/Lead` (create, basic info), `sobjects/Lead/{id}` (get, update, delete) and `sobjects/Lead/{ExtIdField}/{value}` (get, upsert, delete).

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::body::parse_json;
use super::describe::object_summary;
use super::dispatch::{Call, query_param};
use super::leads::{self, UpsertOutcome};
use super::record::{lead_url, render};
use super::reply::{Answer, Outcome};
use super::stats::Written;
use leadwire_salesforce::errors::ApiError;
use leadwire_salesforce::ids::RecordId;

const ROW_METHODS: &str = "HEAD,GET,PATCH,DELETE";

fn object_body(call: &Call) -> Result<serde_json::Map<String, Value>, ApiError> {
    match parse_json(call.body)? {
        Value::Object(object) => Ok(object),
        Value::Array(_) => Err(ApiError::json_parser(
            "Cannot deserialize instance of Lead from START_ARRAY value [ or request may be missing a required field at [line:1, column:1]",
        )),
        _ => Err(ApiError::json_parser(
            "Cannot deserialize instance of Lead from VALUE_STRING or request may be missing a required field at [line:1, column:1]",
        )),
    }
}

fn save_result(id: &RecordId) -> Value {
    json!({"id": id.to_string(), "success": true, "errors": []})
}

/// `sobjects/Lead`: GET basic info, POST create.
pub fn collection(call: &Call) -> Outcome {
    match *call.method {
        Method::GET | Method::HEAD => {
            let recent: Vec<Value> = Vec::new();
            Ok(Answer::ok(
                json!({"objectDescribe": object_summary(call.version), "recentItems": recent}),
            ))
        }
        Method::POST => {
            let object = object_body(call)?;
            let id = leads::create(call.state, &object, call.body, call.headers)?;
            call.writes.add(Written::Created);
            let mut answer = Answer::with_status(StatusCode::CREATED, save_result(&id));
            answer.location = Some(lead_url(call.version, id.as_str()));
            Ok(answer)
        }
        _ => Err(ApiError::method_not_allowed(
            call.method.as_str(),
            "GET,HEAD,POST",
        )),
    }
}

/// Field indexes named by `?fields=A,B`, or `None` for all fields.
fn chosen_fields(call: &Call) -> Result<Option<Vec<usize>>, ApiError> {
    let Some(list) = query_param(call.query, "fields") else {
        return Ok(None);
    };
    let catalog = &call.state.inner.catalog;
    list.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| {
            catalog.index_of(name).ok_or_else(|| {
                ApiError::bad_request(
                    "INVALID_FIELD",
                    format!("No such column '{name}' on entity 'Lead'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// `sobjects/Lead/{id}`.
pub fn row(call: &Call, segment: &str) -> Outcome {
    match *call.method {
        Method::GET | Method::HEAD => {
            let record = leads::resolve(call.state, segment)?;
            let fields = chosen_fields(call)?;
            Ok(Answer::ok(render(
                &call.state.inner.catalog,
                &record,
                call.version,
                fields.as_deref(),
            )))
        }
        Method::PATCH => {
            let object = object_body(call)?;
            leads::update(call.state, segment, &object, call.body, call.headers)?;
            call.writes.add(Written::Updated);
            Ok(Answer::no_content())
        }
        Method::DELETE => {
            leads::delete(call.state, segment)?;
            call.writes.add(Written::Deleted);
            Ok(Answer::no_content())
        }
        _ => Err(ApiError::method_not_allowed(
            call.method.as_str(),
            ROW_METHODS,
        )),
    }
}

fn multiple_choices(call: &Call, ids: &[RecordId]) -> Answer {
    let urls: Vec<Value> = ids
        .iter()
        .map(|id| Value::String(lead_url(call.version, id.as_str())))
        .collect();
    Answer::with_status(StatusCode::MULTIPLE_CHOICES, Value::Array(urls))
}

fn major_version(version: &str) -> u32 {
    version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

/// `sobjects/Lead/{ExtIdField}/{value}`.
pub fn by_external_id(call: &Call, field: &str, raw_value: &str) -> Outcome {
    let value = percent_encoding::percent_decode_str(raw_value)
        .decode_utf8_lossy()
        .into_owned();
    match *call.method {
        Method::GET | Method::HEAD => {
            let (_, matches) = leads::find_by_external_id(call.state, field, &value)?;
            match matches.as_slice() {
                [] => Err(ApiError::resource_not_found()),
                [only] => {
                    let record = leads::resolve(call.state, only.as_str())?;
                    let fields = chosen_fields(call)?;
                    Ok(Answer::ok(render(
                        &call.state.inner.catalog,
                        &record,
                        call.version,
                        fields.as_deref(),
                    )))
                }
                many => Ok(multiple_choices(call, many)),
            }
        }
        Method::PATCH => {
            let object = object_body(call)?;
            let outcome =
                leads::upsert(call.state, field, &value, &object, call.body, call.headers)?;
            match &outcome {
                UpsertOutcome::Created(_) => call.writes.add(Written::Created),
                UpsertOutcome::Updated(_) => call.writes.add(Written::Updated),
                UpsertOutcome::Ambiguous(_) => {}
            }
            match outcome {
                UpsertOutcome::Created(id) => {
                    let mut answer = Answer::with_status(
                        StatusCode::CREATED,
                        json!({"id": id.to_string(), "errors": [], "success": true, "created": true}),
                    );
                    answer.location = Some(lead_url(call.version, id.as_str()));
                    Ok(answer)
                }
                UpsertOutcome::Updated(_) if major_version(call.version) < 46 => {
                    Ok(Answer::no_content())
                }
                UpsertOutcome::Updated(id) => Ok(Answer::ok(
                    json!({"id": id.to_string(), "errors": [], "success": true, "created": false}),
                )),
                UpsertOutcome::Ambiguous(ids) => Ok(multiple_choices(call, &ids)),
            }
        }
        Method::DELETE => {
            let (_, matches) = leads::find_by_external_id(call.state, field, &value)?;
            match matches.as_slice() {
                [] => Err(ApiError::resource_not_found()),
                [only] => {
                    leads::delete(call.state, only.as_str())?;
                    call.writes.add(Written::Deleted);
                    Ok(Answer::no_content())
                }
                many => Ok(multiple_choices(call, many)),
            }
        }
        _ => Err(ApiError::method_not_allowed(
            call.method.as_str(),
            ROW_METHODS,
        )),
    }
}
