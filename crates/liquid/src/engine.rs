//! The engine: options, partials, compiled templates and the render entry points.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::ast::Block;
use crate::connected_content::{
    ConnectedRequest, ConnectedResponses, FetchError, Fetcher, MAX_RETRIES, Recorded, ResponseCache,
};
use crate::errors::{Abort, LimitKind, ParseError, RenderError};
use crate::globals::Globals;
use crate::limits::Limits;
use crate::parser::{ParseSettings, parse_template};
use crate::render::{Renderer, Stop};

/// Engine-wide settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct EngineOptions {
    /// Unknown variables are render errors instead of rendering empty.
    pub strict_variables: bool,
    /// Unknown filters are parse errors instead of passing the value through.
    pub strict_filters: bool,
    pub limits: Limits,
}

impl EngineOptions {
    /// Both strict checks on: for authoring tools.
    pub fn strict() -> Self {
        EngineOptions {
            strict_variables: true,
            strict_filters: true,
            limits: Limits::default(),
        }
    }
}

/// Where `include` and `render` find partials by name.
pub trait PartialSource: Send + Sync {
    fn get(&self, name: &str) -> Option<String>;
}

impl PartialSource for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).cloned()
    }
}

/// A compiled template: parse once, render many times from any thread.
#[derive(Debug)]
pub struct Template {
    pub(crate) root: Block,
    /// Expected output size, to allocate the output once.
    size_hint: usize,
}

/// How a render ended when it did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Rendered(String),
    /// `abort_message` ran or `:retry` calls were exhausted: nothing is sent.
    Aborted(Abort),
}

/// One synchronous render pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Done(Outcome),
    /// The render needs this `connected_content` response; fetch it, record it, render again.
    Fetch(ConnectedRequest),
}

/// Parses and renders templates. `Send + Sync`; share one behind an `Arc`.
pub struct Engine {
    options: EngineOptions,
    partials: Option<Arc<dyn PartialSource>>,
    partial_cache: RwLock<HashMap<String, Arc<Template>>>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(EngineOptions::default())
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// At most this many `connected_content` calls in one render call.
const MAX_FETCHES_PER_RENDER: usize = 32;

impl Engine {
    pub fn new(options: EngineOptions) -> Self {
        Engine {
            options,
            partials: None,
            partial_cache: RwLock::new(HashMap::new()),
        }
    }

    /// Sets the source of partials for `include` and `render`.
    pub fn with_partials(mut self, partials: Arc<dyn PartialSource>) -> Self {
        self.partials = Some(partials);
        self
    }

    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    fn settings(&self) -> ParseSettings {
        ParseSettings {
            strict: self.options.strict_filters,
            max_depth: self.options.limits.max_nesting_depth,
        }
    }

    /// Parses a template. Errors carry the line, column and an excerpt.
    pub fn parse(&self, source: &str) -> Result<Template, ParseError> {
        let root = parse_template(source, self.settings())?;
        let size_hint = root.size_hint();
        Ok(Template { root, size_hint })
    }

    pub(crate) fn partial(&self, name: &str) -> Result<Arc<Template>, RenderError> {
        if let Some(found) = self
            .partial_cache
            .read()
            .ok()
            .and_then(|cache| cache.get(name).cloned())
        {
            return Ok(found);
        }
        let source = self
            .partials
            .as_ref()
            .and_then(|p| p.get(name))
            .ok_or_else(|| RenderError::PartialNotFound(name.to_string()))?;
        let template = Arc::new(self.parse(&source)?);
        if let Ok(mut cache) = self.partial_cache.write() {
            cache.insert(name.to_string(), template.clone());
        }
        Ok(template)
    }

    /// One synchronous pass using the responses recorded so far.
    pub fn render_step(
        &self,
        template: &Template,
        globals: &Globals,
        responses: &ConnectedResponses,
    ) -> Result<Step, RenderError> {
        let mut renderer = Renderer::new(self, globals, responses);
        let mut out = String::with_capacity(template.size_hint);
        match renderer.render_block(&template.root, &mut out) {
            Ok(_) => Ok(Step::Done(Outcome::Rendered(out))),
            Err(Stop::Abort(abort)) => Ok(Step::Done(Outcome::Aborted(abort))),
            Err(Stop::Fetch(request)) => Ok(Step::Fetch(*request)),
            Err(Stop::Error(error)) => Err(error),
        }
    }

    /// Renders a template that makes no `connected_content` calls.
    pub fn render(&self, template: &Template, globals: &Globals) -> Result<Outcome, RenderError> {
        match self.render_step(template, globals, &ConnectedResponses::default())? {
            Step::Done(outcome) => Ok(outcome),
            Step::Fetch(_) => Err(RenderError::FetchNeeded),
        }
    }

    /// Renders a template, performing `connected_content` calls through `fetcher` and
    /// `cache`. Rendering itself never blocks: only the fetcher is awaited.
    pub async fn render_async(
        &self,
        template: &Template,
        globals: &Globals,
        fetcher: &dyn Fetcher,
        cache: &dyn ResponseCache,
    ) -> Result<Outcome, RenderError> {
        let mut responses = ConnectedResponses::default();
        loop {
            match self.render_step(template, globals, &responses)? {
                Step::Done(outcome) => return Ok(outcome),
                Step::Fetch(request) => {
                    if responses.len() >= MAX_FETCHES_PER_RENDER {
                        return Err(RenderError::Limit {
                            kind: LimitKind::ConnectedContentCalls,
                            limit: MAX_FETCHES_PER_RENDER as u64,
                        });
                    }
                    let recorded = fetch(&request, fetcher, cache, globals).await;
                    responses.record(&request, recorded);
                }
            }
        }
    }
}

/// Serves from cache, or fetches (with `:retry` up to five retries) and caches successes.
async fn fetch(
    request: &ConnectedRequest,
    fetcher: &dyn Fetcher,
    cache: &dyn ResponseCache,
    globals: &Globals,
) -> Recorded {
    let key = request.cache_key();
    if request.cache_ttl.is_some()
        && let Some(hit) = cache.get(&key, globals.now)
    {
        tracing::debug!(url = %request.url, "connected_content served from cache");
        return Recorded::Response(hit);
    }
    let attempts = if request.retry { MAX_RETRIES + 1 } else { 1 };
    let mut last_error = String::new();
    for attempt in 0..attempts {
        if attempt > 0 {
            fetcher.backoff(attempt).await;
        }
        match fetcher.fetch(request).await {
            Ok(response) if response.status < 500 || !request.retry => {
                let cacheable = (200..300).contains(&response.status)
                    && response.body.len() <= request.max_response_bytes;
                if let (Some(ttl), true) = (request.cache_ttl, cacheable) {
                    cache.put(&key, &response, ttl, globals.now);
                }
                return Recorded::Response(response);
            }
            Ok(response) => last_error = format!("HTTP {}", response.status),
            Err(error) if !request.retry => {
                tracing::warn!(url = %request.url, %error, "connected_content failed");
                return Recorded::Failed(error);
            }
            Err(error) => last_error = error.to_string(),
        }
        tracing::warn!(url = %request.url, attempt, error = %last_error, "connected_content attempt failed");
    }
    Recorded::RetriesExhausted(last_error)
}

impl From<FetchError> for Recorded {
    fn from(error: FetchError) -> Self {
        Recorded::Failed(error)
    }
}
