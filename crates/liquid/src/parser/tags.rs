//! Parsing of each tag's markup and body.

use std::sync::Arc;

use super::lines::LineSource;
use super::{Parser, strip_if_blank};
use crate::ast::{Block, CaseArm, Condition, CycleGroup, Expr, ForLoop, Include, LoopOffset, Node};
use crate::connected_content;
use crate::errors::ParseError;
use crate::expr::Tok;
use crate::lexer::TokenSource;
use crate::value::Value;

/// Names of tags that close or continue a block; they are errors on their own.
const END_TAGS: &[&str] = &[
    "endif",
    "endunless",
    "endcase",
    "endfor",
    "endtablerow",
    "endcapture",
    "endcomment",
    "endraw",
    "enddoc",
    "endifchanged",
    "else",
    "elsif",
    "when",
];

/// Checks a variable name for `assign` and `capture`: letters, digits, `_` and `-`, not
/// starting with `-`.
fn variable_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl<'a> Parser<'a> {
    pub(super) fn tag(
        &mut self,
        tokens: &mut dyn TokenSource<'a>,
        name: &'a str,
        markup: &'a str,
        offset: usize,
        markup_offset: usize,
    ) -> Result<Option<Node>, ParseError> {
        let node = match name {
            "#" => {
                if markup
                    .lines()
                    .skip(1)
                    .any(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
                {
                    return Err(self.error(
                        offset,
                        "every line of an inline comment must start with `#`",
                    ));
                }
                return Ok(None);
            }
            "assign" => self.assign(markup, markup_offset)?,
            "capture" => {
                let var = markup.trim();
                if !variable_name(var) {
                    return Err(self.error(
                        markup_offset,
                        format!("invalid variable name `{var}` for capture"),
                    ));
                }
                let body = self.body(tokens, "endcapture", offset)?;
                Node::Capture {
                    name: Arc::from(var),
                    body,
                }
            }
            "echo" => Node::Output(self.expr_parser(markup, markup_offset).output()?),
            "if" | "unless" => {
                self.if_tag(tokens, name == "unless", markup, offset, markup_offset)?
            }
            "case" => self.case_tag(tokens, markup, offset, markup_offset)?,
            "for" | "tablerow" => {
                let end = if name == "for" {
                    "endfor"
                } else {
                    "endtablerow"
                };
                let mut for_loop = self.for_markup(markup, markup_offset, name == "tablerow")?;
                let ends: &[&str] = if name == "for" {
                    &["else", "endfor"]
                } else {
                    &[end]
                };
                let (body, closer) = self.block(tokens, ends, offset)?;
                for_loop.body = body;
                if closer.is_some_and(|c| c.name == "else") {
                    for_loop.otherwise = Some(self.body(tokens, end, offset)?);
                }
                if name == "for" {
                    strip_if_blank(Node::For(Box::new(for_loop)))
                } else {
                    Node::Tablerow(Box::new(for_loop))
                }
            }
            "break" => Node::Break,
            "continue" => Node::Continue,
            "cycle" => self.cycle(markup, markup_offset)?,
            "increment" | "decrement" => {
                let var = markup.trim();
                if var.is_empty() {
                    return Err(
                        self.error(markup_offset, format!("`{name}` needs a variable name"))
                    );
                }
                if name == "increment" {
                    Node::Increment(Arc::from(var))
                } else {
                    Node::Decrement(Arc::from(var))
                }
            }
            "comment" => {
                self.skip_comment(tokens, offset)?;
                return Ok(None);
            }
            "raw" => {
                let text = tokens.raw_until("endraw", offset)?;
                if text.is_empty() {
                    return Ok(None);
                }
                Node::Text(text.into())
            }
            "doc" => {
                if !markup.is_empty() {
                    return Err(self.error(markup_offset, "`doc` takes no arguments"));
                }
                let text = tokens.raw_until("enddoc", offset)?;
                if text.contains("{% doc") || text.contains("{%- doc") {
                    return Err(self.error(offset, "`doc` blocks cannot nest"));
                }
                return Ok(None);
            }
            "ifchanged" => Node::IfChanged(self.body(tokens, "endifchanged", offset)?),
            "liquid" => {
                let mut lines = LineSource::new(self.source, markup, markup_offset);
                let (block, _) = self.block(&mut lines, &[], offset)?;
                Node::Nested(block)
            }
            "include" | "render" => self.include(name == "render", markup, markup_offset)?,
            "abort_message" => Node::AbortMessage(self.abort_reason(markup, markup_offset)?),
            "connected_content" => Node::ConnectedContent(Box::new(connected_content::parse_tag(
                self.source,
                markup,
                markup_offset,
                self.settings,
            )?)),
            other if END_TAGS.contains(&other) => {
                return Err(self.error(offset, format!("unexpected `{other}`")));
            }
            other => return Err(self.error(offset, format!("unknown tag `{other}`"))),
        };
        Ok(Some(node))
    }

    fn assign(&mut self, markup: &'a str, markup_offset: usize) -> Result<Node, ParseError> {
        let Some(eq) = markup.find('=') else {
            return Err(self.error(markup_offset, "expected `name = value` in assign"));
        };
        let var = markup[..eq].trim();
        if !variable_name(var) {
            return Err(self.error(
                markup_offset,
                format!("invalid variable name `{var}` for assign"),
            ));
        }
        let value_markup = &markup[eq + 1..];
        let mut parser = self.expr_parser(value_markup, markup_offset + eq + 1);
        let value = parser.filter_chain()?;
        parser.expect_end()?;
        Ok(Node::Assign {
            name: Arc::from(var),
            value,
        })
    }

    fn if_tag(
        &mut self,
        tokens: &mut dyn TokenSource<'a>,
        negate_first: bool,
        markup: &'a str,
        offset: usize,
        markup_offset: usize,
    ) -> Result<Node, ParseError> {
        let end_name = if negate_first { "endunless" } else { "endif" };
        let ends = ["elsif", "else", end_name];
        let mut condition = self.condition(markup, markup_offset)?;
        if negate_first {
            condition = Condition::Not(Box::new(condition));
        }
        let mut branches = Vec::new();
        let mut otherwise: Option<Block> = None;
        let mut current = condition;
        loop {
            let (block, closer) = self.block(tokens, &ends, offset)?;
            branches.push((current, block));
            let Some(closer) = closer else { break };
            match closer.name {
                "elsif" => current = self.condition(closer.markup, closer.markup_offset)?,
                "else" => {
                    let (block, mut closer) = self.block(tokens, &ends, offset)?;
                    otherwise = Some(block);
                    // Further `else`/`elsif` blocks after `else` are parsed and ignored.
                    while closer.as_ref().is_some_and(|c| c.name != end_name) {
                        closer = self.block(tokens, &ends, offset)?.1;
                    }
                    break;
                }
                _ => break,
            }
        }
        Ok(strip_if_blank(Node::If {
            branches,
            otherwise,
        }))
    }

    fn condition(&mut self, markup: &'a str, offset: usize) -> Result<Condition, ParseError> {
        let mut parser = self.expr_parser(markup, offset);
        let condition = parser.condition()?;
        parser.expect_end()?;
        Ok(condition)
    }

    fn case_tag(
        &mut self,
        tokens: &mut dyn TokenSource<'a>,
        markup: &'a str,
        offset: usize,
        markup_offset: usize,
    ) -> Result<Node, ParseError> {
        let mut parser = self.expr_parser(markup, markup_offset);
        let subject = parser.expr()?;
        parser.expect_end()?;
        let ends = ["when", "else", "endcase"];
        let (_, mut closer) = self.block(tokens, &ends, offset)?;
        let mut arms = Vec::new();
        while let Some(tag) = closer.take() {
            let values = match tag.name {
                "when" => Some(self.when_values(tag.markup, tag.markup_offset)?),
                "else" => None,
                _ => break,
            };
            let (body, next) = self.block(tokens, &ends, offset)?;
            arms.push(CaseArm { values, body });
            closer = next;
        }
        Ok(strip_if_blank(Node::Case { subject, arms }))
    }

    fn when_values(&mut self, markup: &'a str, offset: usize) -> Result<Vec<Expr>, ParseError> {
        let mut parser = self.expr_parser(markup, offset);
        let mut values = vec![parser.expr()?];
        // Liquid's lax parser stops at anything else (e.g. `and`).
        while let Tok::Comma | Tok::Ident("or") = parser.peek()? {
            parser.advance()?;
            values.push(parser.expr()?);
        }
        Ok(values)
    }

    fn for_markup(
        &mut self,
        markup: &'a str,
        offset: usize,
        tablerow: bool,
    ) -> Result<ForLoop, ParseError> {
        let mut parser = self.expr_parser(markup, offset);
        let variable = parser.ident("a loop variable name")?;
        if !parser.eat_word("in")? {
            let at = parser.position()?;
            return Err(parser.error_at(at, "expected `in` after the loop variable"));
        }
        let collection_start = parser.position()?;
        let collection = parser.expr()?;
        let collection_end = parser.position()?;
        let name = format!(
            "{variable}-{}",
            parser.slice(collection_start, collection_end)
        );
        let mut for_loop = ForLoop {
            variable: Arc::from(variable),
            collection,
            name: Arc::from(name),
            limit: None,
            offset: None,
            reversed: false,
            cols: None,
            body: Block::default(),
            otherwise: None,
        };
        loop {
            let at = parser.position()?;
            match parser.advance()? {
                Tok::Eof => break,
                Tok::Comma => {}
                Tok::Ident("reversed") if !tablerow => for_loop.reversed = true,
                Tok::Ident(param @ ("limit" | "offset" | "cols")) => {
                    parser.expect(Tok::Colon, "`:` after a loop parameter")?;
                    match param {
                        "limit" => for_loop.limit = Some(parser.expr()?),
                        "cols" => for_loop.cols = Some(parser.expr()?),
                        _ => {
                            for_loop.offset = Some(if parser.eat_word("continue")? {
                                LoopOffset::Continue
                            } else {
                                LoopOffset::Value(parser.expr()?)
                            })
                        }
                    }
                }
                _ => return Err(parser.error_at(at, "unexpected loop parameter")),
            }
        }
        Ok(for_loop)
    }

    fn cycle(&mut self, markup: &'a str, offset: usize) -> Result<Node, ParseError> {
        let mut parser = self.expr_parser(markup, offset);
        let first = parser.expr()?;
        let (group, mut values) = if parser.peek()? == Tok::Colon {
            parser.advance()?;
            (CycleGroup::Named(first), vec![parser.expr()?])
        } else {
            (
                CycleGroup::Unnamed(markup.split_whitespace().collect::<String>().into()),
                vec![first],
            )
        };
        while parser.peek()? == Tok::Comma {
            parser.advance()?;
            values.push(parser.expr()?);
        }
        parser.expect_end()?;
        Ok(Node::Cycle { group, values })
    }

    fn include(
        &mut self,
        isolated: bool,
        markup: &'a str,
        offset: usize,
    ) -> Result<Node, ParseError> {
        let mut parser = self.expr_parser(markup, offset);
        let at = parser.position()?;
        let name = parser.expr()?;
        if isolated && !matches!(name, Expr::Literal(Value::Str(_))) {
            return Err(parser.error_at(at, "`render` needs the partial name as a quoted string"));
        }
        let mut include = Include {
            name,
            bound: None,
            alias: None,
            args: Vec::new(),
        };
        for (word, is_for) in [("with", false), ("for", true)] {
            if include.bound.is_none() && parser.eat_word(word)? {
                include.bound = Some((parser.expr()?, is_for));
            }
        }
        if parser.eat_word("as")? {
            include.alias = Some(Arc::from(parser.ident("an alias after `as`")?));
        }
        loop {
            match parser.peek()? {
                Tok::Eof => break,
                Tok::Comma => {
                    parser.advance()?;
                }
                _ => {
                    let key = parser.ident("an argument name")?;
                    parser.expect(Tok::Colon, "`:` after an argument name")?;
                    include.args.push((Arc::from(key), parser.expr()?));
                }
            }
        }
        Ok(if isolated {
            Node::Render(Box::new(include))
        } else {
            Node::Include(Box::new(include))
        })
    }

    /// `abort_message`, `abort_message()`, `abort_message('r')`, `abort_message ("r")`.
    fn abort_reason(&mut self, markup: &'a str, offset: usize) -> Result<Arc<str>, ParseError> {
        let inner = markup.trim();
        let inner = match inner.strip_prefix('(') {
            Some(rest) => match rest.strip_suffix(')') {
                Some(inside) => inside.trim(),
                None => return Err(self.error(offset, "`abort_message(` was not closed with `)`")),
            },
            None => inner,
        };
        if inner.is_empty() {
            return Ok(Arc::from("{% abort_message %} called"));
        }
        let quoted = |q: char| inner.strip_prefix(q).and_then(|s| s.strip_suffix(q));
        match quoted('\'').or_else(|| quoted('"')) {
            Some(reason) => Ok(Arc::from(reason)),
            None => Err(self.error(offset, "the abort_message reason must be a quoted string")),
        }
    }
}
