//! Webhook templates compiled once: every Liquid field parsed at start-up, and which
//! connections' live tokens each template reads.

use std::collections::HashMap;
use std::sync::Arc;

use leadwire_core::config::{Config, WebhookBody, WebhookTemplate};
use leadwire_liquid::{Engine, Template};

/// A template whose fields did not parse.
#[derive(Debug, thiserror::Error)]
#[error("webhook template `{template}`, field {field}: {message}")]
pub struct TemplateCompileError {
    pub template: String,
    pub field: String,
    pub message: String,
}

/// One template, ready to render.
#[derive(Debug)]
pub struct CompiledTemplate {
    pub template: WebhookTemplate,
    /// Parsed Liquid by field source text (identical texts share one parse).
    pub fields: HashMap<String, Arc<Template>>,
    /// Connections whose access token the template reads
    /// (`connections.<name>.…` or, for its own connection, `connection.access_token`).
    pub token_connections: Vec<String>,
}

/// Every template in the config.
#[derive(Debug, Default)]
pub struct CompiledTemplates {
    templates: HashMap<String, Arc<CompiledTemplate>>,
}

impl CompiledTemplates {
    pub fn compile(engine: &Engine, config: &Config) -> Result<Self, TemplateCompileError> {
        let mut templates = HashMap::new();
        for template in &config.webhook_templates {
            let compiled = compile_one(engine, config, template)?;
            templates.insert(template.name.clone(), Arc::new(compiled));
        }
        Ok(Self { templates })
    }

    pub fn get(&self, name: &str) -> Option<&Arc<CompiledTemplate>> {
        self.templates.get(name)
    }
}

/// Each Liquid field of a template as (field path, source), in rendering order.
pub fn template_fields(template: &WebhookTemplate) -> Vec<(String, &str)> {
    let mut fields = vec![("url".to_owned(), template.url.as_str())];
    for (name, value) in template.headers.iter() {
        fields.push((format!("headers.{name}"), value));
    }
    match &template.body {
        WebhookBody::None => {}
        WebhookBody::Raw(text) => fields.push(("body.raw".into(), text)),
        WebhookBody::Json(pairs) => {
            for (key, value) in pairs.iter() {
                fields.push((format!("body.json.{key}"), value));
            }
        }
    }
    fields
}

fn compile_one(
    engine: &Engine,
    config: &Config,
    template: &WebhookTemplate,
) -> Result<CompiledTemplate, TemplateCompileError> {
    let mut fields = HashMap::new();
    let mut token_connections = Vec::new();
    for (field, source) in template_fields(template) {
        if !fields.contains_key(source) {
            let parsed = engine.parse(source).map_err(|error| TemplateCompileError {
                template: template.name.clone(),
                field: field.clone(),
                message: error.to_string(),
            })?;
            fields.insert(source.to_owned(), Arc::new(parsed));
        }
        for connection in &config.salesforce_connections {
            let named = source.contains(&format!("connections.{}.", connection.name))
                || source.contains(&format!("connections['{}']", connection.name))
                || source.contains(&format!("connections[\"{}\"]", connection.name));
            let own = template.connection.as_deref() == Some(connection.name.as_str())
                && source.contains("connection.access_token");
            if (named || own) && !token_connections.contains(&connection.name) {
                token_connections.push(connection.name.clone());
            }
        }
    }
    Ok(CompiledTemplate {
        template: template.clone(),
        fields,
        token_connections,
    })
}
