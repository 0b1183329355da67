//! Semantic checks of a parsed config: names that must be unique or must exist, secrets that
//! must come from the environment, URLs, delivery settings and trigger shapes. Canvas step
//! graphs are checked in `graph`, Liquid fields in `liquid`.

use std::collections::HashSet;

use serde_json::Value;

use super::batch::check_batch;
use super::bulk::check_bulk;
use super::connections::{WhenKeyUnset, is_env_var_name};
use super::diagnostics::{ConfigPath, Diagnostic};
use super::templates::{HttpMethod, WebhookBody, WebhookTemplate};
use super::{ApiKey, Config, SalesforceConnection};
use crate::campaign::{Campaign, DeliveryType, RATE_LIMIT_RANGE};
use crate::filters::Filter;
use crate::permission::Permission;
use crate::trigger::Trigger;

/// Runs every semantic check except the canvas graph and Liquid.
pub fn validate(config: &Config, problems: &mut Vec<Diagnostic>) {
    let root = ConfigPath::default();
    unique_names(
        &root.key("api_keys"),
        config.api_keys.iter().map(|key| key.name.as_str()),
        problems,
    );
    for (index, key) in config.api_keys.iter().enumerate() {
        api_key(&root.key("api_keys").index(index), key, problems);
    }
    unique_names(
        &root.key("salesforce_connections"),
        config
            .salesforce_connections
            .iter()
            .map(|connection| connection.name.as_str()),
        problems,
    );
    unique_names(
        &root.key("webhook_templates"),
        config
            .webhook_templates
            .iter()
            .map(|template| template.name.as_str()),
        problems,
    );
    unique_names(
        &root.key("campaigns"),
        config.campaigns.iter().map(Campaign::api_id),
        problems,
    );
    unique_names(
        &root.key("canvases"),
        config.canvases.iter().map(|canvas| canvas.api_id()),
        problems,
    );
    for (index, connection) in config.salesforce_connections.iter().enumerate() {
        salesforce_connection(
            &root.key("salesforce_connections").index(index),
            connection,
            problems,
        );
    }
    for (index, template) in config.webhook_templates.iter().enumerate() {
        webhook_template(
            &root.key("webhook_templates").index(index),
            template,
            config,
            problems,
        );
    }
    for (index, campaign) in config.campaigns.iter().enumerate() {
        campaign_settings(
            &root.key("campaigns").index(index),
            campaign,
            config,
            problems,
        );
    }
}

fn unique_names<'a>(
    list: &ConfigPath,
    names: impl Iterator<Item = &'a str>,
    problems: &mut Vec<Diagnostic>,
) {
    let mut seen = HashSet::new();
    for (index, name) in names.enumerate() {
        if name.trim().is_empty() {
            problems.push(Diagnostic::error(
                list.index(index).key("name"),
                "the name is empty",
                "give it a name",
            ));
        } else if !seen.insert(name) {
            problems.push(Diagnostic::error(
                list.index(index).key("name"),
                format!("`{name}` is declared twice"),
                "give each entry its own name (and api_id)",
            ));
        }
    }
}

fn api_key(path: &ConfigPath, key: &ApiKey, problems: &mut Vec<Diagnostic>) {
    match (&key.key, &key.key_env) {
        (Some(_), Some(_)) => problems.push(Diagnostic::error(
            path.key("key"),
            format!("API key `{}` has both `key` and `key_env`", key.name),
            "keep one: key_env = \"VARIABLE\" (recommended) or key = \"...\"",
        )),
        (None, None) => problems.push(Diagnostic::error(
            path.key("name"),
            format!("API key `{}` has no value", key.name),
            "add key_env = \"LEADWIRE_API_KEY\" and export the key in that variable",
        )),
        (None, Some(variable)) if !is_env_var_name(variable) => {
            problems.push(bad_env_name(path.key("key_env"), variable))
        }
        _ => {}
    }
    if key.when_unset == WhenKeyUnset::Generate && key.key_env.is_none() {
        problems.push(Diagnostic::error(
            path.key("when_unset"),
            format!(
                "API key `{}` has `when_unset = \"generate\"` but no `key_env`",
                key.name
            ),
            "add key_env = \"VARIABLE\", or remove when_unset",
        ));
    }
    for (index, permission) in key.permissions.iter().enumerate() {
        if Permission::from_name(permission).is_none() {
            problems.push(Diagnostic::warning(
                path.key("permissions").index(index),
                format!("unknown permission `{permission}`"),
                format!("use one of {}", Permission::known_names()),
            ));
        }
    }
}

fn bad_env_name(path: ConfigPath, variable: &str) -> Diagnostic {
    Diagnostic::error(
        path,
        format!("`{variable}` is not an environment variable name"),
        "use letters, digits and underscores, not starting with a digit (e.g. SALESFORCE_CLIENT_SECRET)",
    )
}

fn salesforce_connection(
    path: &ConfigPath,
    connection: &SalesforceConnection,
    problems: &mut Vec<Diagnostic>,
) {
    if connection.inline_client_secret.is_some() {
        problems.push(Diagnostic::error(
            path.key("client_secret"),
            format!("connection `{}` has its client secret written in the config file", connection.name),
            "remove client_secret and set client_secret_env = \"SALESFORCE_CLIENT_SECRET\", then export the secret in that variable",
        ));
    }
    match &connection.client_secret_env {
        None if connection.inline_client_secret.is_none() => problems.push(Diagnostic::error(
            path.key("name"),
            format!("connection `{}` has no client secret", connection.name),
            "add client_secret_env = \"SALESFORCE_CLIENT_SECRET\" and export the Consumer Secret in that variable",
        )),
        Some(variable) if !is_env_var_name(variable) => problems.push(bad_env_name(path.key("client_secret_env"), variable)),
        _ => {}
    }
    check_base_url(
        &path.key("instance_url"),
        &connection.instance_url,
        problems,
    );
    if let Some(login_url) = &connection.login_url {
        check_base_url(&path.key("login_url"), login_url, problems);
    }
}

fn check_base_url(path: &ConfigPath, text: &str, problems: &mut Vec<Diagnostic>) {
    let valid = url::Url::parse(text)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some());
    if valid.is_none() {
        problems.push(Diagnostic::error(
            path.clone(),
            format!("{text} is not a valid URL"),
            "write the full base URL, e.g. https://acme.my.salesforce.com or http://127.0.0.1:8443 for the emulator",
        ));
    }
}

fn webhook_template(
    path: &ConfigPath,
    template: &WebhookTemplate,
    config: &Config,
    problems: &mut Vec<Diagnostic>,
) {
    if let Some(connection) = &template.connection
        && config.connection(connection).is_none()
    {
        problems.push(Diagnostic::error(
            path.key("connection"),
            format!(
                "template `{}` names the unknown connection `{connection}`",
                template.name
            ),
            known(
                "declare it under [[salesforce_connections]] or use one of",
                config
                    .salesforce_connections
                    .iter()
                    .map(|c| c.name.as_str()),
            ),
        ));
    }
    if template.method == HttpMethod::GET && template.body != WebhookBody::None {
        problems.push(Diagnostic::error(
            path.key("body"),
            format!(
                "template `{}` is a GET with a body; a GET does not support a request body",
                template.name
            ),
            "remove the body or use POST, PUT or PATCH",
        ));
    }
    for (name, _) in template.headers.iter() {
        if name == "Content_Type" {
            problems.push(Diagnostic::warning(
                path.key("headers").key(name),
                "`Content_Type` is not the Content-Type header",
                "rename the header to Content-Type",
            ));
        } else if name.is_empty()
            || !name
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte))
        {
            problems.push(Diagnostic::error(
                path.key("headers").key(name),
                format!("`{name}` is not a valid HTTP header name"),
                "use letters, digits and dashes, e.g. Content-Type",
            ));
        }
    }
    check_batch(path, template, problems);
    check_bulk(path, template, problems);
    for (index, capture) in template.capture.iter().enumerate() {
        if capture.field.split('.').any(str::is_empty) {
            problems.push(Diagnostic::error(
                path.key("capture").index(index).key("field"),
                format!("`{}` is not a response field path", capture.field),
                "name a field of the response JSON, e.g. \"id\" or \"record.id\"",
            ));
        }
    }
}

fn campaign_settings(
    path: &ConfigPath,
    campaign: &Campaign,
    config: &Config,
    problems: &mut Vec<Diagnostic>,
) {
    if config.template(&campaign.template).is_none() {
        problems.push(unknown_template(
            path.key("template"),
            &campaign.template,
            config,
        ));
    }
    entry_triggers(
        path,
        "triggers",
        campaign.delivery,
        &campaign.triggers,
        problems,
    );
    if !campaign.exception_events.is_empty() && campaign.delay.is_none() {
        problems.push(Diagnostic::error(
            path.key("exception_events"),
            "exception events only apply to a campaign with a delay",
            "add delay = \"1h\" (or remove exception_events)",
        ));
    }
    triggers(
        &path.key("exception_events"),
        &campaign.exception_events,
        problems,
    );
    if let Some(limit) = campaign.rate_limit_per_minute
        && !RATE_LIMIT_RANGE.contains(&limit)
    {
        problems.push(Diagnostic::error(
            path.key("rate_limit_per_minute"),
            format!("a rate limit of {limit} per minute is outside Braze's range"),
            "choose a value from 10 to 500000, or remove it for no limit",
        ));
    }
}

/// Checks an entry trigger list against its delivery type, then each trigger.
pub(super) fn entry_triggers(
    path: &ConfigPath,
    field: &str,
    delivery: DeliveryType,
    list: &[Trigger],
    problems: &mut Vec<Diagnostic>,
) {
    match delivery {
        DeliveryType::ActionBased if list.is_empty() => problems.push(Diagnostic::error(
            path.key(field),
            "an action-based entry needs at least one trigger",
            format!("add {field} = [{{ type = \"add_email_address\" }}] or another trigger action"),
        )),
        DeliveryType::ApiTriggered | DeliveryType::Api if !list.is_empty() => {
            problems.push(Diagnostic::error(
                path.key(field),
                "an API-triggered entry or API campaign takes no trigger actions",
                format!("remove {field}, or make it action-based"),
            ));
        }
        _ => {}
    }
    triggers(&path.key(field), list, problems);
}

/// Braze allows a specific value only for booleans, integers and strings.
pub(super) fn triggers(path: &ConfigPath, list: &[Trigger], problems: &mut Vec<Diagnostic>) {
    for (index, trigger) in list.iter().enumerate() {
        if let Trigger::ChangeCustomAttributeValue {
            value: Some(value), ..
        } = trigger
        {
            let allowed =
                matches!(value, Value::Bool(_) | Value::String(_)) || value.as_i64().is_some();
            if !allowed {
                problems.push(Diagnostic::error(
                    path.index(index).key("value"),
                    format!("a specific value trigger cannot match {value}"),
                    "use a boolean, an integer or a string, or remove value to trigger on any new value",
                ));
            }
        }
    }
}

pub(super) fn unknown_template(path: ConfigPath, name: &str, config: &Config) -> Diagnostic {
    Diagnostic::error(
        path,
        format!("unknown webhook template `{name}`"),
        known(
            "declare it under [[webhook_templates]] or use one of",
            config.webhook_templates.iter().map(|t| t.name.as_str()),
        ),
    )
}

pub(super) fn known<'a>(prefix: &str, names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.map(|name| format!("`{name}`")).collect();
    if names.is_empty() {
        prefix.split(" or ").next().unwrap_or(prefix).to_owned()
    } else {
        format!("{prefix} {}", names.join(", "))
    }
}

/// Braze advises against filtering the audience on the attribute that triggers: the write
/// and the filter race. leadwire evaluates the trigger first, but the advice stands.
pub(super) fn trigger_attribute_in_audience(
    path: &ConfigPath,
    list: &[Trigger],
    audience: &[Filter],
    problems: &mut Vec<Diagnostic>,
) {
    for trigger in list {
        let Trigger::ChangeCustomAttributeValue { attribute, .. } = trigger else {
            continue;
        };
        if audience
            .iter()
            .any(|filter| filter_reads(filter, attribute))
        {
            problems.push(Diagnostic::warning(
                path.key("audience"),
                format!(
                    "the audience filters on `{attribute}`, which is also the trigger attribute"
                ),
                "filter on another attribute, or move the condition into the trigger's `value`",
            ));
        }
    }
}

fn filter_reads(filter: &Filter, name: &str) -> bool {
    match filter {
        Filter::Attribute { attribute, .. } => attribute == name,
        Filter::All(filters) | Filter::Any(filters) => {
            filters.iter().any(|inner| filter_reads(inner, name))
        }
        Filter::Segment(segment) => segment
            .resolved
            .iter()
            .flat_map(|filters| filters.iter())
            .any(|inner| filter_reads(inner, name)),
        Filter::EmailAvailable(_) | Filter::CustomEventCount { .. } => false,
    }
}
