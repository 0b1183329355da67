//! The Braze-compatible REST API: routes, auth, and the single place where errors become HTTP responses.
//!
//! [`app`] builds the router: `POST /users/track`, `/users/export/ids`, `/users/delete`,
//! `/users/alias/new`, each behind `Authorization: Bearer <key>` with a permission, a
//! request-body limit, and the rate-limit headers on every response.

pub mod auth;
pub mod config;
pub mod error;
pub mod rate_limit;
mod routes;
pub mod state;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tower_http::trace::TraceLayer;

pub use auth::ApiKeys;
pub use config::{ApiKeyConfig, ServerConfig};
pub use error::{ApiError, ErrorItem};
pub use state::AppState;

/// The API router over `state`.
pub fn app(state: AppState) -> Router {
    let body_limit = state.max_body_bytes;
    routes::router()
        .fallback(|| async { error::ApiError::NotFound })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rate_limit::rate_limit,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
