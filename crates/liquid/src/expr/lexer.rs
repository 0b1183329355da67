//! Tokens of the expression language inside `{{ }}` and `{% %}`.

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Tok<'a> {
    Ident(&'a str),
    Str(&'a str),
    Int(i64),
    Float(f64),
    /// Braze `${name}`: the name between the braces.
    Attribute(&'a str),
    Dot,
    DotDot,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Pipe,
    Colon,
    Comma,
    Assign,
    /// `==`, `!=`, `<>`, `<`, `>`, `<=`, `>=`
    Op(&'a str),
    /// Braze `{{` / `}}` inside a tag.
    OpenGroup,
    CloseGroup,
    Eof,
}

pub(crate) struct ExprLexer<'a> {
    src: &'a str,
    pos: usize,
}

/// A lexing failure at a byte offset within the markup.
pub(crate) struct LexError {
    pub at: usize,
    pub message: String,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl<'a> ExprLexer<'a> {
    pub fn new(src: &'a str) -> Self {
        ExprLexer { src, pos: 0 }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The unread rest of the markup.
    pub fn rest(&self) -> &'a str {
        &self.src[self.pos.min(self.src.len())..]
    }

    fn skip_ws(&mut self) {
        let bytes = self.src.as_bytes();
        while self.pos < bytes.len() && bytes[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    /// Reads the next token, returning it with its start offset.
    pub fn next(&mut self) -> Result<(Tok<'a>, usize), LexError> {
        self.skip_ws();
        let bytes = self.src.as_bytes();
        let start = self.pos;
        let Some(&b) = bytes.get(start) else {
            return Ok((Tok::Eof, start));
        };
        let two = bytes.get(start + 1).copied();
        let tok = match b {
            b'.' if two == Some(b'.') => {
                self.pos += 2;
                Tok::DotDot
            }
            b'.' => {
                self.pos += 1;
                Tok::Dot
            }
            b'[' => self.single(Tok::LBracket),
            b']' => self.single(Tok::RBracket),
            b'(' => self.single(Tok::LParen),
            b')' => self.single(Tok::RParen),
            b'|' => self.single(Tok::Pipe),
            b':' => self.single(Tok::Colon),
            b',' => self.single(Tok::Comma),
            b'{' if two == Some(b'{') => {
                self.pos += 2;
                Tok::OpenGroup
            }
            b'}' if two == Some(b'}') => {
                self.pos += 2;
                Tok::CloseGroup
            }
            b'=' if two == Some(b'=') => self.op(2),
            b'!' if two == Some(b'=') => self.op(2),
            b'<' if matches!(two, Some(b'=' | b'>')) => self.op(2),
            b'>' if two == Some(b'=') => self.op(2),
            b'<' | b'>' => self.op(1),
            b'=' => self.single(Tok::Assign),
            b'\'' | b'"' => {
                let Some(len) = self.src[start + 1..].find(b as char) else {
                    return Err(LexError {
                        at: start,
                        message: "string literal was not closed".into(),
                    });
                };
                self.pos = start + 1 + len + 1;
                Tok::Str(&self.src[start + 1..start + 1 + len])
            }
            b'$' if two == Some(b'{') => {
                let Some(len) = self.src[start + 2..].find('}') else {
                    return Err(LexError {
                        at: start,
                        message: "`${` was not closed with `}`".into(),
                    });
                };
                self.pos = start + 2 + len + 1;
                Tok::Attribute(self.src[start + 2..start + 2 + len].trim())
            }
            b'-' | b'0'..=b'9' => self.number(start)?,
            b if is_ident_start(b) => {
                let mut end = start + 1;
                while end < bytes.len() && is_ident_char(bytes[end]) {
                    end += 1;
                }
                if bytes.get(end) == Some(&b'?') {
                    end += 1;
                }
                self.pos = end;
                Tok::Ident(&self.src[start..end])
            }
            _ => {
                let c = self.src[start..].chars().next().unwrap_or('?');
                return Err(LexError {
                    at: start,
                    message: format!("unexpected character `{c}`"),
                });
            }
        };
        Ok((tok, start))
    }

    fn single(&mut self, tok: Tok<'a>) -> Tok<'a> {
        self.pos += 1;
        tok
    }

    fn op(&mut self, len: usize) -> Tok<'a> {
        let start = self.pos;
        self.pos += len;
        Tok::Op(&self.src[start..start + len])
    }

    fn number(&mut self, start: usize) -> Result<Tok<'a>, LexError> {
        let bytes = self.src.as_bytes();
        let mut end = start;
        if bytes[end] == b'-' {
            end += 1;
        }
        let digits_start = end;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
        }
        if end == digits_start {
            return Err(LexError {
                at: start,
                message: "unexpected `-`".into(),
            });
        }
        let mut is_float = false;
        if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
            is_float = true;
            end += 1;
            while end < bytes.len() && bytes[end].is_ascii_digit() {
                end += 1;
            }
        }
        self.pos = end;
        let text = &self.src[start..end];
        if is_float {
            return Ok(Tok::Float(text.parse().unwrap_or(0.0)));
        }
        Ok(match text.parse::<i64>() {
            Ok(i) => Tok::Int(i),
            Err(_) => Tok::Float(text.parse().unwrap_or(0.0)),
        })
    }
}
