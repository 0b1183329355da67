//! A template's Liquid source, read-only (the config file is where it is edited), and what
//! sends it. A literal secret written into the source is redacted.

use leadwire_core::config::{CaptureTarget, Config, TemplateUse, WebhookBody, WebhookTemplate};
use leadwire_engine::delivery::redact::Redactor;
use maud::{Markup, html};

use crate::console::pages::paths;

/// The campaigns and canvas steps that send template `name`, as links.
pub fn uses(config: &Config, name: &str) -> Markup {
    let uses = config.template_uses(name);
    html! {
        @if uses.is_empty() {
            span.muted { "nothing: no campaign or Message step names it" }
        } @else {
            ul.plain { @for each in &uses { li { @match each {
                TemplateUse::Campaign(campaign) => {
                    "campaign " a href=(paths::campaign(campaign.api_id())) { (campaign.name) }
                },
                TemplateUse::CanvasStep { canvas, step } => {
                    "canvas " a href=(paths::canvas(canvas.api_id())) { (canvas.name) }
                    ", step " a href=(paths::canvas_step(canvas.api_id(), step)) { (step) }
                },
            } } } }
        }
    }
}

/// The source, with literal secrets redacted by `redactor` (Liquid is shown as written).
pub fn section(config: &Config, template: &WebhookTemplate, redactor: &Redactor) -> Markup {
    html! {
        h2 { "Source" }
        p.muted { "As the config file has it; edit it there and restart the node to change it." }
        dl.facts #source {
            dt { "Method" }
            dd { code { (template.method) } }
            dt { "Connection" }
            dd { @match &template.connection { Some(name) => code { (name) }, None => span.muted { "none" } } }
            dt { "Sent by" }
            dd { (uses(config, &template.name)) }
        }
        h3 { "URL" }
        pre #source-url { (redactor.text(&template.url)) }
        h3 { "Headers" }
        @if template.headers.0.is_empty() {
            p.muted { "None." }
        } @else {
            div.scroll { table #source-headers {
                thead { tr { th scope="col" { "Header" } th scope="col" { "Value (Liquid)" } } }
                tbody { @for (name, value) in template.headers.iter() { tr {
                    th scope="row" { code { (name) } }
                    td { pre { (redactor.source(name, value)) } }
                } } }
            } }
        }
        h3 { "Body" }
        @match &template.body {
            WebhookBody::None => p.muted { "None." },
            WebhookBody::Raw(text) => { p.muted { "Raw text, rendered as is." } pre #source-body { (redactor.text(text)) } },
            WebhookBody::Json(pairs) => {
                p.muted { "JSON pairs: each value is rendered, then written as a JSON string." }
                div.scroll { table #source-body {
                    thead { tr { th scope="col" { "Key" } th scope="col" { "Value (Liquid)" } } }
                    tbody { @for (key, value) in pairs.iter() { tr {
                        th scope="row" { code { (key) } }
                        td { pre { (redactor.source(key, value)) } }
                    } } }
                } }
            },
        }
        @if !template.capture.is_empty() {
            h3 { "Saved from the response" }
            ul { @for capture in &template.capture { li {
                code { (capture.field) } " → " code { (capture_target(&capture.save_to)) }
            } } }
        }
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
