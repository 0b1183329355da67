//! The domain half of the config as the node parsed it: API keys, Salesforce connections,
//! webhook templates, campaigns and canvases with their steps. Keys and client secrets are
//! shown by where they come from, never by value; template headers by name only.

use leadwire_core::campaign::{Campaign, DeliveryType};
use leadwire_core::canvas::{Canvas, Step};
use leadwire_core::config::{
    ApiKey, CaptureTarget, Config, SalesforceConnection, WebhookBody, WebhookTemplate,
};
use leadwire_core::time::Interval;
use leadwire_core::trigger::Trigger;
use leadwire_engine::delivery::redact::Redactor;
use maud::{Markup, html};

use super::runtime::span;
use crate::console::pages::widgets::empty;

/// Every domain section, each under its own heading.
pub fn domain(config: &Config) -> Markup {
    html! {
        (section("api-keys", "API keys", api_keys(&config.api_keys)))
        (section("connections", "Salesforce connections", connections(&config.salesforce_connections)))
        (section("templates", "Webhook templates", templates(&config.webhook_templates)))
        (section("campaigns", "Campaigns", campaigns(&config.campaigns)))
        (section("canvases", "Canvases", canvases(&config.canvases)))
    }
}

fn section(id: &str, title: &str, body: Markup) -> Markup {
    let heading = format!("{id}-heading");
    html! {
        section id=(id) aria-labelledby=(heading) {
            h2 id=(heading) { (title) }
            (body)
        }
    }
}

fn api_keys(keys: &[ApiKey]) -> Markup {
    if keys.is_empty() {
        return empty(
            "No [[api_keys]] in the config: the node uses [[server.api_keys]] or, without any, a temporary key it logs at start.",
        );
    }
    html! {
        div.scroll { table {
            thead { tr { th { "Name" } th { "Key" } th { "Permissions" } } }
            tbody { @for key in keys { tr {
                td { (key.name) }
                td { (key_source(key)) }
                td { @if key.permissions.is_empty() { span.muted { "none" } } @else { (key.permissions.join(", ")) } }
            } } }
        } }
    }
}

/// Where a key comes from; never the key.
fn key_source(key: &ApiKey) -> Markup {
    match (&key.key_env, &key.key) {
        (Some(variable), _) => html! { "environment variable " code { (variable) } },
        (None, Some(_)) => html! { "written in the file (hidden)" },
        (None, None) => html! { span.muted { "none" } },
    }
}

fn connections(connections: &[SalesforceConnection]) -> Markup {
    if connections.is_empty() {
        return empty(
            "No [[salesforce_connections]]: add one with instance_url, client_id and client_secret_env to send with a Salesforce token.",
        );
    }
    html! {
        div.scroll { table {
            thead { tr { th { "Name" } th { "Instance URL" } th { "Login URL" } th { "Client id" } th { "Client secret" } } }
            tbody { @for connection in connections { tr {
                td { (connection.name) }
                td { code { (connection.instance_url) } }
                td { code { (connection.login_url()) } }
                td { code { (connection.client_id) } }
                td { @match &connection.client_secret_env {
                    Some(variable) => { "environment variable " code { (variable) } },
                    None => span.muted { "none" },
                } }
            } } }
        } }
    }
}

fn templates(templates: &[WebhookTemplate]) -> Markup {
    if templates.is_empty() {
        return empty(
            "No [[webhook_templates]]: nothing is sent. Start from examples/create-lead-upsert.toml.",
        );
    }
    // Secret query fields and passwords in a URL are hidden as the activity log hides them.
    let redactor = Redactor::new(Vec::new());
    html! {
        div.scroll { table {
            thead { tr { th { "Name" } th { "Request" } th { "Connection" } th { "Headers" } th { "Body" } th { "Captures" } } }
            tbody { @for template in templates { tr {
                td { (template.name) }
                td { (template.method.as_str()) " " code { (redactor.url(&template.url)) } }
                td { @match &template.connection { Some(name) => (name), None => span.muted { "none" } } }
                td { @if template.headers.0.is_empty() { span.muted { "none" } } @else {
                    @for (index, (name, _)) in template.headers.iter().enumerate() {
                        @if index > 0 { ", " } code { (name) }
                    }
                } }
                td { (body(&template.body)) }
                td { @if template.capture.is_empty() { span.muted { "none" } } @else {
                    ul { @for capture in &template.capture { li { code { (capture.field) } " → " (capture_target(&capture.save_to)) } } }
                } }
            } } }
        } }
    }
}

fn body(body: &WebhookBody) -> Markup {
    match body {
        WebhookBody::None => html! { span.muted { "none" } },
        WebhookBody::Json(fields) => html! {
            "JSON: " @for (index, (name, _)) in fields.iter().enumerate() {
                @if index > 0 { ", " } code { (name) }
            }
        },
        WebhookBody::Raw(text) => html! { "raw, " (text.chars().count()) " characters" },
    }
}

fn capture_target(target: &CaptureTarget) -> String {
    match target {
        CaptureTarget::ExternalId => "external_id".into(),
        CaptureTarget::CustomAttribute(name) => {
            format!("custom_attribute.{name}")
        }
    }
}

fn campaigns(campaigns: &[Campaign]) -> Markup {
    if campaigns.is_empty() {
        return empty("No [[campaigns]]: add one to send a template when users do something.");
    }
    html! {
        div.scroll { table {
            thead { tr {
                th { "Name" } th { "API id" } th { "Delivery" } th { "Template" } th { "Triggers" }
                th.num { "Audience filters" } th { "Delay" } th { "Re-eligible" } th { "Rate limit" }
            } }
            tbody { @for campaign in campaigns { tr data-campaign=(campaign.name) {
                td { (campaign.name) }
                td { code { (campaign.api_id()) } }
                td { (delivery(campaign.delivery)) }
                td { (campaign.template) }
                td { (triggers(&campaign.triggers)) }
                td.num { (campaign.audience.len()) }
                td { (optional_span(campaign.delay, "none")) }
                td { (optional_span(campaign.reeligible_after, "never: once per user")) }
                td { @match campaign.rate_limit_per_minute {
                    Some(limit) => { (limit) " per minute" },
                    None => span.muted { "unlimited" },
                } }
            } } }
        } }
    }
}

fn canvases(canvases: &[Canvas]) -> Markup {
    if canvases.is_empty() {
        return empty("No [[canvases]]: add one to move users through steps.");
    }
    html! { @for canvas in canvases { (canvas_tree(canvas)) } }
}

fn canvas_tree(canvas: &Canvas) -> Markup {
    html! {
        article.canvas data-canvas=(canvas.name) aria-label={ "Canvas " (canvas.name) } {
            h3 { (canvas.name) }
            dl.facts {
                dt { "API id" } dd { code { (canvas.api_id()) } }
                dt { "Entry" } dd { (delivery(canvas.entry_schedule)) }
                dt { "Entry triggers" } dd { (triggers(&canvas.entry_triggers)) }
                dt { "Audience filters" } dd { (canvas.audience.len()) }
                dt { "Re-entry" } dd { (optional_span(canvas.allow_reentry_after, "never: once per user")) }
                dt { "Exit events" } dd { (triggers(&canvas.exit_events)) }
                dt { "First step" } dd { @match canvas.first_step_name() { Some(name) => (name), None => span.muted { "none" } } }
            }
            div.scroll { table.steps {
                thead { tr { th { "Step" } th { "Type" } th { "Detail" } th { "Paths" } } }
                tbody { @for step in &canvas.steps { tr data-step=(step.name()) {
                    td { (step.name()) }
                    td { code { (step.type_name()) } }
                    td { (step_detail(step)) }
                    td { ul { @for (label, next) in step.paths() {
                        li { (label) " → " @match next { Some(next) => (next), None => span.muted { "exit" } } }
                    } } }
                } } }
            } }
        }
    }
}

fn step_detail(step: &Step) -> Markup {
    match step {
        Step::Message(message) => html! { "template " (message.template) },
        Step::Delay(delay) => html! { "wait " (span(delay.duration)) },
        Step::ActionPaths(paths) => html! {
            "window " (span(paths.window)) @if paths.ranked { ", ranked" }
        },
        Step::UserUpdate(update) => {
            html! { (update.updates.len()) " attribute updates" @if update.json.is_some() { ", a JSON composer" } }
        }
        Step::AudiencePaths(paths) => html! { (paths.groups.len()) " groups" },
        Step::DecisionSplit(split) => html! { (split.filters.len()) " filters" },
    }
}

fn delivery(kind: DeliveryType) -> &'static str {
    match kind {
        DeliveryType::ActionBased => "action-based",
        DeliveryType::ApiTriggered => "API-triggered",
        DeliveryType::Api => "API campaign",
    }
}

fn optional_span(interval: Option<Interval>, none: &str) -> Markup {
    match interval {
        Some(interval) => html! { (span(interval)) },
        None => html! { span.muted { (none) } },
    }
}

fn triggers(triggers: &[Trigger]) -> Markup {
    if triggers.is_empty() {
        return html! { span.muted { "none" } };
    }
    html! { ul { @for trigger in triggers { li { (trigger_label(trigger)) } } } }
}

/// A trigger action as Braze's editor names it, with what it is narrowed to.
fn trigger_label(trigger: &Trigger) -> Markup {
    let filters = |count: usize| html! { @if count > 0 { " (" (count) " property filters)" } };
    match trigger {
        Trigger::AddEmailAddress => html! { "Add an Email Address" },
        Trigger::ChangeCustomAttributeValue { attribute, value } => html! {
            "Change Custom Attribute Value " code { (attribute) }
            @if let Some(value) = value { " to " code { (value.to_string()) } }
        },
        Trigger::PerformCustomEvent {
            event,
            property_filters,
        } => html! { "Perform Custom Event " code { (event) } (filters(property_filters.len())) },
        Trigger::MakePurchase {
            product_id,
            property_filters,
        } => html! {
            "Make a Purchase" @if let Some(product) = product_id { " of " code { (product) } }
            (filters(property_filters.len()))
        },
    }
}
