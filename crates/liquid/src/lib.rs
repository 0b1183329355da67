//! The Braze-dialect Liquid engine: templates are parsed once into a `Send + Sync` tree and
//! rendered many times.
//!
//! # Public API
//!
//! - [`Engine`]: `Engine::new(EngineOptions)` (or `Default`), optionally
//!   [`Engine::with_partials`] for `include`/`render`.
//!   - [`Engine::parse`]`(&str) -> Result<Template, ParseError>`; a [`ParseError`] has the
//!     line, column and an excerpt.
//!   - [`Engine::render`]`(&Template, &Globals) -> Result<Outcome, RenderError>` for
//!     templates without `connected_content` (one synchronous pass).
//!   - [`Engine::render_async`]`(&Template, &Globals, &dyn Fetcher, &dyn ResponseCache)`
//!     for any template: renders synchronously, and when a `connected_content` response is
//!     missing it awaits the [`Fetcher`], records the response and renders again.
//!   - [`Engine::render_step`] is the single synchronous pass behind both.
//! - [`Globals`]: what a render sees. `Globals::new().with_variables(&map)
//!   .with_user(&attributes)` (the `/users/track` attribute object, e.g. from
//!   `Profile::to_attributes_object()`), `.with_event_properties`, `.with_canvas_entry_properties`
//!   (also `context`), `.with_api_trigger_properties`, `.with_campaign`, `.with_canvas`,
//!   `.with_now` (frozen per render call).
//! - [`Outcome`]: `Rendered(String)` or `Aborted(Abort)`. An abort (`abort_message`, or
//!   `:retry` exhausted) is never mixed into output.
//! - [`EngineOptions`]: `strict_variables`, `strict_filters` (see [`EngineOptions::strict`])
//!   and [`Limits`] (output size, loop iterations, nesting depth, render time, format width,
//!   collection size), with safe defaults.
//! - `connected_content`: [`ConnectedRequest`] (method, URL, headers, body, credentials, the
//!   2 s timeout, 1 MB cap, no redirects, cache TTL, retry), [`Fetcher`] (async, object-safe),
//!   [`ResponseCache`] with [`MemoryCache`] and [`NoCache`]; the cache key is documented on
//!   [`ConnectedRequest::cache_key`].
//! - [`content_blocks`]: `{{content_blocks.${name}}}` expanded before parsing
//!   ([`expand_content_blocks`] with a [`ContentBlockSource`] the caller supplies), one
//!   level of nesting, a missing block an error naming it.
//! - Feature `http`: `http_fetcher::ReqwestFetcher`, the real [`Fetcher`] (used by the
//!   `leadwire liquid render` command; the delivery engine can reuse it).
//!
//! ```
//! use leadwire_liquid::{Engine, Globals, Outcome};
//! let engine = Engine::default();
//! let template = engine.parse("Hi {{${first_name}}}!").unwrap();
//! let user = serde_json::json!({"first_name": "Ada"});
//! let globals = Globals::new().with_user(user.as_object().unwrap());
//! assert_eq!(engine.render(&template, &globals).unwrap(), Outcome::Rendered("Hi Ada!".into()));
//! ```

mod ast;
mod budget;
pub mod connected_content;
pub mod content_blocks;
mod engine;
mod errors;
mod expr;
mod filters;
mod globals;
#[cfg(feature = "http")]
pub mod http_fetcher;
mod lexer;
mod limits;
mod parser;
mod render;
pub mod value;

pub use connected_content::{
    ConnectedRequest, ConnectedResponses, FetchError, FetchedResponse, Fetcher, HttpMethod,
    MemoryCache, NoCache, Recorded, ResponseCache,
};
pub use content_blocks::{
    ContentBlockError, ContentBlockSource, content_block_liquid_tag, content_block_names,
    expand_content_blocks,
};
pub use engine::{Engine, EngineOptions, Outcome, PartialSource, Step, Template};
pub use errors::{Abort, AbortKind, LimitKind, ParseError, RenderError};
pub use globals::Globals;
pub use limits::Limits;
pub use value::Value;
