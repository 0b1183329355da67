//! `POST …/composite`: up to 25 subrequests run in order, later ones reading earlier results through `@{referenceId.path}`.

use std::collections::HashMap;

use http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::Snapshot;
use crate::body::parse_json;
use crate::dispatch::{Call, parse_version, rest_resource};
use crate::reply::{Answer, Outcome};
use leadwire_salesforce::errors::ApiError;

const MAX_SUBREQUESTS: usize = 25;
const HALTED: &str =
    "The transaction was rolled back since another operation in the same transaction failed.";

struct Subrequest {
    method: Method,
    url: String,
    reference_id: String,
    body: Option<Value>,
}

fn invalid(message: String) -> ApiError {
    ApiError::bad_request("INVALID_INPUT", message)
}

fn subrequests(body: &Value) -> Result<Vec<Subrequest>, ApiError> {
    let Some(list) = body.get("compositeRequest").and_then(Value::as_array) else {
        return Err(invalid(
            "The request body must have a `compositeRequest` array.".into(),
        ));
    };
    if list.len() > MAX_SUBREQUESTS {
        return Err(invalid(format!(
            "The composite request has {} subrequests; the limit is {MAX_SUBREQUESTS}.",
            list.len()
        )));
    }
    let mut seen = Vec::new();
    list.iter()
        .enumerate()
        .map(|(position, item)| {
            let text = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_owned);
            let missing = |key: &str| invalid(format!("Subrequest {position} has no `{key}`."));
            let reference_id = text("referenceId").ok_or_else(|| missing("referenceId"))?;
            if seen.contains(&reference_id) {
                return Err(invalid(format!("Duplicate referenceId '{reference_id}'.")));
            }
            seen.push(reference_id.clone());
            let method = text("method").ok_or_else(|| missing("method"))?;
            let method =
                Method::from_bytes(method.to_ascii_uppercase().as_bytes()).map_err(|_| {
                    invalid(format!(
                        "Subrequest '{reference_id}' has an unknown method '{method}'."
                    ))
                })?;
            let url = text("url").ok_or_else(|| missing("url"))?;
            Ok(Subrequest {
                method,
                url,
                reference_id,
                body: item.get("body").cloned(),
            })
        })
        .collect()
}

/// Looks up `name.path[0].field` among earlier results.
fn lookup<'a>(
    results: &'a HashMap<String, Option<Value>>,
    reference: &str,
) -> Result<&'a Value, String> {
    let mut parts = reference.split('.');
    let name = parts.next().unwrap_or_default();
    let Some(Some(found)) = results.get(name) else {
        return Err(name.to_owned());
    };
    let mut value: &Value = found;
    for part in parts {
        let (key, index) = match part.split_once('[') {
            Some((key, rest)) => (key, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if !key.is_empty() {
            value = value.get(key).ok_or_else(|| name.to_owned())?;
        }
        if let Some(index) = index {
            value = value.get(index).ok_or_else(|| name.to_owned())?;
        }
    }
    Ok(value)
}

/// Replaces every `@{…}` in `text`; fails with the reference that has no value.
fn substitute(text: &str, results: &HashMap<String, Option<Value>>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("@{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let value = lookup(results, &after[..end])?;
        match value {
            Value::String(s) => out.push_str(s),
            other => out.push_str(&other.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn halted(reference_id: &str, message: &str) -> Value {
    json!({
        "body": [{"errorCode": "PROCESSING_HALTED", "message": message}],
        "httpHeaders": {},
        "httpStatusCode": 400,
        "referenceId": reference_id,
    })
}

fn run_one(call: &Call, sub: &Subrequest, url: &str, body: Option<&str>) -> Outcome {
    let (path, query) = match url.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (url, None),
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let ["services", "data", version, rest @ ..] = segments.as_slice() else {
        return Err(ApiError::resource_not_found());
    };
    let Some((_, version)) = parse_version(version) else {
        return Err(ApiError::resource_not_found());
    };
    let sub_call = Call {
        state: call.state,
        method: &sub.method,
        version,
        query,
        headers: call.headers,
        body: body.unwrap_or_default().as_bytes(),
        writes: call.writes,
    };
    rest_resource(&sub_call, rest)
}

/// `POST …/composite`.
pub fn composite(call: &Call) -> Outcome {
    if *call.method != Method::POST {
        return Err(ApiError::method_not_allowed(call.method.as_str(), "POST"));
    }
    let body = parse_json(call.body)?;
    let all_or_none = body
        .get("allOrNone")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let requests = subrequests(&body)?;
    let snapshot = all_or_none.then(|| Snapshot::take(call));
    let mut outputs: HashMap<String, Option<Value>> = HashMap::new();
    let mut responses: Vec<(bool, Value)> = Vec::with_capacity(requests.len());
    let mut failed = false;
    for sub in &requests {
        if all_or_none && failed {
            responses.push((false, halted(&sub.reference_id, HALTED)));
            continue;
        }
        let body_text = sub.body.as_ref().map(Value::to_string);
        let resolved = substitute(&sub.url, &outputs).and_then(|url| {
            body_text
                .as_deref()
                .map(|b| substitute(b, &outputs))
                .transpose()
                .map(|b| (url, b))
        });
        let (url, body_text) = match resolved {
            Ok(pair) => pair,
            Err(reference) => {
                failed = true;
                outputs.insert(sub.reference_id.clone(), None);
                let message = format!(
                    "Invalid reference specified. No value for {reference} found in the results of an earlier subrequest."
                );
                responses.push((true, halted(&sub.reference_id, &message)));
                continue;
            }
        };
        let (ok, status, value, location) = match run_one(call, sub, &url, body_text.as_deref()) {
            Ok(Answer {
                status,
                body,
                location,
                ..
            }) => (true, status, body.unwrap_or(Value::Null), location),
            Err(error) => (false, error.status, error.body(), None),
        };
        failed |= !ok;
        outputs.insert(sub.reference_id.clone(), ok.then(|| value.clone()));
        let mut headers = Map::new();
        if let Some(location) = location {
            headers.insert("Location".into(), Value::String(location));
        }
        responses.push((
            !ok,
            json!({
                "body": value,
                "httpHeaders": headers,
                "httpStatusCode": status.as_u16(),
                "referenceId": sub.reference_id,
            }),
        ));
    }
    if let Some(snapshot) = snapshot
        && failed
    {
        snapshot.restore(call);
        for ((is_failure, response), sub) in responses.iter_mut().zip(&requests) {
            if !*is_failure {
                *response = halted(&sub.reference_id, HALTED);
            }
        }
    }
    let list: Vec<Value> = responses
        .into_iter()
        .map(|(_, response)| response)
        .collect();
    Ok(Answer::with_status(
        StatusCode::OK,
        json!({"compositeResponse": list}),
    ))
}
