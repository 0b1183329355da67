//! Liquid for values the workers render themselves (User Update values and the JSON
//! composer): templates are parsed once and cached by their source.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use leadwire_liquid::{Engine, Globals, Outcome, Template};

#[derive(Default)]
pub(crate) struct TemplateCache {
    engine: Engine,
    parsed: RwLock<HashMap<String, Arc<Template>>>,
}

impl TemplateCache {
    /// Renders `source` with `globals`. An `abort_message`, a parse error, or a
    /// `connected_content` call (not available here) is an `Err` that says which.
    pub fn render(&self, source: &str, globals: &Globals) -> Result<String, String> {
        let template = self.template(source)?;
        match self.engine.render(&template, globals) {
            Ok(Outcome::Rendered(text)) => Ok(text),
            Ok(Outcome::Aborted(abort)) => Err(format!("aborted: {abort}")),
            Err(error) => Err(error.to_string()),
        }
    }

    fn template(&self, source: &str) -> Result<Arc<Template>, String> {
        let cached = self
            .parsed
            .read()
            .ok()
            .and_then(|parsed| parsed.get(source).cloned());
        if let Some(template) = cached {
            return Ok(template);
        }
        let template = Arc::new(
            self.engine
                .parse(source)
                .map_err(|error| error.to_string())?,
        );
        if let Ok(mut parsed) = self.parsed.write() {
            parsed.insert(source.to_owned(), template.clone());
        }
        Ok(template)
    }
}
