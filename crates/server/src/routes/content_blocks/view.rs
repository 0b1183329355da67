//! The JSON answers of the Content Block endpoints, with each block's inclusions: the
//! campaigns and Canvas Message steps whose template includes it (directly or through
//! another block).

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use leadwire_core::config::{TemplateUse, templates_including};
use leadwire_core::content_block::{ContentBlock, ContentBlockState};
use serde_json::{Value, json};

use crate::state::AppState;

pub(super) fn iso(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The answer to a create or update.
pub(super) fn written(block: &ContentBlock) -> Value {
    json!({
        "content_block_id": block.id,
        "liquid_tag": block.liquid_tag(),
        "created_at": iso(block.created_at),
        "message": "success",
    })
}

/// A block as `GET /content_blocks/list` shows it.
pub(super) fn listed(state: &AppState, blocks: &[ContentBlock], block: &ContentBlock) -> Value {
    json!({
        "content_block_id": block.id,
        "name": block.name,
        "content_type": block.content_type.as_str(),
        "liquid_tag": block.liquid_tag(),
        "inclusion_count": inclusions(state, blocks, block).len(),
        "created_at": iso(block.created_at),
        "last_edited": iso(block.updated_at),
        "tags": block.tags,
    })
}

/// A block as `GET /content_blocks/info` shows it.
pub(super) fn info(
    state: &AppState,
    blocks: &[ContentBlock],
    block: &ContentBlock,
    with_data: bool,
) -> Value {
    let inclusions = inclusions(state, blocks, block);
    let mut answer = json!({
        "content_block_id": block.id,
        "name": block.name,
        "content": block.content,
        "description": block.description.clone().unwrap_or_default(),
        "content_type": block.content_type.as_str(),
        "tags": block.tags,
        "created_at": iso(block.created_at),
        "last_edited": iso(block.updated_at),
        "inclusion_count": inclusions.len(),
        "state": block.state.as_str(),
        "message": "success",
    });
    if with_data && let Value::Object(fields) = &mut answer {
        fields.insert("inclusion_data".into(), Value::Array(inclusions));
    }
    answer
}

/// One entry per campaign or Canvas step whose template includes `block`.
fn inclusions(state: &AppState, blocks: &[ContentBlock], block: &ContentBlock) -> Vec<Value> {
    let active: HashMap<String, String> = blocks
        .iter()
        .filter(|block| block.state == ContentBlockState::Active)
        .map(|block| (block.name.clone(), block.content.clone()))
        .collect();
    let config = &state.domain.config;
    let mut found = Vec::new();
    for template in templates_including(config, &block.name, &active) {
        for user in config.template_uses(&template.name) {
            found.push(match user {
                TemplateUse::Campaign(campaign) => json!({
                    "campaign_id": campaign.api_id(),
                    "campaign_name": campaign.name,
                    "template": template.name,
                }),
                TemplateUse::CanvasStep { canvas, step } => json!({
                    "canvas_id": canvas.api_id(),
                    "canvas_name": canvas.name,
                    "step": step,
                    "template": template.name,
                }),
            });
        }
    }
    found
}
