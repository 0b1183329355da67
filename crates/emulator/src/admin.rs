//! The admin API under `/__emulator/` (JSON, no Salesforce auth; an optional admin token): counters, faults, forced token expiry and reset.

use axum::body::Body;
use axum::response::Response;
use http::header::AUTHORIZATION;
use http::{Method, StatusCode, request::Parts};
use serde::Deserialize;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use super::dispatch::admin_error;
use super::faults::FaultSettings;
use super::reply::json_response;
use super::state::EmulatorState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FailNext {
    count: u32,
    #[serde(default = "default_status")]
    status: u16,
}

fn default_status() -> u16 {
    503
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DropNext {
    count: u32,
}

fn ok(value: Value) -> Response {
    json_response(StatusCode::OK, Some(&value), false)
}

type AdminResult = Result<Value, (StatusCode, String)>;

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, (StatusCode, String)> {
    serde_json::from_slice(body).map_err(|error| {
        (
            StatusCode::BAD_REQUEST,
            format!("invalid JSON body: {error}"),
        )
    })
}

fn bad_request(error: impl std::fmt::Display) -> (StatusCode, String) {
    (StatusCode::BAD_REQUEST, error.to_string())
}

fn authorised(state: &EmulatorState, parts: &Parts) -> bool {
    let Some(expected) = &state.config().admin_token else {
        return true;
    };
    parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| bool::from(given.as_bytes().ct_eq(expected.as_bytes())))
}

/// Serves one admin request.
pub async fn handle(state: &EmulatorState, parts: &Parts, body: Body) -> Response {
    if !authorised(state, parts) {
        return admin_error(
            StatusCode::UNAUTHORIZED,
            "the admin API needs `Authorization: Bearer <admin token>`",
        );
    }
    let Ok(body) = axum::body::to_bytes(body, 1024 * 1024).await else {
        return admin_error(
            StatusCode::BAD_REQUEST,
            "the request body could not be read",
        );
    };
    let path = parts.uri.path().trim_end_matches('/');
    let result: AdminResult = match (&parts.method, path) {
        (&Method::GET, "/__emulator/stats") => Ok(json!(state.stats())),
        (&Method::GET, "/__emulator/faults") => Ok(json!(state.faults())),
        (&Method::PUT | &Method::POST, "/__emulator/faults") => {
            parse::<FaultSettings>(&body).and_then(|settings| {
                state.set_faults(settings).map_err(bad_request)?;
                Ok(json!(state.faults()))
            })
        }
        (&Method::POST, "/__emulator/faults/fail-next") => {
            parse::<FailNext>(&body).and_then(|request| {
                state.fail_next(request.count, request.status).map_err(bad_request)?;
                Ok(json!(state.faults()))
            })
        }
        (&Method::POST, "/__emulator/faults/drop-next") => parse::<DropNext>(&body).map(|request| {
            state.drop_next(request.count);
            json!(state.faults())
        }),
        (&Method::POST, "/__emulator/tokens/expire") => Ok(json!({"expired": state.expire_tokens()})),
        (&Method::POST, "/__emulator/reset") => {
            state.reset();
            Ok(json!({"reset": true}))
        }
        (
            _,
            "/__emulator/stats"
            | "/__emulator/faults"
            | "/__emulator/faults/fail-next"
            | "/__emulator/faults/drop-next"
            | "/__emulator/tokens/expire"
            | "/__emulator/reset",
        ) => Err((StatusCode::METHOD_NOT_ALLOWED, "method not allowed on this admin endpoint".to_owned())),
        _ => Err((
            StatusCode::NOT_FOUND,
            "unknown admin endpoint; see /__emulator/stats, /faults, /faults/fail-next, /faults/drop-next, /tokens/expire, /reset".to_owned(),
        )),
    };
    match result {
        Ok(value) => ok(value),
        Err((status, message)) => admin_error(status, &message),
    }
}
