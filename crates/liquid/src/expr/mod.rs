//! The expression parser: paths, literals, ranges, filters and conditions, including Braze's
//! `${name}` attributes and `{{ … }}` written inside tags.

mod lexer;

use std::sync::Arc;

pub(crate) use lexer::{ExprLexer, Tok};

use crate::ast::{CompareOp, Condition, Expr, FilterCall, FilterChain, Logic, Path, Root, Segment};
use crate::errors::ParseError;
use crate::filters;
use crate::value::Value;

/// Parses one tag's or output's markup.
pub(crate) struct ExprParser<'a> {
    lexer: ExprLexer<'a>,
    markup: &'a str,
    peeked: Option<(Tok<'a>, usize)>,
    source: &'a str,
    offset: usize,
    strict: bool,
    /// How deep brackets, ranges and `{{ … }}` groups may nest in one expression.
    max_depth: usize,
    /// How deep they nest around the current token.
    depth: usize,
}

impl<'a> ExprParser<'a> {
    /// `markup` starts at byte `offset` of `source`.
    pub fn new(
        source: &'a str,
        markup: &'a str,
        offset: usize,
        strict: bool,
        max_depth: usize,
    ) -> Self {
        ExprParser {
            lexer: ExprLexer::new(markup),
            markup,
            peeked: None,
            source,
            offset,
            strict,
            max_depth,
            depth: 0,
        }
    }

    pub fn error_at(&self, at: usize, message: impl Into<String>) -> ParseError {
        ParseError::at(self.source, self.offset + at, message)
    }

    pub fn peek(&mut self) -> Result<Tok<'a>, ParseError> {
        if self.peeked.is_none() {
            let next = self
                .lexer
                .next()
                .map_err(|e| self.error_at(e.at, e.message))?;
            self.peeked = Some(next);
        }
        Ok(self.peeked.map_or(Tok::Eof, |(tok, _)| tok))
    }

    fn peek_pos(&mut self) -> Result<usize, ParseError> {
        self.peek()?;
        Ok(self.peeked.map_or(self.lexer.pos(), |(_, at)| at))
    }

    pub fn advance(&mut self) -> Result<Tok<'a>, ParseError> {
        let tok = self.peek()?;
        self.peeked = None;
        Ok(tok)
    }

    /// The token after the next one, without consuming anything.
    fn peek_second(&mut self) -> Result<Tok<'a>, ParseError> {
        self.peek()?;
        let mut probe = ExprLexer::new(self.lexer.rest());
        Ok(probe.next().map(|(tok, _)| tok).unwrap_or(Tok::Eof))
    }

    /// Byte offset of the next token within the markup.
    pub fn position(&mut self) -> Result<usize, ParseError> {
        self.peek_pos()
    }

    /// The markup between two positions, trimmed.
    pub fn slice(&self, from: usize, to: usize) -> &'a str {
        self.markup.get(from..to).unwrap_or("").trim()
    }

    pub fn expect(&mut self, want: Tok<'static>, what: &str) -> Result<(), ParseError> {
        let at = self.peek_pos()?;
        let tok = self.advance()?;
        if tok == want {
            Ok(())
        } else {
            Err(self.error_at(at, format!("expected {what}")))
        }
    }

    pub fn at_end(&mut self) -> Result<bool, ParseError> {
        Ok(self.peek()? == Tok::Eof)
    }

    pub fn expect_end(&mut self) -> Result<(), ParseError> {
        let at = self.peek_pos()?;
        match self.peek()? {
            Tok::Eof => Ok(()),
            _ => Err(self.error_at(at, "unexpected text after the expression")),
        }
    }

    /// Consumes the identifier `word` if it is next.
    pub fn eat_word(&mut self, word: &str) -> Result<bool, ParseError> {
        if self.peek()? == Tok::Ident(word) {
            self.advance()?;
            return Ok(true);
        }
        Ok(false)
    }

    pub fn ident(&mut self, what: &str) -> Result<&'a str, ParseError> {
        let at = self.peek_pos()?;
        match self.advance()? {
            Tok::Ident(name) => Ok(name),
            _ => Err(self.error_at(at, format!("expected {what}"))),
        }
    }

    /// A whole output: an optional expression with filters, then the end.
    pub fn output(&mut self) -> Result<FilterChain, ParseError> {
        if self.at_end()? {
            return Ok(FilterChain {
                expr: Expr::Literal(Value::Nil),
                filters: Vec::new(),
            });
        }
        let chain = self.filter_chain()?;
        self.expect_end()?;
        Ok(chain)
    }

    pub fn filter_chain(&mut self) -> Result<FilterChain, ParseError> {
        let expr = self.expr()?;
        let mut filters = Vec::new();
        while self.peek()? == Tok::Pipe {
            self.advance()?;
            filters.push(self.filter_call()?);
        }
        Ok(FilterChain { expr, filters })
    }

    fn filter_call(&mut self) -> Result<FilterCall, ParseError> {
        let at = self.peek_pos()?;
        let name = self.ident("a filter name after `|`")?;
        let func = filters::lookup(name);
        if func.is_none() && self.strict {
            return Err(self.error_at(at, format!("unknown filter `{name}`")));
        }
        let mut args = Vec::new();
        let mut kwargs = Vec::new();
        if self.peek()? == Tok::Colon {
            self.advance()?;
            loop {
                if let (Tok::Ident(key), Tok::Colon) = (self.peek()?, self.peek_second()?) {
                    self.advance()?;
                    self.advance()?;
                    kwargs.push((Arc::from(key), self.expr()?));
                } else {
                    args.push(self.expr()?);
                }
                if self.peek()? != Tok::Comma {
                    break;
                }
                self.advance()?;
            }
        }
        Ok(FilterCall {
            name: Arc::from(name),
            func,
            args,
            kwargs,
        })
    }

    /// A primary expression: literal, path, range or Braze group, refused when it would
    /// nest deeper than the limit (every nesting comes back through here).
    pub fn expr(&mut self) -> Result<Expr, ParseError> {
        let at = self.peek_pos()?;
        if self.depth >= self.max_depth {
            return Err(self.error_at(at, "expressions nest too deeply"));
        }
        self.depth += 1;
        let expr = self.primary(at);
        self.depth -= 1;
        expr
    }

    fn primary(&mut self, at: usize) -> Result<Expr, ParseError> {
        let expr = match self.advance()? {
            Tok::Str(s) => Expr::Literal(Value::str(s)),
            Tok::Int(i) => Expr::Literal(Value::Int(i)),
            Tok::Float(f) => Expr::Literal(Value::Float(f)),
            Tok::Ident(word) => match word {
                "true" => Expr::Literal(Value::Bool(true)),
                "false" => Expr::Literal(Value::Bool(false)),
                "nil" | "null" => Expr::Literal(Value::Nil),
                "blank" => Expr::Literal(Value::Blank),
                "empty" => Expr::Literal(Value::Empty),
                name => self.path(Root::Name(Arc::from(name)))?,
            },
            Tok::Attribute(name) => self.path(Root::Attribute(Arc::from(name)))?,
            Tok::LBracket => {
                let index = self.expr()?;
                self.expect(Tok::RBracket, "`]`")?;
                self.path(Root::Index(Box::new(index)))?
            }
            Tok::LParen => {
                let start = self.expr()?;
                self.expect(Tok::DotDot, "`..` in a range")?;
                let end = self.expr()?;
                self.expect(Tok::RParen, "`)` to close the range")?;
                match (&start, &end) {
                    (Expr::Literal(a), Expr::Literal(b)) => {
                        match (a.to_integer(), b.to_integer()) {
                            (Some(a), Some(b)) => Expr::Literal(Value::Range(a, b)),
                            _ => Expr::Range(Box::new(start), Box::new(end)),
                        }
                    }
                    _ => Expr::Range(Box::new(start), Box::new(end)),
                }
            }
            Tok::OpenGroup => {
                let chain = self.filter_chain()?;
                self.expect(Tok::CloseGroup, "`}}`")?;
                if chain.filters.is_empty() {
                    chain.expr
                } else {
                    Expr::Group(Box::new(chain))
                }
            }
            Tok::Eof => return Err(self.error_at(at, "expected an expression")),
            _ => return Err(self.error_at(at, "unexpected token; expected an expression")),
        };
        Ok(expr)
    }

    fn path(&mut self, root: Root) -> Result<Expr, ParseError> {
        let mut segments = Vec::new();
        loop {
            match self.peek()? {
                Tok::Dot => {
                    self.advance()?;
                    let at = self.peek_pos()?;
                    match self.advance()? {
                        Tok::Ident(key) => segments.push(Segment::Key(Arc::from(key))),
                        Tok::Attribute(key) => segments.push(Segment::Attribute(Arc::from(key))),
                        _ => return Err(self.error_at(at, "expected a property name after `.`")),
                    }
                }
                Tok::LBracket => {
                    self.advance()?;
                    let index = self.expr()?;
                    self.expect(Tok::RBracket, "`]`")?;
                    segments.push(match index {
                        Expr::Literal(Value::Str(key)) => Segment::Key(key),
                        other => Segment::Index(other),
                    });
                }
                _ => break,
            }
        }
        Ok(Expr::Path(Path { root, segments }))
    }

    /// A condition of `if`, `elsif` and `unless`; `and`/`or` group from the right.
    pub fn condition(&mut self) -> Result<Condition, ParseError> {
        let mut terms = Vec::new();
        let mut last = self.comparison()?;
        loop {
            let logic = if self.eat_word("and")? {
                Logic::And
            } else if self.eat_word("or")? {
                Logic::Or
            } else {
                break;
            };
            terms.push((last, logic));
            last = self.comparison()?;
        }
        Ok(if terms.is_empty() {
            last
        } else {
            Condition::Chain(terms, Box::new(last))
        })
    }

    fn comparison(&mut self) -> Result<Condition, ParseError> {
        let left = self.expr()?;
        let at = self.peek_pos()?;
        let op = match self.peek()? {
            Tok::Op(op) => match op {
                "==" => CompareOp::Eq,
                "!=" | "<>" => CompareOp::Ne,
                "<" => CompareOp::Lt,
                ">" => CompareOp::Gt,
                "<=" => CompareOp::Le,
                ">=" => CompareOp::Ge,
                _ => return Err(self.error_at(at, format!("unknown operator `{op}`"))),
            },
            Tok::Ident("contains") => CompareOp::Contains,
            Tok::Ident("and" | "or") | Tok::Eof => return Ok(Condition::Test(left)),
            _ => {
                return Err(self.error_at(
                    at,
                    "expected an operator, `and`, `or` or the end of the tag",
                ));
            }
        };
        self.advance()?;
        let right = self.expr()?;
        Ok(Condition::Compare(left, op, right))
    }
}
