//! The emulator's router: one handler that parses Salesforce paths itself (trailing slashes, version prefixes, case-insensitive object names), applies faults, checks tokens and limits, and adds the standard headers.

use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use http::request::Parts;
use http::{HeaderMap, Method, StatusCode, header::HOST};
use serde_json::json;

use super::body::{self, check_json_content_type};
use super::describe::{describe, describe_global};
use super::discovery::{NEWEST_VERSION, OLDEST_VERSION, limits, resource_map, versions};
use super::families::ApiFamily;
use super::faults::FaultAction;
use super::reply::{Answer, DropConnection, Outcome, add_limit_info, into_response, json_response};
use super::state::EmulatorState;
use super::stats::Writes;
use super::{admin, bulk, composite, oauth, query, sobjects};
use leadwire_salesforce::errors::{ApiError, ApiErrorItem};

/// Largest request body accepted (composite requests with 200 records fit easily).
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Largest Bulk upload read to its end; past the kept limit its bytes are only drained, so
/// an oversized upload still gets Salesforce's answer.
const MAX_UPLOAD_DRAIN_BYTES: usize = 1024 * 1024 * 1024;

/// One authenticated REST call, as the resource handlers see it.
pub struct Call<'a> {
    pub state: &'a EmulatorState,
    pub method: &'a Method,
    /// The API version without the `v`, e.g. `60.0`.
    pub version: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    /// What the call wrote, for the counters of its API family.
    pub writes: &'a Writes,
}

/// The value of a query-string parameter, percent-decoded.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The axum router serving the whole emulator.
pub fn router(state: EmulatorState) -> Router {
    Router::new().fallback(handle).with_state(state)
}

async fn handle(State(state): State<EmulatorState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    if path == "/__emulator" || path.starts_with("/__emulator/") {
        return admin::handle(&state, &parts, body).await;
    }
    let endpoint = endpoint_label(&parts.method, path);
    let family = ApiFamily::of_path(path);
    let (latency, action) = state.inner.faults.decide();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let writes = Writes::default();
    let read = if bulk::is_upload(path) {
        body::read_keeping(body, bulk::MAX_UPLOAD_BYTES + 1, MAX_UPLOAD_DRAIN_BYTES).await
    } else {
        axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| ())
    };
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(()) => {
            state.inner.stats.record(&endpoint, family, None, &writes);
            let error =
                ApiError::json_parser("The request body could not be read or is larger than 8 MB.");
            return finish(&state, into_response(Err(error), false));
        }
    };
    let incoming = Incoming {
        parts: &parts,
        body: &bytes,
        pretty: parts
            .headers
            .get("x-prettyprint")
            .is_some_and(|v| v.as_bytes() == b"1"),
        family,
        writes: &writes,
    };
    let (token, response) = match action {
        FaultAction::Drop => {
            tracing::debug!(%endpoint, "fault: dropping the connection");
            state.inner.stats.record(&endpoint, family, None, &writes);
            return dropped();
        }
        FaultAction::Fail(status) => (None, injected_error(status, incoming.pretty)),
        FaultAction::Serve => serve(&state, &incoming),
        FaultAction::ServeThenDrop => {
            let (token, _answer) = serve(&state, &incoming);
            tracing::debug!(%endpoint, "fault: served, then dropping the connection");
            state
                .inner
                .stats
                .record(&endpoint, family, token.as_deref(), &writes);
            return dropped();
        }
    };
    state
        .inner
        .stats
        .record(&endpoint, family, token.as_deref(), &writes);
    finish(&state, response)
}

/// An answer the server never sends: its connection is closed instead.
fn dropped() -> Response {
    let mut response = Response::new(Body::empty());
    response.extensions_mut().insert(DropConnection);
    response
}

/// A request past the fault stage, as the router sees it.
struct Incoming<'a> {
    parts: &'a Parts,
    body: &'a [u8],
    pretty: bool,
    family: ApiFamily,
    writes: &'a Writes,
}

fn finish(state: &EmulatorState, mut response: Response) -> Response {
    add_limit_info(
        &mut response,
        state.inner.api_usage.load(Ordering::Relaxed),
        state.config().daily_api_limit,
    );
    response
}

fn injected_error(status: u16, pretty: bool) -> Response {
    let (status, item) = if status == 500 {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            ApiErrorItem::new(
                "UNKNOWN_EXCEPTION",
                "An unexpected error occurred. Please include this ErrorId if you contact support: 1538203127-55532 (-1244106434)",
            ),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            ApiErrorItem::new(
                "SERVER_UNAVAILABLE",
                "Server is temporarily unavailable. Please try again later.",
            ),
        )
    };
    into_response(Err(ApiError::one(status, item)), pretty)
}

/// A stable label for the request counters, e.g. `POST /sobjects/Lead/{id}`.
pub fn endpoint_label(method: &Method, path: &str) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let shape = match segments.as_slice() {
        ["services", "oauth2", rest @ ..] => format!("/services/oauth2/{}", rest.join("/")),
        ["services", "data"] => "/services/data".to_owned(),
        ["services", "data", _version, rest @ ..] => match rest {
            [] => "/".to_owned(),
            ["sobjects", object, "describe"] => format!("/sobjects/{object}/describe"),
            ["sobjects", object, _] => format!("/sobjects/{object}/{{id}}"),
            ["sobjects", object, field, _] => format!("/sobjects/{object}/{field}/{{value}}"),
            ["query" | "queryAll", _] => format!("/{}/{{locator}}", rest[0]),
            ["jobs", ..] => {
                bulk::endpoint_shape(rest).unwrap_or_else(|| format!("/{}", rest.join("/")))
            }
            other => format!("/{}", other.join("/")),
        },
        _ => "other".to_owned(),
    };
    format!("{method} {shape}")
}

fn instance_url(state: &EmulatorState, headers: &HeaderMap) -> String {
    state.instance_url().unwrap_or_else(|| {
        let host = headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("http://{host}")
    })
}

/// Serves a request that no fault intercepted; returns the accepted token, if any.
fn serve(state: &EmulatorState, incoming: &Incoming) -> (Option<String>, Response) {
    let (method, headers, body, pretty) = (
        &incoming.parts.method,
        &incoming.parts.headers,
        incoming.body,
        incoming.pretty,
    );
    let query = incoming.parts.uri.query();
    let segments: Vec<&str> = incoming
        .parts
        .uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match segments.as_slice() {
        ["services", "oauth2", endpoint] => {
            let base = instance_url(state, headers);
            let (status, value) = match (*endpoint, method) {
                ("token", &Method::POST) => oauth::token(state, &base, headers, body),
                ("revoke", &Method::POST | &Method::GET) => oauth::revoke(state, body, query),
                ("introspect", &Method::POST) => oauth::introspect(state, &base, headers, body),
                ("token" | "revoke" | "introspect", _) => {
                    return (
                        None,
                        into_response(
                            Err(ApiError::method_not_allowed(method.as_str(), "POST")),
                            pretty,
                        ),
                    );
                }
                _ => {
                    return (
                        None,
                        into_response(Err(ApiError::resource_not_found()), pretty),
                    );
                }
            };
            (None, json_response(status, value.as_ref(), pretty))
        }
        ["services", "data"] if matches!(*method, Method::GET | Method::HEAD) => {
            (None, into_response(Ok(Answer::ok(versions())), pretty))
        }
        ["services", "data"] => (
            None,
            into_response(
                Err(ApiError::method_not_allowed(method.as_str(), "GET,HEAD")),
                pretty,
            ),
        ),
        ["services", "data", version, rest @ ..] => {
            let (token, outcome) = versioned(state, incoming, version, rest);
            (token, into_response(outcome, pretty))
        }
        _ => (
            None,
            into_response(Err(ApiError::resource_not_found()), pretty),
        ),
    }
}

pub(crate) fn parse_version(segment: &str) -> Option<(u32, &str)> {
    let number = segment.strip_prefix('v')?;
    let (major, minor) = number.split_once('.')?;
    if minor != "0" {
        return None;
    }
    major.parse().ok().map(|major| (major, number))
}

fn versioned(
    state: &EmulatorState,
    incoming: &Incoming,
    version_segment: &str,
    rest: &[&str],
) -> (Option<String>, Outcome) {
    let headers = &incoming.parts.headers;
    let Some((major, version)) = parse_version(version_segment) else {
        return (None, Err(ApiError::resource_not_found()));
    };
    if major < OLDEST_VERSION {
        let retired = ApiErrorItem::new(
            "API_VERSION_RETIRED",
            format!(
                "API version {version} has been retired and is no longer supported. Use version {OLDEST_VERSION}.0 or later."
            ),
        );
        return (None, Err(ApiError::one(StatusCode::GONE, retired)));
    }
    if major > NEWEST_VERSION {
        return (None, Err(ApiError::resource_not_found()));
    }
    let Some(token) = oauth::authenticate(state, headers) else {
        return (None, Err(ApiError::invalid_session()));
    };
    if !state.charge_api_call(incoming.family) {
        return (Some(token), Err(ApiError::request_limit_exceeded()));
    }
    let method = &incoming.parts.method;
    let upload = matches!(rest, ["jobs", "ingest", _, _]) && *method == Method::PUT;
    if matches!(*method, Method::POST | Method::PATCH | Method::PUT)
        && !upload
        && let Err(unsupported) = check_json_content_type(headers)
    {
        return (Some(token), Err(unsupported));
    }
    let call = Call {
        state,
        method,
        version,
        query: incoming.parts.uri.query(),
        headers,
        body: incoming.body,
        writes: incoming.writes,
    };
    (Some(token), rest_resource(&call, rest))
}

fn read_only(call: &Call, answer: impl FnOnce() -> Answer) -> Outcome {
    match *call.method {
        Method::GET | Method::HEAD => Ok(answer()),
        _ => Err(ApiError::method_not_allowed(
            call.method.as_str(),
            "GET,HEAD",
        )),
    }
}

/// Routes a call under `/services/data/vXX.X/`.
pub fn rest_resource(call: &Call, rest: &[&str]) -> Outcome {
    let state = call.state;
    match rest {
        [] => read_only(call, || {
            Answer::ok(resource_map(
                call.version,
                &state.instance_url().unwrap_or_default(),
            ))
        }),
        ["limits"] => read_only(call, || {
            Answer::ok(limits(
                (
                    state.config().daily_api_limit,
                    state.inner.api_usage.load(Ordering::Relaxed),
                ),
                (
                    state.config().daily_bulk_batch_limit,
                    state.inner.stats.bulk.batches_used(),
                ),
            ))
        }),
        ["sobjects"] => read_only(call, || Answer::ok(describe_global(call.version))),
        ["sobjects", object, ..] if !object.eq_ignore_ascii_case("Lead") => {
            Err(ApiError::resource_not_found())
        }
        ["sobjects", _] => sobjects::collection(call),
        ["sobjects", _, describe_segment] if describe_segment.eq_ignore_ascii_case("describe") => {
            read_only(call, || {
                Answer::ok(describe(&state.inner.catalog, call.version))
            })
        }
        ["sobjects", _, id] => sobjects::row(call, id),
        ["sobjects", _, field, value] => sobjects::by_external_id(call, field, value),
        ["query"] => query::run(call, false),
        ["queryAll"] => query::run(call, true),
        ["query" | "queryAll", locator] => query::more(call, locator),
        ["composite"] => composite::composite(call),
        ["composite", "sobjects"] => composite::collections(call),
        ["composite", "sobjects", object, field] if object.eq_ignore_ascii_case("Lead") => {
            composite::upsert(call, field)
        }
        ["jobs", "ingest", rest @ ..] => bulk::ingest(call, rest),
        _ => Err(ApiError::resource_not_found()),
    }
}

/// A JSON error body for the admin endpoints.
pub fn admin_error(status: StatusCode, message: &str) -> Response {
    json_response(status, Some(&json!({"error": message})), false)
}
