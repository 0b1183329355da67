//! The console's errors, each answered with a page that says what went wrong and what to do;
//! never a stack trace. A request that needs a login is sent to the login page (htmx
//! requests get `HX-Redirect`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use leadwire_core::permission::Permission;
use leadwire_store::StoreError;
use maud::html;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::layout;

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("log in to see this page")]
    LoginRequired {
        /// The page to come back to after the login.
        next: String,
    },
    #[error("your API key does not have the `{}` permission; add it to the key's permissions in the config", .0.as_str())]
    Forbidden(Permission),
    #[error("there is no such {0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error(
        "the form was not sent from this console page (its CSRF token is missing or stale); reload the page and try again"
    )]
    Csrf,
    #[error("too many failed logins from your address; try again in {retry_after} seconds")]
    TooManyLogins { retry_after: u64 },
    #[error("{0}")]
    Unavailable(String),
    #[error("the store could not answer: {0}")]
    Store(#[from] StoreError),
}

impl ConsoleError {
    fn status(&self) -> StatusCode {
        match self {
            Self::LoginRequired { .. } => StatusCode::SEE_OTHER,
            Self::Forbidden(_) | Self::Csrf => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooManyLogins { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// Where a login should come back to: `next` when it is a console page, else the overview.
pub fn console_path(next: &str) -> &str {
    let inside = next.starts_with("/console/") && !next.starts_with("/console//");
    if inside && !next.contains('\\') {
        next
    } else {
        "/console/"
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        if let Self::LoginRequired { next } = &self {
            let next = console_path(next);
            let target = format!("/console/login?next={}", encode(next));
            let mut response = Redirect::to(&target).into_response();
            if let Ok(value) = HeaderValue::from_str(&target) {
                response.headers_mut().insert("hx-redirect", value);
            }
            return response;
        }
        if let Self::Store(error) = &self {
            tracing::warn!(%error, "a console page could not read the store");
        }
        let status = self.status();
        let title = status.canonical_reason().unwrap_or("Error");
        let body = html! {
            p.error role="alert" { (self.to_string()) }
            p { a href="/console/" { "Back to the overview" } }
        };
        let mut response = (status, layout::bare(title, body)).into_response();
        if let Self::TooManyLogins { retry_after } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}

/// `text` percent-encoded for a query string value.
pub fn encode(text: &str) -> String {
    const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    utf8_percent_encode(text, QUERY_VALUE).to_string()
}

/// `text` percent-encoded as one path segment (a `/` in it is encoded too).
pub fn encode_segment(text: &str) -> String {
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    utf8_percent_encode(text, SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_only_return_to_console_pages() {
        assert_eq!(
            console_path("/console/log?type=success"),
            "/console/log?type=success"
        );
        for outside in [
            "https://evil.example/",
            "//evil.example",
            "/console//evil",
            "/users/track",
            "/console\\x",
        ] {
            assert_eq!(console_path(outside), "/console/", "{outside}");
        }
        assert_eq!(encode("/console/log?a=b c"), "/console/log%3Fa%3Db%20c");
        assert_eq!(encode_segment("Lead/MQL step"), "Lead%2FMQL%20step");
        assert_eq!(encode_segment("Lead Scoring/v2"), "Lead%20Scoring%2Fv2");
    }
}
