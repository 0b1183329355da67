//! What a REST handler returns, and how every answer gets Salesforce's headers (`Content-Type`, `Sforce-Limit-Info`, `Cache-Control`).

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;
use http::header::{
    CACHE_CONTROL, CONTENT_TYPE, HeaderName, HeaderValue, LOCATION, WWW_AUTHENTICATE,
};
use serde_json::Value;

use leadwire_salesforce::errors::ApiError;

/// The JSON content type Salesforce sends.
pub const JSON_UTF8: &str = "application/json;charset=UTF-8";
/// The `Sforce-Limit-Info` header name.
pub const LIMIT_INFO: HeaderName = HeaderName::from_static("sforce-limit-info");

/// A successful REST answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Option<Value>,
    pub location: Option<String>,
    /// A CSV body (Bulk API 2.0 results), sent instead of `body` when set.
    pub csv: Option<String>,
}

impl Answer {
    /// 200 with a JSON body.
    pub fn ok(body: Value) -> Self {
        Self::with_status(StatusCode::OK, body)
    }

    /// A JSON body with another status.
    pub fn with_status(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
            location: None,
            csv: None,
        }
    }

    /// 200 with a `text/csv` body.
    pub fn csv(text: String) -> Self {
        Self {
            status: StatusCode::OK,
            body: None,
            location: None,
            csv: Some(text),
        }
    }

    /// A status with no body (e.g. 201 after an upload).
    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            body: None,
            location: None,
            csv: None,
        }
    }

    /// 204 No Content.
    pub fn no_content() -> Self {
        Self::empty(StatusCode::NO_CONTENT)
    }
}

/// The outcome of a REST handler.
pub type Outcome = Result<Answer, ApiError>;

/// Marks a response whose connection the server must drop instead of answering.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// Builds the HTTP response for an outcome.
pub fn into_response(outcome: Outcome, pretty: bool) -> Response {
    match outcome {
        Ok(Answer {
            status,
            csv: Some(text),
            ..
        }) => csv_response(status, text),
        Ok(answer) => {
            let mut response = json_response(answer.status, answer.body.as_ref(), pretty);
            if let Some(location) = answer.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
                response.headers_mut().insert(LOCATION, location);
            }
            response
        }
        Err(error) => {
            let mut response = json_response(error.status, Some(&error.body()), pretty);
            if error.status == StatusCode::UNAUTHORIZED {
                response
                    .headers_mut()
                    .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
            }
            response
        }
    }
}

/// A JSON response (or an empty one when `body` is `None`) with the standard headers.
pub fn json_response(status: StatusCode, body: Option<&Value>, pretty: bool) -> Response {
    let bytes = match body {
        Some(value) if pretty => serde_json::to_vec_pretty(value),
        Some(value) => serde_json::to_vec(value),
        None => Ok(Vec::new()),
    }
    .unwrap_or_default();
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("no-cache,must-revalidate,max-age=0,no-store,private"),
    );
    response
}

/// A `text/csv` response with the standard headers.
fn csv_response(status: StatusCode, text: String) -> Response {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/csv"));
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("no-cache,must-revalidate,max-age=0,no-store,private"),
    );
    response
}

/// Adds `Sforce-Limit-Info: api-usage=used/max`.
pub fn add_limit_info(response: &mut Response, used: u64, max: u64) {
    if let Ok(value) = HeaderValue::from_str(&format!("api-usage={used}/{max}")) {
        response.headers_mut().insert(LIMIT_INFO, value);
    }
}
