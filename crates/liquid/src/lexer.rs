//! Splits template source into text, output (`{{ }}`) and tag (`{% %}`) tokens, applying
//! whitespace control. Raw-style bodies (`raw`, `doc`, raw inside `comment`) are scanned on
//! request so their contents are never tokenised.

use crate::errors::ParseError;

/// One token of template source. Offsets are byte offsets into the whole template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    Text(&'a str),
    Output {
        markup: &'a str,
        offset: usize,
    },
    Tag {
        name: &'a str,
        markup: &'a str,
        offset: usize,
        markup_offset: usize,
    },
}

/// A source of tokens the parser reads from: the template lexer or a `{% liquid %}` body.
pub(crate) trait TokenSource<'a> {
    fn next_token(&mut self) -> Result<Option<Token<'a>>, ParseError>;
    /// Returns the text up to the next `{% end_name %}` and consumes that end tag.
    fn raw_until(&mut self, end_name: &str, open_offset: usize) -> Result<&'a str, ParseError>;
}

pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    trim_next_text: bool,
    pending: Option<Token<'a>>,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Lexer {
            src,
            pos: 0,
            trim_next_text: false,
            pending: None,
        }
    }

    fn find_open(&self) -> Option<usize> {
        let bytes = self.src.as_bytes();
        let mut i = self.pos;
        while let Some(found) = memchr_brace(&bytes[i..]) {
            let at = i + found;
            if matches!(bytes.get(at + 1), Some(b'{' | b'%')) {
                return Some(at);
            }
            i = at + 1;
        }
        None
    }

    /// Lexes the tag or output starting at `start` (which holds `{{` or `{%`).
    fn lex_markup(&mut self, start: usize) -> Result<Token<'a>, ParseError> {
        let bytes = self.src.as_bytes();
        let is_tag = bytes[start + 1] == b'%';
        let mut inner_start = start + 2;
        if bytes.get(inner_start) == Some(&b'-') {
            inner_start += 1;
        }
        let close = if is_tag { b'%' } else { b'}' };
        let Some(close_at) = find_close(self.src, inner_start, close) else {
            let what = if is_tag {
                "tag `{%` was not closed with `%}`"
            } else {
                "output `{{` was not closed with `}}`"
            };
            return Err(ParseError::at(self.src, start, what));
        };
        let mut inner_end = close_at;
        self.trim_next_text = false;
        if inner_end > inner_start && bytes[inner_end - 1] == b'-' {
            inner_end -= 1;
            self.trim_next_text = true;
        }
        self.pos = close_at + 2;
        let inner = &self.src[inner_start..inner_end];
        if !is_tag {
            return Ok(Token::Output {
                markup: inner,
                offset: inner_start,
            });
        }
        let lead = inner.len() - inner.trim_start().len();
        let body = &inner[lead..];
        let name_len = if body.starts_with('#') {
            1
        } else {
            body.bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                .count()
        };
        let name = &body[..name_len];
        let rest = &body[name_len..];
        let rest_lead = rest.len() - rest.trim_start().len();
        let markup_offset = inner_start + lead + name_len + rest_lead;
        Ok(Token::Tag {
            name,
            markup: rest.trim(),
            offset: start,
            markup_offset,
        })
    }
}

fn memchr_brace(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|b| *b == b'{')
}

/// Finds the closing `}}` or `%}` (by its first byte `close`) from `from`, skipping quoted
/// strings and Braze `${…}` names; falls back to the first plain match when quotes are
/// unbalanced.
fn find_close(src: &str, from: usize, close: u8) -> Option<usize> {
    let bytes = src.as_bytes();
    let plain = || {
        (from..bytes.len().saturating_sub(1)).find(|&i| bytes[i] == close && bytes[i + 1] == b'}')
    };
    let mut i = from;
    while i + 1 < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"') => match bytes[i + 1..].iter().position(|b| *b == q) {
                Some(len) => i += len + 2,
                None => return plain(),
            },
            b'$' if bytes[i + 1] == b'{' => match bytes[i + 2..].iter().position(|b| *b == b'}') {
                Some(len) => i += len + 3,
                None => return plain(),
            },
            b if b == close && bytes[i + 1] == b'}' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

impl<'a> TokenSource<'a> for Lexer<'a> {
    fn next_token(&mut self) -> Result<Option<Token<'a>>, ParseError> {
        if let Some(token) = self.pending.take() {
            return Ok(Some(token));
        }
        if self.pos >= self.src.len() {
            return Ok(None);
        }
        let trim_start = std::mem::take(&mut self.trim_next_text);
        let (text_end, next) = match self.find_open() {
            Some(start) => (start, Some(start)),
            None => (self.src.len(), None),
        };
        let mut text = &self.src[self.pos..text_end];
        if trim_start {
            text = text.trim_start();
        }
        if let Some(start) = next {
            if self.src.as_bytes().get(start + 2) == Some(&b'-') {
                text = text.trim_end();
            }
            let token = self.lex_markup(start)?;
            if text.is_empty() {
                return Ok(Some(token));
            }
            self.pending = Some(token);
        } else {
            self.pos = self.src.len();
        }
        if text.is_empty() {
            self.next_token()
        } else {
            Ok(Some(Token::Text(text)))
        }
    }

    fn raw_until(&mut self, end_name: &str, open_offset: usize) -> Result<&'a str, ParseError> {
        let bytes = self.src.as_bytes();
        let body_start = self.pos;
        let mut i = self.pos;
        while let Some(found) = self.src[i..].find("{%") {
            let at = i + found;
            let mut j = at + 2;
            let trim_before = bytes.get(j) == Some(&b'-');
            if trim_before {
                j += 1;
            }
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if self.src[j..].starts_with(end_name) {
                let mut k = j + end_name.len();
                while k < bytes.len() && bytes[k].is_ascii_whitespace() {
                    k += 1;
                }
                let trim_after = bytes.get(k) == Some(&b'-');
                if trim_after {
                    k += 1;
                }
                if self.src[k..].starts_with("%}") {
                    let mut body = &self.src[body_start..at];
                    if std::mem::take(&mut self.trim_next_text) {
                        body = body.trim_start();
                    }
                    if trim_before {
                        body = body.trim_end();
                    }
                    self.pos = k + 2;
                    self.trim_next_text = trim_after;
                    return Ok(body);
                }
            }
            i = at + 2;
        }
        Err(ParseError::at(
            self.src,
            open_offset,
            format!("tag was never closed: expected `{{% {end_name} %}}`"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(src: &str) -> Vec<Token<'_>> {
        let mut lexer = Lexer::new(src);
        let mut out = Vec::new();
        while let Some(token) = lexer.next_token().expect("valid") {
            out.push(token);
        }
        out
    }

    #[test]
    fn braze_attribute_braces_do_not_end_output() {
        let found = tokens("Hi {{${first_name}}}!");
        assert_eq!(
            found[1],
            Token::Output {
                markup: "${first_name}",
                offset: 5
            }
        );
        assert_eq!(found[2], Token::Text("!"));
    }

    #[test]
    fn whitespace_control_trims_both_sides() {
        let found = tokens("a  {%- if x -%}  b");
        assert_eq!(found[0], Token::Text("a"));
        assert_eq!(found[2], Token::Text("b"));
    }

    #[test]
    fn tag_end_without_space() {
        let found = tokens("{% assign threshold = 100%}");
        assert!(matches!(
            found[0],
            Token::Tag {
                name: "assign",
                markup: "threshold = 100",
                ..
            }
        ));
    }
}
