//! The leadwire config file: API keys, Salesforce connections, webhook templates, campaigns,
//! canvases and segments in one TOML document, beside the `[server]` and `[store]` sections other crates
//! read. [`check`] parses and validates it and reports every problem with its line and a fix.

mod api_floor;
mod audience;
mod batch;
mod bulk;
mod check;
mod connections;
mod content_blocks;
mod diagnostics;
mod graph;
mod interest;
mod liquid;
mod liquid_engine;
mod placeholders;
mod request;
pub mod segment;
mod templates;
mod validate;

pub use api_floor::ApiFloor;
pub use audience::RequestAudience;
pub use batch::{SObjectRequest, SObjectWrite, WriteApi, percent_decoded};
pub use check::{CheckReport, check};
pub use diagnostics::{ConfigPath, Diagnostic, Locator, Segment, Severity, line_of};
pub use liquid::{
    LiquidChecker, LiquidField, LiquidScope, MESSAGE_ROOTS, TemplateProblem, line_and_column,
    liquid_fields,
};

pub use connections::{ApiKey, InlineSecret, SalesforceConnection, WhenKeyUnset, is_env_var_name};
pub use content_blocks::templates_including;
pub use liquid_engine::EngineChecker;
pub use request::{FieldFailure, RenderFailure, RenderedRequest};
pub use templates::{
    BatchSettings, CaptureTarget, HttpMethod, MAX_BATCH_WAIT_SECONDS, MAX_COLLECTION_RECORDS,
    OrderedPairs, ResponseCapture, SendPriority, WebhookBody, WebhookTemplate,
};

use serde::Deserialize;

use crate::campaign::Campaign;
use crate::canvas::{Canvas, Step};
use crate::content_block::ConfigContentBlock;

/// The whole config file. Other sections (`[server]`, `[store]`) belong to other crates and
/// are ignored here.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Config {
    /// REST API keys (`Authorization: Bearer …`) and their permissions.
    #[serde(default)]
    pub api_keys: Vec<ApiKey>,
    #[serde(default)]
    pub salesforce_connections: Vec<SalesforceConnection>,
    #[serde(default)]
    pub webhook_templates: Vec<WebhookTemplate>,
    #[serde(default)]
    pub campaigns: Vec<Campaign>,
    #[serde(default)]
    pub canvases: Vec<Canvas>,
    /// `[[content_blocks]]`: Content Blocks declared in the file (read-only through the API).
    #[serde(default)]
    pub content_blocks: Vec<ConfigContentBlock>,
    /// Named audiences (`[[segments]]`), usable as `{ segment = ... }` filters.
    #[serde(default)]
    pub segments: Vec<crate::config::segment::Segment>,
}

impl Config {
    pub fn template(&self, name: &str) -> Option<&WebhookTemplate> {
        self.webhook_templates
            .iter()
            .find(|template| template.name == name)
    }

    pub fn connection(&self, name: &str) -> Option<&SalesforceConnection> {
        self.salesforce_connections
            .iter()
            .find(|connection| connection.name == name)
    }

    pub fn campaign_by_api_id(&self, api_id: &str) -> Option<&Campaign> {
        self.campaigns
            .iter()
            .find(|campaign| campaign.api_id() == api_id)
    }

    pub fn canvas_by_api_id(&self, api_id: &str) -> Option<&Canvas> {
        self.canvases
            .iter()
            .find(|canvas| canvas.api_id() == api_id)
    }

    pub fn content_block(&self, name: &str) -> Option<&ConfigContentBlock> {
        self.content_blocks.iter().find(|block| block.name == name)
    }

    /// The campaigns and canvas Message steps that send template `name`, in config order.
    pub fn template_uses(&self, name: &str) -> Vec<TemplateUse<'_>> {
        let campaigns = self
            .campaigns
            .iter()
            .filter(|campaign| campaign.template == name)
            .map(TemplateUse::Campaign);
        let steps = self.canvases.iter().flat_map(|canvas| {
            canvas.steps.iter().filter_map(move |step| match step {
                Step::Message(message) if message.template == name => {
                    Some(TemplateUse::CanvasStep {
                        canvas,
                        step: &message.name,
                    })
                }
                _ => None,
            })
        });
        campaigns.chain(steps).collect()
    }
}

/// Something that sends a webhook template.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TemplateUse<'a> {
    Campaign(&'a Campaign),
    CanvasStep { canvas: &'a Canvas, step: &'a str },
}

#[cfg(test)]
mod tests;
