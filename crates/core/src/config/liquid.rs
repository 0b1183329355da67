//! Every Liquid field of a config, and the hook that checks one ([`LiquidChecker`]; the
//! Liquid engine's implementation is `EngineChecker`).

use super::Config;
use super::diagnostics::{ConfigPath, Severity};
use super::templates::WebhookBody;
use crate::canvas::Step;

/// A problem inside one Liquid template, at a 1-based line and column of the template text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateProblem {
    pub severity: Severity,
    pub message: String,
    pub line: usize,
    pub column: usize,
    /// How to fix it.
    pub fix: String,
}

/// The variables a field may read besides `${...}` personalization tags and variables the
/// template assigns itself. Strict checking reports other variables as warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiquidScope {
    pub known_roots: Vec<&'static str>,
}

/// Variable roots every leadwire message field can read.
pub const MESSAGE_ROOTS: &[&str] = &[
    "custom_attribute",
    "event_properties",
    "canvas_entry_properties",
    "context",
    "api_trigger_properties",
    "campaign",
    "canvas",
    "subscribed_state",
];

/// Parses (and strictly checks) one Liquid template.
pub trait LiquidChecker {
    fn check(&self, template: &str, scope: &LiquidScope) -> Vec<TemplateProblem>;
}

/// A Liquid field of the config: where it is, its text and what it may read.
#[derive(Debug, Clone, PartialEq)]
pub struct LiquidField<'c> {
    pub path: ConfigPath,
    pub text: &'c str,
    pub scope: LiquidScope,
}

/// Every Liquid field: template URLs, header values and bodies, Content Blocks, and User
/// Update values.
pub fn liquid_fields(config: &Config) -> Vec<LiquidField<'_>> {
    let mut fields = Vec::new();
    for (index, template) in config.webhook_templates.iter().enumerate() {
        let path = ConfigPath::default().key("webhook_templates").index(index);
        let mut roots = MESSAGE_ROOTS.to_vec();
        roots.push("connections");
        if template.connection.is_some() {
            roots.push("connection");
        }
        let scope = LiquidScope { known_roots: roots };
        let mut push = |path: ConfigPath, text| {
            fields.push(LiquidField {
                path,
                text,
                scope: scope.clone(),
            })
        };
        push(path.key("url"), template.url.as_str());
        for (name, value) in template.headers.iter() {
            push(path.key("headers").key(name), value);
        }
        match &template.body {
            WebhookBody::None => {}
            WebhookBody::Raw(text) => push(path.key("body").key("raw"), text.as_str()),
            WebhookBody::Json(pairs) => {
                for (key, value) in pairs.iter() {
                    push(path.key("body").key("json").key(key), value);
                }
            }
        }
    }
    for (index, block) in config.content_blocks.iter().enumerate() {
        let mut known_roots = MESSAGE_ROOTS.to_vec();
        known_roots.extend(["connections", "connection"]);
        fields.push(LiquidField {
            path: ConfigPath::default()
                .key("content_blocks")
                .index(index)
                .key("content"),
            text: block.content.as_str(),
            scope: LiquidScope { known_roots },
        });
    }
    for (canvas_index, canvas) in config.canvases.iter().enumerate() {
        for (step_index, step) in canvas.steps.iter().enumerate() {
            let Step::UserUpdate(update) = step else {
                continue;
            };
            let path = ConfigPath::default()
                .key("canvases")
                .index(canvas_index)
                .key("steps")
                .index(step_index);
            let scope = LiquidScope {
                known_roots: MESSAGE_ROOTS.to_vec(),
            };
            for (index, attribute) in update.updates.iter().enumerate() {
                if let serde_json::Value::String(text) = &attribute.value {
                    fields.push(LiquidField {
                        path: path.key("updates").index(index).key("value"),
                        text,
                        scope: scope.clone(),
                    });
                }
            }
            if let Some(json) = &update.json {
                fields.push(LiquidField {
                    path: path.key("json"),
                    text: json,
                    scope,
                });
            }
        }
    }
    fields
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |tail| tail.chars().count())
        + 1;
    (line, column)
}
