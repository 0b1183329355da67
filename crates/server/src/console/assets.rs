//! The console's static files, compiled into the binary: htmx (vendored, version in the
//! path) and the stylesheet (its content hash in the query, so both can be cached for good).

use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::state::AppState;

/// htmx 2.0.11, `dist/htmx.min.js` of the `htmx.org` npm package, unchanged.
const HTMX: &str = include_str!("../../assets/htmx-2.0.11.min.js");
pub const HTMX_PATH: &str = "/console/static/htmx-2.0.11.min.js";

const CSS: &str = include_str!("../../assets/console.css");
const CSS_PATH: &str = "/console/static/console.css";

/// The stylesheet's path with its content hash, so a new build is fetched at once.
pub fn css_path() -> &'static str {
    static PATH: LazyLock<String> = LazyLock::new(|| {
        let digest = Sha256::digest(CSS.as_bytes());
        let hash: String = digest[..6]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        format!("{CSS_PATH}?v={hash}")
    });
    &PATH
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(HTMX_PATH, get(|| async { asset("text/javascript", HTMX) }))
        .route(CSS_PATH, get(|| async { asset("text/css", CSS) }))
}

fn asset(content_type: &'static str, text: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        text,
    )
}
