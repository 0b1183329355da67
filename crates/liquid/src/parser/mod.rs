//! The template parser: turns tokens into a [`Block`] tree, one tag at a time.

mod lines;
mod tags;

use crate::ast::{Block, Node};
use crate::errors::ParseError;
use crate::expr::ExprParser;
use crate::lexer::{Lexer, Token, TokenSource};

/// Options that change how a template parses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ParseSettings {
    pub strict: bool,
    pub max_depth: usize,
}

/// The end tag that closed a block.
pub(crate) struct EndTag<'a> {
    pub name: &'a str,
    pub markup: &'a str,
    pub markup_offset: usize,
}

pub(crate) struct Parser<'a> {
    source: &'a str,
    settings: ParseSettings,
    depth: usize,
}

/// Parses a whole template.
pub(crate) fn parse_template(source: &str, settings: ParseSettings) -> Result<Block, ParseError> {
    let mut parser = Parser {
        source,
        settings,
        depth: 0,
    };
    let mut lexer = Lexer::new(source);
    let (block, _) = parser.block(&mut lexer, &[], 0)?;
    Ok(block)
}

impl<'a> Parser<'a> {
    fn expr_parser(&self, markup: &'a str, offset: usize) -> ExprParser<'a> {
        ExprParser::new(
            self.source,
            markup,
            offset,
            self.settings.strict,
            self.settings.max_depth,
        )
    }

    fn error(&self, offset: usize, message: impl Into<String>) -> ParseError {
        ParseError::at(self.source, offset, message)
    }

    /// Parses nodes until one of `ends` (or the end of input when `ends` is empty).
    pub(crate) fn block(
        &mut self,
        tokens: &mut dyn TokenSource<'a>,
        ends: &[&str],
        open_offset: usize,
    ) -> Result<(Block, Option<EndTag<'a>>), ParseError> {
        self.depth += 1;
        if self.depth > self.settings.max_depth {
            return Err(self.error(open_offset, "templates nest too deeply"));
        }
        let mut nodes = Vec::new();
        let mut end = None;
        while let Some(token) = tokens.next_token()? {
            match token {
                Token::Text(text) => nodes.push(Node::Text(text.into())),
                Token::Output { markup, offset } => {
                    nodes.push(Node::Output(self.expr_parser(markup, offset).output()?));
                }
                Token::Tag {
                    name,
                    markup,
                    offset,
                    markup_offset,
                } => {
                    if ends.contains(&name) {
                        end = Some(EndTag {
                            name,
                            markup,
                            markup_offset,
                        });
                        break;
                    }
                    if let Some(node) = self.tag(tokens, name, markup, offset, markup_offset)? {
                        nodes.push(node);
                    }
                }
            }
        }
        self.depth -= 1;
        if end.is_none() && !ends.is_empty() {
            let expected = ends.last().copied().unwrap_or("end");
            return Err(self.error(
                open_offset,
                format!("tag was never closed: expected `{{% {expected} %}}`"),
            ));
        }
        let blank = nodes.iter().all(Node::is_blank);
        Ok((Block { nodes, blank }, end))
    }

    /// Parses a block that must end with exactly `end_name`.
    fn body(
        &mut self,
        tokens: &mut dyn TokenSource<'a>,
        end_name: &str,
        open_offset: usize,
    ) -> Result<Block, ParseError> {
        Ok(self.block(tokens, &[end_name], open_offset)?.0)
    }

    /// Skips a `comment` block, honouring nested comments and raw blocks inside it.
    fn skip_comment(
        &mut self,
        tokens: &mut dyn TokenSource<'a>,
        open_offset: usize,
    ) -> Result<(), ParseError> {
        let mut depth = 1usize;
        while let Some(token) = tokens.next_token()? {
            if let Token::Tag { name, offset, .. } = token {
                match name {
                    "comment" => depth += 1,
                    "endcomment" => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(());
                        }
                    }
                    "raw" => {
                        tokens.raw_until("endraw", offset)?;
                    }
                    _ => {}
                }
            }
        }
        Err(self.error(
            open_offset,
            "tag was never closed: expected `{% endcomment %}`",
        ))
    }
}

/// Marks blank block tags: their whitespace-only text is dropped, as Liquid does.
pub(crate) fn strip_if_blank(mut node: Node) -> Node {
    if node.is_blank() {
        match &mut node {
            Node::If {
                branches,
                otherwise,
            } => {
                branches.iter_mut().for_each(|(_, b)| b.strip_blank_text());
                if let Some(b) = otherwise {
                    b.strip_blank_text();
                }
            }
            Node::Case { arms, .. } => arms.iter_mut().for_each(|arm| arm.body.strip_blank_text()),
            Node::For(for_loop) => {
                for_loop.body.strip_blank_text();
                if let Some(b) = &mut for_loop.otherwise {
                    b.strip_blank_text();
                }
            }
            _ => {}
        }
    }
    node
}
