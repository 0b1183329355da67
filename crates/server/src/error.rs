//! The one place where errors become HTTP responses. Every error body has Braze's shape:
//! `{"message": "<fatal error message>", "errors": [{"type": "...", ...}]}`.

use std::borrow::Cow;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use leadwire_store::StoreError;
use leadwire_store::ingest::ObjectError;
use serde::Serialize;

use leadwire_core::permission::Permission;

use crate::rate_limit::set_refusal_headers;

/// One entry of an `errors` array.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorItem {
    /// What is wrong and how to fix it (Braze calls this `type`).
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_array: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ErrorItem {
    pub fn new(kind: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            input_array: None,
            index: None,
            field: None,
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn at(mut self, input_array: &'static str, index: Option<usize>) -> Self {
        self.input_array = Some(input_array);
        self.index = index;
        self
    }
}

impl From<&ObjectError> for ErrorItem {
    fn from(error: &ObjectError) -> Self {
        let kind = if error.field.is_empty() {
            error.message.clone()
        } else {
            format!("{}: {}", error.field, error.message)
        };
        Self {
            kind,
            input_array: Some(error.input_array.as_str()),
            index: Some(error.index),
            field: (!error.field.is_empty()).then(|| error.field.clone()),
        }
    }
}

/// The API's errors.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing or unknown REST API key")]
    Unauthorized,
    #[error("the REST API key lacks the {} permission", permission.as_str())]
    Forbidden { permission: Permission },
    #[error("bad request")]
    BadRequest(Vec<ErrorItem>),
    #[error("more than 75 objects of one type")]
    MaxInputLengthExceeded(Vec<ErrorItem>),
    /// Braze's per-endpoint messages for too many ids (`message`).
    #[error("{message}")]
    TooManyIds {
        message: &'static str,
        errors: Vec<ErrorItem>,
    },
    /// A 400 with one of Braze's fatal messages, e.g. "Invalid Campaign ID".
    #[error("{message}")]
    Fatal {
        message: &'static str,
        errors: Vec<ErrorItem>,
    },
    /// The key's requests are over `server.rate_limit_requests`; `reset` is when its budget
    /// is full again (UTC epoch seconds), `retry_after` how many seconds until one request passes.
    #[error("rate limited")]
    RateLimited { reset: u64, retry_after: u64 },
    /// A send to a segment or a Connected Audience over the key's budget for its endpoint
    /// (`server.audience_send_requests_per_minute`, `limit`); `reset` is when that budget is
    /// full again (UTC epoch seconds), `retry_after` how many seconds until one request passes.
    #[error("too many sends to a segment or an audience")]
    AudienceSendLimited {
        limit: u32,
        reset: u64,
        retry_after: u64,
    },
    /// `POST /sends/id/create` past its daily number of new send ids; `reset` is the next
    /// UTC midnight (epoch seconds), `retry_after` the seconds until then.
    #[error("the daily send id limit is reached")]
    SendIdLimit { reset: u64, retry_after: u64 },
    /// The client's address sent too many requests with a missing or unknown key
    /// (`server.failed_auth_per_ip`); every request from it is refused for `retry_after` s.
    #[error("too many failed authentications")]
    FailedAuthLimited { reset: u64, retry_after: u64 },
    #[error("not found")]
    NotFound,
    /// A Braze endpoint leadwire will never serve (`routes::unsupported`): 404 naming it,
    /// with what to use instead, distinct from the unknown-path 404.
    #[error("{endpoint} is not supported by leadwire")]
    NotSupported {
        endpoint: &'static str,
        instead: &'static str,
    },
    /// `POST /users/export/segment` while an export of the segment runs (Braze: 429).
    #[error("an export of segment {segment_id} is running")]
    ExportRunning { segment_id: String },
    /// A segment export's bundle that is not written yet (or was removed).
    #[error("the export is not ready")]
    ExportNotReady,
    /// A known path asked with a method it does not answer.
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed { method: Method, path: String },
    /// The request took longer than `server.request_timeout_seconds`.
    #[error("the request took longer than {seconds} s")]
    RequestTimeout { seconds: u64 },
    /// No part of the request body arrived for `server.body_read_timeout_seconds`.
    #[error("no part of the request body arrived for {seconds} s")]
    BodyReadTimeout { seconds: u64 },
    /// Components of the node are down (`GET /readyz`): their names, nothing more.
    #[error("not ready: {}", components.join(", "))]
    NotReady { components: Vec<String> },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ApiError {
    /// A 400 with one error item.
    pub fn bad_request(item: ErrorItem) -> Self {
        Self::BadRequest(vec![item])
    }

    /// A 400 for a path parameter axum could not read (e.g. invalid UTF-8 once
    /// percent-decoded); `name` is the parameter and `expected` says what it should be.
    pub fn path(rejection: &PathRejection, name: &str, expected: &str) -> Self {
        Self::bad_request(
            ErrorItem::new(format!(
                "the `{name}` in the URL path could not be read ({}); send {expected}",
                rejection.body_text()
            ))
            .field(name),
        )
    }

    /// The fallback for a known path asked with the wrong method.
    pub async fn method_not_allowed(method: Method, uri: Uri) -> Self {
        Self::MethodNotAllowed {
            method,
            path: uri.path().to_owned(),
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    message: &'a str,
    errors: Vec<ErrorItem>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            Self::RateLimited { retry_after, .. }
            | Self::AudienceSendLimited { retry_after, .. }
            | Self::FailedAuthLimited { retry_after, .. }
            | Self::SendIdLimit { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        let own_budget = match &self {
            Self::SendIdLimit { reset, .. } => Some((leadwire_core::send_id::DAILY_LIMIT, *reset)),
            Self::AudienceSendLimited { limit, reset, .. } => Some((*limit, *reset)),
            _ => None,
        };
        let (status, message, errors): (StatusCode, Cow<'static, str>, Vec<ErrorItem>) = match self
        {
            Self::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "Unauthorized".into(),
                vec![ErrorItem::new(
                    "missing or unknown REST API key; send `Authorization: Bearer YOUR_REST_API_KEY` with a key from the config's [[api_keys]], without quotes",
                )],
            ),
            Self::Forbidden { permission } => (
                StatusCode::FORBIDDEN,
                "Access Denied".into(),
                vec![ErrorItem::new(format!(
                    "this REST API key lacks the `{}` permission; add it to the key's `permissions` in the config's [[api_keys]]",
                    permission.as_str()
                ))],
            ),
            Self::BadRequest(errors) => (StatusCode::BAD_REQUEST, "Bad Request".into(), errors),
            Self::MaxInputLengthExceeded(errors) => (
                StatusCode::BAD_REQUEST,
                "Max Input Length Exceeded".into(),
                errors,
            ),
            Self::TooManyIds { message, errors } => {
                (StatusCode::BAD_REQUEST, message.into(), errors)
            }
            Self::Fatal { message, errors } => (StatusCode::BAD_REQUEST, message.into(), errors),
            Self::RateLimited { reset, retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                "Rate Limited".into(),
                vec![ErrorItem::new(format!(
                    "this REST API key is over its rate limit (server.rate_limit_requests per server.rate_limit_window_seconds); retry after {retry_after} seconds, the whole budget is back at {reset} (UTC epoch seconds)"
                ))],
            ),
            Self::AudienceSendLimited {
                limit,
                reset,
                retry_after,
            } => (
                StatusCode::TOO_MANY_REQUESTS,
                "Rate Limited".into(),
                vec![ErrorItem::new(format!(
                    "this REST API key sent {limit} requests to a segment or a Connected Audience to this endpoint within a minute, the most allowed (server.audience_send_requests_per_minute); retry after {retry_after} seconds, the whole budget is back at {reset} (UTC epoch seconds). Sends to named recipients are not limited this way"
                ))],
            ),
            Self::SendIdLimit { reset, retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                "Rate Limited".into(),
                vec![ErrorItem::new(format!(
                    "{} new send ids (campaign_id and send_id pairs) were created today, the most Braze allows a day; reuse one of them, or retry after {retry_after} seconds, at {reset} (UTC epoch seconds, the next UTC midnight)",
                    leadwire_core::send_id::DAILY_LIMIT
                ))],
            ),
            Self::FailedAuthLimited { reset, retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                "Rate Limited".into(),
                vec![ErrorItem::new(format!(
                    "too many requests with a missing or unknown REST API key came from this address (server.failed_auth_per_ip per server.failed_auth_window_seconds); every request from it is refused for {retry_after} seconds, and the budget is whole again at {reset} (UTC epoch seconds)"
                ))],
            ),
            Self::NotSupported { endpoint, instead } => (
                StatusCode::NOT_FOUND,
                format!("{endpoint} is not supported by leadwire").into(),
                vec![ErrorItem::new(format!(
                    "{endpoint} is a Braze endpoint that leadwire does not serve: {instead}"
                ))],
            ),
            Self::ExportRunning { segment_id } => (
                StatusCode::TOO_MANY_REQUESTS,
                "Rate Limited".into(),
                vec![ErrorItem::new(format!(
                    "an export of segment `{segment_id}` is still running; one export per segment runs at a time, so wait for its callback and retry"
                ))
                .field("segment_id")],
            ),
            Self::ExportNotReady => (
                StatusCode::NOT_FOUND,
                "Not Found".into(),
                vec![ErrorItem::new(
                    "this export is not finished yet, or its files were removed; retry after the export's callback",
                )],
            ),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "Not Found".into(),
                vec![ErrorItem::new("no such endpoint")],
            ),
            Self::MethodNotAllowed { method, path } => (
                StatusCode::METHOD_NOT_ALLOWED,
                "Method Not Allowed".into(),
                vec![ErrorItem::new(format!(
                    "{method} is not allowed on {path}; use one of the methods in the `Allow` header"
                ))],
            ),
            Self::RequestTimeout { seconds } => (
                StatusCode::REQUEST_TIMEOUT,
                "Request Timeout".into(),
                vec![ErrorItem::new(format!(
                    "the request took longer than {seconds} seconds (server.request_timeout_seconds); send the whole body at once and retry"
                ))],
            ),
            Self::BodyReadTimeout { seconds } => (
                StatusCode::REQUEST_TIMEOUT,
                "Request Timeout".into(),
                vec![ErrorItem::new(format!(
                    "no part of the request body arrived for {seconds} seconds (server.body_read_timeout_seconds); send the body without pauses and retry"
                ))],
            ),
            Self::NotReady { components } => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable".into(),
                components
                    .into_iter()
                    .map(|name| {
                        ErrorItem::new(format!("{name} is not ready; the node's log says why"))
                            .field(name)
                    })
                    .collect(),
            ),
            Self::Store(error) => {
                tracing::error!(%error, "request failed in the store");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal Server Error".into(),
                    vec![ErrorItem::new(
                        "the request could not be stored; retry with backoff",
                    )],
                )
            }
        };
        let mut response = (
            status,
            Json(Body {
                message: &message,
                errors,
            }),
        )
            .into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some((limit, reset)) = own_budget {
            set_refusal_headers(response.headers_mut(), limit, reset);
        }
        response
    }
}
