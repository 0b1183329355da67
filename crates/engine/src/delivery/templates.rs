//! Webhook templates compiled once: every Liquid field parsed at start-up (a field that
//! includes Content Blocks is parsed with them at render time, see `blocks`), and which
//! connections' live tokens each template reads.

use std::collections::HashMap;
use std::sync::Arc;

use leadwire_core::config::{
    Config, HttpMethod, OrderedPairs, SendPriority, WebhookBody, WebhookTemplate,
};
use leadwire_core::queue::AdHocWebhook;
use leadwire_liquid::{Engine, Template, content_block_names};

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
    /// Parsed Liquid by field source text (identical texts share one parse); fields that
    /// include Content Blocks are not here.
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

/// A webhook given in a request, compiled like a template named `name`. It reads no
/// connection (none is offered to it).
pub fn compile_ad_hoc(
    engine: &Engine,
    name: &str,
    webhook: &AdHocWebhook,
) -> Result<CompiledTemplate, TemplateCompileError> {
    let method = match webhook.method.to_ascii_uppercase().as_str() {
        "GET" => HttpMethod::GET,
        "PUT" => HttpMethod::PUT,
        "PATCH" => HttpMethod::PATCH,
        "DELETE" => HttpMethod::DELETE,
        "POST" => HttpMethod::POST,
        other => {
            return Err(TemplateCompileError {
                template: name.to_owned(),
                field: "request_method".into(),
                message: format!("`{other}` is not POST, PUT, PATCH, DELETE or GET"),
            });
        }
    };
    let template = WebhookTemplate {
        name: name.to_owned(),
        url: webhook.url.clone(),
        method,
        connection: None,
        headers: OrderedPairs(webhook.headers.clone()),
        body: webhook
            .body
            .clone()
            .map_or(WebhookBody::None, WebhookBody::Raw),
        capture: Vec::new(),
        priority: SendPriority::default(),
        batch: None,
        bulk_threshold: None,
    };
    compile_one(engine, &Config::default(), &template)
}

fn compile_one(
    engine: &Engine,
    config: &Config,
    template: &WebhookTemplate,
) -> Result<CompiledTemplate, TemplateCompileError> {
    let mut fields = HashMap::new();
    let mut token_connections = Vec::new();
    for (field, source) in template_fields(template) {
        if !fields.contains_key(source) && content_block_names(source).is_empty() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use leadwire_liquid::{Globals, Outcome};

    #[test]
    fn templates_reading_a_connection_token_are_found_and_render_it() {
        let config: Config = toml::from_str(
            r#"
            [[salesforce_connections]]
            name = "sales-cloud"
            instance_url = "https://acme.my.salesforce.com"
            client_id = "id"
            client_secret_env = "SECRET"

            [[webhook_templates]]
            name = "Upsert"
            url = "{{connections.sales-cloud.instance_url}}/x/{{${braze_id}}}"
            method = "PATCH"
            headers = { Authorization = "Bearer {{connections.sales-cloud.access_token}}" }

            [[webhook_templates]]
            name = "Plain"
            url = "https://example.com/{{${user_id}}}"
            method = "GET"
            "#,
        )
        .expect("valid config");
        let engine = Engine::default();
        let compiled = CompiledTemplates::compile(&engine, &config).expect("compiles");
        let upsert = compiled.get("Upsert").expect("compiled");
        assert_eq!(upsert.token_connections, vec!["sales-cloud".to_owned()]);
        assert!(
            compiled
                .get("Plain")
                .expect("compiled")
                .token_connections
                .is_empty()
        );
        let variables = serde_json::json!({
            "connections": {"sales-cloud": {"access_token": "00Dx!tok", "instance_url": "https://i"}}
        });
        let user = serde_json::json!({"braze_id": "b-1"});
        let globals = Globals::new()
            .with_variables(variables.as_object().expect("object"))
            .with_user(user.as_object().expect("object"));
        let url = &upsert.fields[upsert.template.url.as_str()];
        assert_eq!(
            engine.render(url, &globals),
            Ok(Outcome::Rendered("https://i/x/b-1".into()))
        );
    }
}
