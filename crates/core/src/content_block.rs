//! Content Blocks: reusable Liquid that messages include with `{{content_blocks.${name}}}`.
//!
//! A block is declared in the config (`[[content_blocks]]`, read-only through the API) or
//! created through `POST /content_blocks/create` (kept in the store). This module owns what
//! a block is and Braze's rules for one (name, description, content, state), with Braze's
//! error texts; expansion itself is `leadwire_liquid::content_blocks`.

use chrono::{DateTime, Utc};
use leadwire_liquid::content_blocks::{ContentBlockSource, content_block_names};
use leadwire_liquid::{Engine, expand_content_blocks};
use serde::Deserialize;
use uuid::Uuid;

/// Names are shorter than this many characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Descriptions are shorter than this many characters.
pub const MAX_DESCRIPTION_CHARS: usize = 250;
/// Content is smaller than this many bytes (50 KB).
pub const MAX_CONTENT_BYTES: usize = 50 * 1024;

/// `html` or `text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentType {
    #[default]
    Html,
    Text,
}

impl ContentType {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Html => "html",
            ContentType::Text => "text",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "html" => Some(ContentType::Html),
            "text" => Some(ContentType::Text),
            _ => None,
        }
    }
}

/// `active` blocks are rendered into messages; a `draft` is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentBlockState {
    Active,
    Draft,
}

impl ContentBlockState {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentBlockState::Active => "active",
            ContentBlockState::Draft => "draft",
        }
    }

    /// Braze's `state` values; anything else is this error.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        match text {
            "active" => Ok(ContentBlockState::Active),
            "draft" => Ok(ContentBlockState::Draft),
            _ => Err("Content Block state must be either active or draft"),
        }
    }
}

/// Where a block is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `[[content_blocks]]` in the config file: read-only through the API.
    Config,
    /// Created through the REST API and kept in the store.
    Api,
}

/// One Content Block.
#[derive(Debug, Clone, PartialEq)]
pub struct ContentBlock {
    pub id: String,
    pub name: String,
    pub content: String,
    pub description: Option<String>,
    pub content_type: ContentType,
    pub state: ContentBlockState,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub origin: Origin,
}

impl ContentBlock {
    /// The Liquid tag that includes this block.
    pub fn liquid_tag(&self) -> String {
        leadwire_liquid::content_block_liquid_tag(&self.name)
    }
}

/// A `[[content_blocks]]` entry of the config file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigContentBlock {
    pub name: String,
    pub content: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub content_type: ContentType,
}

impl ConfigContentBlock {
    /// The block, with an id that depends only on its name (the same on every node) and
    /// `loaded_at` as its creation and edit time.
    pub fn to_block(&self, loaded_at: DateTime<Utc>) -> ContentBlock {
        ContentBlock {
            id: config_block_id(&self.name),
            name: self.name.clone(),
            content: self.content.clone(),
            description: self.description.clone(),
            content_type: self.content_type,
            state: ContentBlockState::Active,
            tags: self.tags.clone(),
            created_at: loaded_at,
            updated_at: loaded_at,
            origin: Origin::Config,
        }
    }
}

/// A stable id for a config block: a 128-bit FNV-1a hash of its name, as a UUID.
pub fn config_block_id(name: &str) -> String {
    let mut hash: u128 = 0x6c62272e07bb014262b821756295c58d;
    for byte in b"leadwire content block\0".iter().chain(name.as_bytes()) {
        hash ^= u128::from(*byte);
        hash = hash.wrapping_mul(0x0000000001000000000000000000013B);
    }
    Uuid::from_u128(hash).to_string()
}

/// Braze's rules for a name.
pub fn check_name(name: &str) -> Result<(), &'static str> {
    if name.trim().is_empty() {
        return Err("Content Block name cannot be blank");
    }
    if name.chars().count() >= MAX_NAME_CHARS {
        return Err("Content Block name must be shorter than 100 characters");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("Content Block name can only contain alphanumeric characters");
    }
    Ok(())
}

/// Braze's rules for a description that is given.
pub fn check_description(description: &str) -> Result<(), &'static str> {
    if description.trim().is_empty() {
        return Err("Content Block description cannot be blank");
    }
    if description.chars().count() >= MAX_DESCRIPTION_CHARS {
        return Err("Content Block description must be shorter than 250 characters");
    }
    Ok(())
}

/// Braze's rules for the content of block `name`: not blank, under 50 KB, Liquid that
/// parses (with the blocks it includes left out), and no tag including itself.
pub fn check_content(name: &str, content: &str) -> Result<(), &'static str> {
    if content.trim().is_empty() {
        return Err("Content cannot be blank");
    }
    if content.len() >= MAX_CONTENT_BYTES {
        return Err("Content must be smaller than 50kb");
    }
    if content_block_names(content).contains(&name) {
        return Err("Content Block cannot be referenced within itself");
    }
    if liquid_error(content).is_some() {
        return Err("Content contains malformed liquid");
    }
    Ok(())
}

/// The parse error of `content` as Liquid (its block tags left out), if any.
pub fn liquid_error(content: &str) -> Option<leadwire_liquid::ParseError> {
    let stripped = without_blocks(content);
    Engine::default().parse(&stripped).err()
}

/// `source` with every content block tag removed (for checks that look at the rest).
pub fn without_blocks(source: &str) -> std::borrow::Cow<'_, str> {
    expand_content_blocks(source, &EveryBlockEmpty).unwrap_or(std::borrow::Cow::Borrowed(source))
}

/// A source in which every block exists and is empty.
struct EveryBlockEmpty;

impl ContentBlockSource for EveryBlockEmpty {
    fn content_block(&self, _name: &str) -> Option<&str> {
        Some("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_brazes_rules() {
        assert_eq!(check_name("footer_v2-EN"), Ok(()));
        assert_eq!(check_name(" "), Err("Content Block name cannot be blank"));
        assert_eq!(
            check_name("has space"),
            Err("Content Block name can only contain alphanumeric characters")
        );
        assert_eq!(check_name(&"a".repeat(99)), Ok(()));
        assert_eq!(
            check_name(&"a".repeat(100)),
            Err("Content Block name must be shorter than 100 characters")
        );
    }

    #[test]
    fn content_follows_brazes_rules() {
        assert_eq!(check_content("a", "Hi {{${first_name}}}"), Ok(()));
        assert_eq!(check_content("a", "x{{content_blocks.${b}}}"), Ok(()));
        assert_eq!(check_content("a", "  "), Err("Content cannot be blank"));
        assert_eq!(
            check_content("a", &"x".repeat(MAX_CONTENT_BYTES)),
            Err("Content must be smaller than 50kb")
        );
        assert_eq!(
            check_content("a", "{% if x %}open"),
            Err("Content contains malformed liquid")
        );
        assert_eq!(
            check_content("a", "{{content_blocks.${a}}}"),
            Err("Content Block cannot be referenced within itself")
        );
        assert_eq!(
            check_description(&"d".repeat(250)),
            Err("Content Block description must be shorter than 250 characters")
        );
    }

    #[test]
    fn config_ids_are_stable_per_name() {
        assert_eq!(config_block_id("footer"), config_block_id("footer"));
        assert_ne!(config_block_id("footer"), config_block_id("header"));
    }
}
