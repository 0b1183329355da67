//! The token source for the body of `{% liquid %}`: one tag per line.

use crate::errors::ParseError;
use crate::lexer::{Token, TokenSource};

pub(crate) struct LineSource<'a> {
    source: &'a str,
    markup: &'a str,
    /// Offset of `markup` within `source`.
    base: usize,
    pos: usize,
}

impl<'a> LineSource<'a> {
    pub fn new(source: &'a str, markup: &'a str, base: usize) -> Self {
        LineSource {
            source,
            markup,
            base,
            pos: 0,
        }
    }

    /// The next non-empty line as (trimmed text, offset of the text in `source`).
    fn next_line(&mut self) -> Option<(&'a str, usize)> {
        while self.pos < self.markup.len() {
            let rest = &self.markup[self.pos..];
            let len = rest.find('\n').unwrap_or(rest.len());
            let line = &rest[..len];
            let line_start = self.pos;
            self.pos += len + 1;
            let lead = line.len() - line.trim_start().len();
            let text = line.trim();
            if !text.is_empty() {
                return Some((text, self.base + line_start + lead));
            }
        }
        None
    }
}

fn split_line(text: &str, offset: usize) -> Token<'_> {
    let name_len = if text.starts_with('#') {
        1
    } else {
        text.bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count()
    };
    let rest = &text[name_len..];
    let lead = rest.len() - rest.trim_start().len();
    Token::Tag {
        name: &text[..name_len],
        markup: rest.trim(),
        offset,
        markup_offset: offset + name_len + lead,
    }
}

impl<'a> TokenSource<'a> for LineSource<'a> {
    fn next_token(&mut self) -> Result<Option<Token<'a>>, ParseError> {
        Ok(self
            .next_line()
            .map(|(text, offset)| split_line(text, offset)))
    }

    fn raw_until(&mut self, end_name: &str, open_offset: usize) -> Result<&'a str, ParseError> {
        let start = self.pos.min(self.markup.len());
        loop {
            let before = self.pos.min(self.markup.len());
            match self.next_line() {
                Some((text, offset)) => {
                    if let Token::Tag { name, .. } = split_line(text, offset)
                        && name == end_name
                    {
                        return Ok(&self.markup[start..before]);
                    }
                }
                None => {
                    return Err(ParseError::at(
                        self.source,
                        open_offset,
                        format!("tag was never closed: expected `{end_name}`"),
                    ));
                }
            }
        }
    }
}
