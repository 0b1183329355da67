//! Braze Content Blocks: `{{content_blocks.${name}}}` tags replaced by the block's content
//! before the template is parsed, so the content is Liquid rendered in the message's own
//! context (variables the message assigns are visible inside the block, and the other way
//! round), as Braze does.
//!
//! - A block may include another block: one level of nesting. A tag inside that nested
//!   block (a third level) is not expanded: the tag is removed and nothing takes its place,
//!   as Braze documents.
//! - A block that the [`ContentBlockSource`] does not have is an error naming it; the
//!   caller decides what that means for a send (leadwire's delivery refuses to send).
//! - Whitespace control is kept: `{{- content_blocks.${x} -}}` trims the text around the
//!   tag, not the block's own content.
//! - Tags are found anywhere in the source text, `{% raw %}` included: expansion happens
//!   before Liquid reads the template.
//!
//! Blocks come from the caller; this module does no I/O.

use std::borrow::Cow;
use std::collections::HashMap;

/// How deep tags are expanded: the message's tags (1) and the tags inside their blocks (2).
pub const MAX_CONTENT_BLOCK_NESTING: usize = 2;

/// The most bytes a template may have once its blocks are expanded.
pub const MAX_EXPANDED_BYTES: usize = 4 * 1024 * 1024;

const TAG_ROOT: &str = "content_blocks.${";

/// Where expansion finds a block's content by name.
pub trait ContentBlockSource {
    /// The content of block `name`, or `None` when there is no such block to use.
    fn content_block(&self, name: &str) -> Option<&str>;
}

impl ContentBlockSource for HashMap<String, String> {
    fn content_block(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

/// Why a template's blocks could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentBlockError {
    #[error("Content Block `{name}` does not exist")]
    Missing { name: String },
    #[error("the template is larger than {limit} bytes once its Content Blocks are expanded")]
    TooLarge { limit: usize },
}

/// One `{{content_blocks.${name}}}` tag in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentBlockTag<'a> {
    pub name: &'a str,
    /// Byte range of the whole tag, braces included.
    pub start: usize,
    pub end: usize,
    pub trim_left: bool,
    pub trim_right: bool,
}

/// The Liquid tag that includes block `name`.
pub fn content_block_liquid_tag(name: &str) -> String {
    format!("{{{{content_blocks.${{{name}}}}}}}")
}

/// Every content block tag in `source`, in order.
pub fn content_block_tags(source: &str) -> Vec<ContentBlockTag<'_>> {
    let mut tags = Vec::new();
    let mut from = 0;
    while let Some(found) = source.get(from..).and_then(|rest| rest.find(TAG_ROOT)) {
        let root = from + found;
        from = root + TAG_ROOT.len();
        if let Some(tag) = tag_at(source, root) {
            from = tag.end;
            tags.push(tag);
        }
    }
    tags
}

/// The names of the blocks `source` includes directly, each once, in order of first use.
pub fn content_block_names(source: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for tag in content_block_tags(source) {
        if !names.contains(&tag.name) {
            names.push(tag.name);
        }
    }
    names
}

/// `source` with its content block tags replaced by the blocks' content (nested one level;
/// deeper tags removed). Borrowed when `source` has no tags.
pub fn expand_content_blocks<'s>(
    source: &'s str,
    blocks: &dyn ContentBlockSource,
) -> Result<Cow<'s, str>, ContentBlockError> {
    if !source.contains(TAG_ROOT) {
        return Ok(Cow::Borrowed(source));
    }
    let mut out = String::with_capacity(source.len());
    expand_into(source, blocks, 1, &mut out)?;
    Ok(Cow::Owned(out))
}

fn expand_into(
    source: &str,
    blocks: &dyn ContentBlockSource,
    level: usize,
    out: &mut String,
) -> Result<(), ContentBlockError> {
    let mut copied = 0;
    for tag in content_block_tags(source) {
        push_within(out, &source[copied..tag.start])?;
        copied = tag.end;
        if tag.trim_left {
            push_within(out, "{{- \"\" }}")?;
        }
        if level <= MAX_CONTENT_BLOCK_NESTING {
            let content =
                blocks
                    .content_block(tag.name)
                    .ok_or_else(|| ContentBlockError::Missing {
                        name: tag.name.to_owned(),
                    })?;
            expand_into(content, blocks, level + 1, out)?;
        }
        if tag.trim_right {
            push_within(out, "{{ \"\" -}}")?;
        }
    }
    push_within(out, &source[copied..])
}

fn push_within(out: &mut String, text: &str) -> Result<(), ContentBlockError> {
    if out.len() + text.len() > MAX_EXPANDED_BYTES {
        return Err(ContentBlockError::TooLarge {
            limit: MAX_EXPANDED_BYTES,
        });
    }
    out.push_str(text);
    Ok(())
}

/// The tag whose `content_blocks.${` starts at byte `root`, if it is a whole output tag.
fn tag_at(source: &str, root: usize) -> Option<ContentBlockTag<'_>> {
    let before = source[..root].trim_end_matches([' ', '\t', '\r', '\n']);
    let (before, trim_left) = match before.strip_suffix('-') {
        Some(rest) => (rest, true),
        None => (before, false),
    };
    let open = before.strip_suffix("{{")?;
    let name_start = root + TAG_ROOT.len();
    let name_len = source[name_start..].find('}')?;
    let name = source[name_start..name_start + name_len].trim();
    if name.is_empty() || name.contains(['{', '\n']) {
        return None;
    }
    let after = source[name_start + name_len + 1..].trim_start_matches([' ', '\t', '\r', '\n']);
    let (after, trim_right) = match after.strip_prefix('-') {
        Some(rest) => (rest, true),
        None => (after, false),
    };
    let rest = after.strip_prefix("}}")?;
    Some(ContentBlockTag {
        name,
        start: open.len(),
        end: source.len() - rest.len(),
        trim_left,
        trim_right,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_found_with_spaces_and_trim_markers() {
        let source = "a {{content_blocks.${x}}} b {{- content_blocks.${ y z } -}} c {{ other }}";
        let tags = content_block_tags(source);
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[0].name, "x");
        assert_eq!(
            &source[tags[0].start..tags[0].end],
            "{{content_blocks.${x}}}"
        );
        assert_eq!(tags[1].name, "y z");
        assert!(tags[1].trim_left && tags[1].trim_right);
        assert_eq!(content_block_liquid_tag("x"), "{{content_blocks.${x}}}");
    }

    #[test]
    fn text_that_is_not_a_whole_tag_is_left_alone() {
        for source in [
            "content_blocks.${x}",
            "{{ content_blocks.${x} | upcase }}",
            "{% assign a = content_blocks.${x} %}",
            "{{content_blocks.${}}}",
            "{{content_blocks.${x",
        ] {
            assert!(content_block_tags(source).is_empty(), "{source}");
        }
    }
}
