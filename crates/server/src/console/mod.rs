//! The web console under `/console/`: server-rendered pages (maud) over the store and the
//! loaded config, for operators who log in with an API key that has `console.read`.
//!
//! Every page is a plain GET whose state is in its query string; every action is a POST form
//! carrying the session's CSRF token, answered with a 303 back (Post/Redirect/Get). htmx,
//! embedded in the binary, only improves what already works. The console keeps its own
//! login limit and sessions and is not behind the REST API's key check (see
//! [`owns`]). Start reading at [`router`], then `session` and `guard`.

mod assets;
mod context;
mod error;
mod guard;
mod layout;
mod login;
mod pages;
mod session;
mod settings;

use std::sync::Arc;

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;

pub use context::ConsoleContext;
pub use error::ConsoleError;
pub use session::{Operator, Sessions};
pub use settings::ConsoleSettings;

use crate::state::AppState;

/// The console's root path; every console path starts with it.
pub const ROOT: &str = "/console";

/// Whether the console answers `path` (so the REST API's key check leaves it alone).
pub fn owns(path: &str) -> bool {
    path == ROOT || path.starts_with("/console/")
}

/// The answer for a path no route matched: the console's 404 page under `/console/`, the
/// API's JSON 404 elsewhere.
pub async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if owns(uri.path()) {
        ConsoleError::NotFound("page".into()).into_response()
    } else {
        crate::error::ApiError::NotFound.into_response()
    }
}

/// What the console keeps while the node runs: its settings, the sessions, and what it
/// shows of the node.
pub struct Console {
    pub settings: ConsoleSettings,
    pub sessions: Sessions,
    pub context: ConsoleContext,
}

impl Console {
    pub fn new(settings: ConsoleSettings, context: ConsoleContext) -> Arc<Self> {
        Arc::new(Self {
            sessions: Sessions::new(&settings),
            settings,
            context,
        })
    }
}

/// The console's routes, each with its full path, behind the CSRF check and the security
/// headers.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route(ROOT, get(|| async { Redirect::to("/console/") }))
        .merge(assets::routes())
        .merge(login::routes())
        .merge(pages::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::csrf,
        ))
        .layer(axum::middleware::from_fn(guard::security_headers))
}
