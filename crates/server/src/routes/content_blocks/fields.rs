//! Reading the Content Block endpoints' inputs with Braze's error texts: the fields of a
//! create or update body, and the list's `modified_after`, `modified_before`, `limit` and
//! `offset`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use leadwire_core::content_block::{
    ContentBlock, ContentBlockState, ContentType, check_content, check_description, check_name,
};
use leadwire_core::time::parse_date;
use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorItem};

/// A 400 with Braze's `message` and an item saying how to fix it.
pub(super) fn fatal(message: &'static str, fix: &str, field: &str) -> ApiError {
    ApiError::Fatal {
        message,
        errors: vec![ErrorItem::new(fix).field(field)],
    }
}

/// The block fields a create or update body may carry; `None` when absent.
#[derive(Debug, Default)]
pub(super) struct BlockFields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub content: Option<String>,
    pub state: Option<ContentBlockState>,
    pub tags: Option<Vec<String>>,
    pub content_type: Option<ContentType>,
}

impl BlockFields {
    pub fn read(object: &mut Map<String, Value>) -> Result<Self, ApiError> {
        let name = match object.remove("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => {
                check_name(&name).map_err(|message| fatal(message, NAME_FIX, "name"))?;
                Some(name)
            }
            Some(_) => {
                return Err(fatal(
                    "Content Block name can only contain alphanumeric characters",
                    "send the name as a string",
                    "name",
                ));
            }
        };
        let description = match object.remove("description") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => {
                check_description(&text).map_err(|message| {
                    fatal(
                        message,
                        "write 1 to 249 characters, or leave it out",
                        "description",
                    )
                })?;
                Some(text)
            }
            Some(_) => {
                return Err(fatal(
                    "Content Block description must be a string",
                    "send the description as a string",
                    "description",
                ));
            }
        };
        let content = match object.remove("content") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text),
            Some(_) => {
                return Err(fatal(
                    "Content must be a string",
                    "send the content (HTML or text, with Liquid) as a string",
                    "content",
                ));
            }
        };
        Ok(Self {
            name,
            description,
            content,
            state: state(object.remove("state"))?,
            tags: tags(object.remove("tags"))?,
            content_type: content_type(object.remove("content_type"))?,
        })
    }

    pub fn required_name(&self) -> Result<String, ApiError> {
        self.name
            .clone()
            .ok_or_else(|| fatal("Content Block name cannot be blank", NAME_FIX, "name"))
    }

    pub fn required_content(&self) -> Result<String, ApiError> {
        self.content.clone().ok_or_else(|| {
            fatal(
                "Content cannot be blank",
                "send the block's content (HTML or text, with Liquid)",
                "content",
            )
        })
    }

    /// Braze's content rules for a block named `name`.
    pub fn check_content(&self, name: &str, content: &str) -> Result<(), ApiError> {
        check_content(name, content).map_err(|message| {
            let fix = match message {
                "Content Block cannot be referenced within itself" => format!(
                    "remove {{{{content_blocks.${{{name}}}}}}} from the block's own content"
                ),
                "Content contains malformed liquid" => {
                    match leadwire_core::content_block::liquid_error(content) {
                        Some(error) => format!("correct the Liquid: {error}"),
                        None => "correct the Liquid".to_owned(),
                    }
                }
                _ => "keep the content under 50 KB and not blank".to_owned(),
            };
            fatal(message, &fix, "content")
        })
    }

    /// `existing` with these fields applied, under Braze's update rules.
    pub fn apply_to(self, existing: &ContentBlock) -> Result<ContentBlock, ApiError> {
        let active = existing.state == ContentBlockState::Active;
        if let Some(name) = &self.name
            && *name != existing.name
            && active
        {
            return Err(fatal(
                "Content Block name cannot be updated for active Content Blocks",
                "leave the name out, or create a new block with the new name",
                "name",
            ));
        }
        if active && self.state == Some(ContentBlockState::Draft) {
            return Err(fatal(
                "Active Content Block can not be updated to Draft. Create a new Content Block.",
                "leave state out or send \"active\"",
                "state",
            ));
        }
        let mut block = existing.clone();
        let name = self.name.clone().unwrap_or_else(|| block.name.clone());
        let content = self
            .content
            .clone()
            .unwrap_or_else(|| block.content.clone());
        if self.content.is_some() || name != block.name {
            self.check_content(&name, &content)?;
        }
        block.name = name;
        block.content = content;
        block.description = self.description.or(block.description);
        block.state = self.state.unwrap_or(block.state);
        block.tags = self.tags.unwrap_or(block.tags);
        block.content_type = self.content_type.unwrap_or(block.content_type);
        block.updated_at = Utc::now().max(existing.updated_at);
        Ok(block)
    }
}

const NAME_FIX: &str =
    "name the block with 1 to 99 letters, digits, `-` and `_`; it becomes its Liquid tag";

fn state(value: Option<Value>) -> Result<Option<ContentBlockState>, ApiError> {
    let invalid = |message| fatal(message, "send \"active\" or \"draft\"", "state");
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => ContentBlockState::parse(&text).map(Some).map_err(invalid),
        Some(_) => Err(invalid(
            "Content Block state must be either active or draft",
        )),
    }
}

fn tags(value: Option<Value>) -> Result<Option<Vec<String>>, ApiError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(fatal(
                "Tags must be an array",
                "send tags as an array of strings",
                "tags",
            ));
        }
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::String(tag) => Ok(tag),
            _ => Err(fatal(
                "All tags must be strings",
                "send tags as an array of strings",
                "tags",
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn content_type(value: Option<Value>) -> Result<Option<ContentType>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if ContentType::parse(&text).is_some() => {
            Ok(ContentType::parse(&text))
        }
        Some(_) => Err(fatal(
            "Content Block content_type must be either html or text",
            "send \"html\" or \"text\", or leave it out (html)",
            "content_type",
        )),
    }
}

/// The filters and page of `GET /content_blocks/list`.
#[derive(Debug)]
pub(super) struct ListParams {
    pub modified_after: Option<DateTime<Utc>>,
    pub modified_before: Option<DateTime<Utc>>,
    pub limit: usize,
    pub offset: usize,
}

/// The most blocks one list answer holds, and how many it holds by default.
const MAX_LIMIT: i64 = 1000;
const DEFAULT_LIMIT: usize = 100;

impl ListParams {
    pub fn read(params: &HashMap<String, String>) -> Result<Self, ApiError> {
        let time = |key: &str, message: &'static str| match params.get(key) {
            None => Ok(None),
            Some(text) => parse_date(text).map(Some).ok_or_else(|| {
                fatal(
                    message,
                    "send an ISO 8601 time, e.g. 2026-12-01T00:00:00Z",
                    key,
                )
            }),
        };
        let modified_after = time("modified_after", "Modified after time is invalid")?;
        let modified_before = time("modified_before", "Modified before time is invalid")?;
        if let (Some(after), Some(before)) = (modified_after, modified_before)
            && after > before
        {
            return Err(fatal(
                "Modified after time must be earlier than or the same as modified before time.",
                "swap the two times",
                "modified_after",
            ));
        }
        let limit = match params.get("limit").map(|text| text.trim().parse::<i64>()) {
            None => DEFAULT_LIMIT,
            Some(Err(_)) => return Err(limit_error("Content Block number limit is invalid")),
            Some(Ok(limit)) if limit <= 0 => {
                return Err(limit_error(
                    "Content Block number limit must be greater than 0",
                ));
            }
            Some(Ok(limit)) if limit > MAX_LIMIT => {
                return Err(limit_error(
                    "Content Block number limit exceeds maximum of 1000",
                ));
            }
            Some(Ok(limit)) => usize::try_from(limit).unwrap_or(DEFAULT_LIMIT),
        };
        let offset_fix = "send the number of blocks to skip, 0 or more";
        let offset = match params.get("offset").map(|text| text.trim().parse::<i64>()) {
            None => 0,
            Some(Err(_)) => return Err(fatal("Offset is invalid", offset_fix, "offset")),
            Some(Ok(offset)) if offset < 0 => {
                return Err(fatal("Offset must be greater than 0", offset_fix, "offset"));
            }
            Some(Ok(offset)) => usize::try_from(offset).unwrap_or(usize::MAX),
        };
        Ok(Self {
            modified_after,
            modified_before,
            limit,
            offset,
        })
    }

    /// Whether `block` was last edited within the times asked for.
    pub fn includes(&self, block: &ContentBlock) -> bool {
        self.modified_after
            .is_none_or(|after| block.updated_at >= after)
            && self
                .modified_before
                .is_none_or(|before| block.updated_at <= before)
    }
}

fn limit_error(message: &'static str) -> ApiError {
    fatal(
        message,
        "send a limit from 1 to 1000 (default 100)",
        "limit",
    )
}
