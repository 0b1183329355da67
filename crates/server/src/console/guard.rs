//! The middleware every console request passes: security headers on the way out, and on the
//! way in the CSRF check of every POST. A POST must come from this site (`Sec-Fetch-Site`,
//! `Origin`) and, except the login form (which checks its own token), carry its session's
//! token as the form field `csrf` or the `X-CSRF-Token` header.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ConsoleError;
use super::session::{Operator, same_token};
use crate::state::AppState;

/// The login form's path; it checks its own token, since it has no session yet.
pub const LOGIN: &str = "/console/login";
/// The largest console form accepted.
const MAX_FORM_BYTES: usize = 256 * 1024;

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the console's security headers; pages are never cached.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let is_asset = request.uri().path().starts_with("/console/static/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !is_asset {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::VARY, HeaderValue::from_static("HX-Request, Cookie"));
    }
    response
}

/// Refuses a POST that another site sent, or that lacks its session's CSRF token.
pub async fn csrf(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    if cross_site(request.headers()) {
        return ConsoleError::Csrf.into_response();
    }
    if request.uri().path() == LOGIN {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let operator = match Operator::from_request_parts(&mut parts, &state).await {
        Ok(operator) => operator,
        Err(error) => return error.into_response(),
    };
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return ConsoleError::BadRequest(format!(
            "the form is larger than {} KB",
            MAX_FORM_BYTES / 1024
        ))
        .into_response();
    };
    let header_token = parts
        .headers
        .get("x-csrf-token")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let form_token = url::form_urlencoded::parse(&bytes)
        .find(|(name, _)| name == "csrf")
        .map(|(_, value)| value.into_owned());
    let presented = header_token.or(form_token).unwrap_or_default();
    if !same_token(&presented, &operator.csrf) {
        tracing::warn!(key = %operator.key_name, path = %parts.uri.path(), "console POST without its CSRF token refused");
        return ConsoleError::Csrf.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Whether the browser says the request came from another site: `Sec-Fetch-Site` other than
/// `same-origin` or `none`, or an `Origin` whose host is not the request's `Host`. Clients
/// that send neither (curl, tests) pass.
pub fn cross_site(headers: &HeaderMap) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|value: &HeaderValue| value.to_str().ok())
    };
    if let Some(site) = text("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    match (text("origin"), text("host")) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            !origin_host.eq_ignore_ascii_case(host)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn only_same_site_or_headerless_requests_pass() {
        assert!(!cross_site(&headers(&[])));
        assert!(!cross_site(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(!cross_site(&headers(&[
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(cross_site(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:8080")
        ])));
        assert!(cross_site(&headers(&[("origin", "null"), ("host", "a")])));
    }
}
