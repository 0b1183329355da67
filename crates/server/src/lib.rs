//! The Braze-compatible REST API: routes, auth, and the single place where errors become HTTP responses.
//!
//! [`app`] builds the router: `POST /users/track`, `/users/export/ids`, `/users/delete`,
//! `/users/alias/new`, each behind `Authorization: Bearer <key>` with a permission, a
//! request-body limit, a body-read timeout, a per-request timeout, a rate limit per key and
//! one per client address for failed authentication (see [`rate_limit`]), with the
//! rate-limit headers on every response; `GET /healthz`, `GET /readyz` and `GET /metrics`
//! answer without auth, outside the rate limits. Serve it with
//! `into_make_service_with_connect_info::<SocketAddr>()` so that the limit per address sees
//! addresses.
//!
//! With a [`console::Console`] in the state, the web console answers under `/console/`, with
//! its own login and sessions instead of the key check.

pub mod activity_filter;
pub mod auth;
pub mod config;
pub mod console;
pub mod error;
pub mod rate_limit;
pub mod readiness;
mod routes;
pub mod state;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

pub use auth::ApiKeys;
pub use config::{ApiKeyConfig, ServerConfig};
pub use error::{ApiError, ErrorItem};
pub use readiness::Readiness;
pub use routes::catalog::{config_items, register_config};
pub use state::{AppState, DomainConfig};

/// The API router over `state`.
pub fn app(state: AppState) -> Router {
    let body_limit = state.max_body_bytes;
    let router = match state.console {
        Some(_) => routes::router()
            .merge(console::router(&state))
            .fallback(console::not_found),
        None => routes::router().fallback(|| async { error::ApiError::NotFound }),
    };
    let api = router
        .method_not_allowed_fallback(error::ApiError::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rate_limit::guard,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyTimeoutLayer::new(state.body_read_timeout))
        .layer(axum::middleware::from_fn_with_state(state.clone(), timeout))
        .layer(TraceLayer::new_for_http())
        .with_state(state);
    Router::new()
        .fallback_service(api)
        .layer(axum::middleware::map_request(fold_slashes))
}

/// Middleware, run before routing: Braze clients join their base URL and a path with `/`,
/// so a base URL configured with a trailing `/` asks for `//users/track`. Runs of slashes
/// in the path are folded into one, so such a client reaches the route it means.
async fn fold_slashes(mut request: Request) -> Request {
    let uri = request.uri();
    if !uri.path().contains("//") {
        return request;
    }
    let mut folded = String::with_capacity(uri.path().len());
    for character in uri.path().chars() {
        if !(character == '/' && folded.ends_with('/')) {
            folded.push(character);
        }
    }
    if let Some(query) = uri.query() {
        folded.push('?');
        folded.push_str(query);
    }
    let mut parts = uri.clone().into_parts();
    if let Ok(path_and_query) = folded.parse() {
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    request
}

/// Middleware: answers 408 when a request, reading its body included, takes longer than
/// `server.request_timeout_seconds`.
async fn timeout(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(state.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::RequestTimeout {
            seconds: state.request_timeout.as_secs(),
        }
        .into_response(),
    }
}
