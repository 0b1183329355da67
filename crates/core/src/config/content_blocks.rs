//! `[[content_blocks]]` in `check`: Braze's rules for each block (name, description,
//! content size, no self reference), unique names, and every `{{content_blocks.${name}}}`
//! of a template or block resolved. A block that is not in the file may be created through
//! the API later, so a reference to one is a warning; the send fails if it still does not
//! exist then. Malformed Liquid in a block is reported, with its position, by the Liquid
//! check of the block's content.

use std::collections::HashSet;

use leadwire_liquid::content_blocks::{ContentBlockSource, content_block_names};

use super::Config;
use super::diagnostics::{ConfigPath, Diagnostic};
use super::liquid::liquid_fields;
use super::templates::{WebhookBody, WebhookTemplate};
use crate::content_block::{MAX_CONTENT_BYTES, check_description, check_name};

/// Checks every block and every reference to one.
pub fn check_content_blocks(config: &Config, problems: &mut Vec<Diagnostic>) {
    let root = ConfigPath::default().key("content_blocks");
    let mut seen = HashSet::new();
    for (index, block) in config.content_blocks.iter().enumerate() {
        let path = root.index(index);
        if let Err(message) = check_name(&block.name) {
            problems.push(Diagnostic::error(
                path.key("name"),
                message,
                "use up to 99 letters, digits, `-` and `_`",
            ));
        }
        if !seen.insert(block.name.as_str()) {
            problems.push(Diagnostic::error(
                path.key("name"),
                format!("Content Block `{}` is declared twice", block.name),
                "give each block its own name",
            ));
        }
        if let Some(description) = &block.description
            && let Err(message) = check_description(description)
        {
            problems.push(Diagnostic::error(
                path.key("description"),
                message,
                "write a description of 1 to 249 characters, or leave it out",
            ));
        }
        content(&path, &block.name, &block.content, problems);
    }
    for field in liquid_fields(config) {
        for name in content_block_names(field.text) {
            if config.content_block(name).is_none() {
                problems.push(Diagnostic::warning(
                    field.path.clone(),
                    format!(
                        "Content Block `{name}` is not declared in [[content_blocks]]; a send fails while it does not exist"
                    ),
                    "declare it in [[content_blocks]] or create it with POST /content_blocks/create before a send",
                ));
            }
        }
    }
}

fn content(path: &ConfigPath, name: &str, content: &str, problems: &mut Vec<Diagnostic>) {
    let path = path.key("content");
    if content.trim().is_empty() {
        problems.push(Diagnostic::error(
            path.clone(),
            "Content cannot be blank",
            "give the block some content",
        ));
    }
    if content.len() >= MAX_CONTENT_BYTES {
        problems.push(Diagnostic::error(
            path.clone(),
            "Content must be smaller than 50kb",
            "split the block into smaller blocks",
        ));
    }
    if content_block_names(content).contains(&name) {
        problems.push(Diagnostic::error(
            path,
            "Content Block cannot be referenced within itself",
            format!("remove {{{{content_blocks.${{{name}}}}}}} from its own content"),
        ));
    }
}

/// The templates that include block `name`, directly or through another block (one
/// level, as rendering expands), finding blocks' content through `blocks`.
pub fn templates_including<'c>(
    config: &'c Config,
    name: &str,
    blocks: &dyn ContentBlockSource,
) -> Vec<&'c WebhookTemplate> {
    let includes = |text: &str| {
        content_block_names(text).into_iter().any(|direct| {
            direct == name
                || blocks
                    .content_block(direct)
                    .is_some_and(|inner| content_block_names(inner).contains(&name))
        })
    };
    config
        .webhook_templates
        .iter()
        .filter(|template| template_texts(template).into_iter().any(includes))
        .collect()
}

/// The Liquid texts of a template: URL, header values and body.
fn template_texts(template: &WebhookTemplate) -> Vec<&str> {
    let mut texts = vec![template.url.as_str()];
    texts.extend(template.headers.iter().map(|(_, value)| value));
    match &template.body {
        WebhookBody::None => {}
        WebhookBody::Raw(text) => texts.push(text),
        WebhookBody::Json(pairs) => texts.extend(pairs.iter().map(|(_, value)| value)),
    }
    texts
}
