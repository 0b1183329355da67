//! The parsed template tree. Built once by the parser; the renderer only reads it.

use std::sync::Arc;

use crate::connected_content::ConnectedContentTag;
use crate::filters::FilterFn;
use crate::value::Value;

/// A sequence of nodes. `blank` is true when it renders only whitespace and silent tags.
#[derive(Debug, Default)]
pub(crate) struct Block {
    pub nodes: Vec<Node>,
    pub blank: bool,
}

impl Block {
    /// A guess at the rendered size, to allocate once.
    pub fn size_hint(&self) -> usize {
        self.nodes
            .iter()
            .map(|node| match node {
                Node::Text(text) => text.len(),
                _ => 32,
            })
            .sum::<usize>()
            .min(64 * 1024)
    }

    /// Drops whitespace-only text, as Liquid does inside a block tag that renders nothing.
    pub fn strip_blank_text(&mut self) {
        self.nodes.retain(|node| !matches!(node, Node::Text(_)));
    }
}

#[derive(Debug)]
pub(crate) enum Node {
    Text(Box<str>),
    Output(FilterChain),
    Assign {
        name: Arc<str>,
        value: FilterChain,
    },
    Capture {
        name: Arc<str>,
        body: Block,
    },
    If {
        branches: Vec<(Condition, Block)>,
        otherwise: Option<Block>,
    },
    Case {
        subject: Expr,
        arms: Vec<CaseArm>,
    },
    For(Box<ForLoop>),
    Tablerow(Box<ForLoop>),
    Break,
    Continue,
    Cycle {
        group: CycleGroup,
        values: Vec<Expr>,
    },
    Increment(Arc<str>),
    Decrement(Arc<str>),
    IfChanged(Block),
    Include(Box<Include>),
    Render(Box<Include>),
    /// The body of a `{% liquid %}` tag.
    Nested(Block),
    AbortMessage(Arc<str>),
    ConnectedContent(Box<ConnectedContentTag>),
}

impl Node {
    pub fn is_blank(&self) -> bool {
        match self {
            Node::Text(text) => text.trim().is_empty(),
            Node::Assign { .. } | Node::Capture { .. } => true,
            Node::If {
                branches,
                otherwise,
            } => {
                branches.iter().all(|(_, b)| b.blank) && otherwise.as_ref().is_none_or(|b| b.blank)
            }
            Node::Case { arms, .. } => arms.iter().all(|arm| arm.body.blank),
            Node::For(for_loop) => {
                for_loop.body.blank && for_loop.otherwise.as_ref().is_none_or(|b| b.blank)
            }
            Node::Nested(block) => block.blank,
            _ => false,
        }
    }
}

#[derive(Debug)]
pub(crate) enum CycleGroup {
    Named(Expr),
    Unnamed(Box<str>),
}

#[derive(Debug)]
pub(crate) struct CaseArm {
    /// `None` for an `else` arm.
    pub values: Option<Vec<Expr>>,
    pub body: Block,
}

#[derive(Debug)]
pub(crate) struct ForLoop {
    pub variable: Arc<str>,
    pub collection: Expr,
    /// `variable-collection source`, the key for `offset: continue` and `forloop.name`.
    pub name: Arc<str>,
    pub limit: Option<Expr>,
    pub offset: Option<LoopOffset>,
    pub reversed: bool,
    /// `cols:` of a tablerow.
    pub cols: Option<Expr>,
    pub body: Block,
    pub otherwise: Option<Block>,
}

#[derive(Debug)]
pub(crate) enum LoopOffset {
    Continue,
    Value(Expr),
}

#[derive(Debug)]
pub(crate) struct Include {
    pub name: Expr,
    /// `with expr` or `for expr`, bound to `alias` or the partial's name.
    pub bound: Option<(Expr, bool)>,
    pub alias: Option<Arc<str>>,
    pub args: Vec<(Arc<str>, Expr)>,
}

/// A primary expression with filters: `x | f: a, k: v`.
#[derive(Debug)]
pub(crate) struct FilterChain {
    pub expr: Expr,
    pub filters: Vec<FilterCall>,
}

#[derive(Debug)]
pub(crate) struct FilterCall {
    pub name: Arc<str>,
    /// `None` for an unknown filter in lax mode: the value passes through.
    pub func: Option<FilterFn>,
    pub args: Vec<Expr>,
    pub kwargs: Vec<(Arc<str>, Expr)>,
}

#[derive(Debug)]
pub(crate) enum Expr {
    Literal(Value),
    Path(Path),
    Range(Box<Expr>, Box<Expr>),
    /// Braze's `{{ … }}` written inside a tag.
    Group(Box<FilterChain>),
}

#[derive(Debug)]
pub(crate) struct Path {
    pub root: Root,
    pub segments: Vec<Segment>,
}

#[derive(Debug)]
pub(crate) enum Root {
    Name(Arc<str>),
    Index(Box<Expr>),
    /// A bare Braze `${name}`: a standard user attribute.
    Attribute(Arc<str>),
}

#[derive(Debug)]
pub(crate) enum Segment {
    Key(Arc<str>),
    Index(Expr),
    /// `.${name}`: a key that may contain spaces, non-ASCII and dots (nested lookup).
    Attribute(Arc<str>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompareOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Contains,
}

#[derive(Debug)]
pub(crate) enum Condition {
    Test(Expr),
    Compare(Expr, CompareOp, Expr),
    /// `a and b or c …`: each term with the word after it, then the last term. Liquid
    /// groups from the right (`a and (b or c)`), so the terms are evaluated left to right
    /// until one decides. Flat, so a long chain nests nothing.
    Chain(Vec<(Condition, Logic)>, Box<Condition>),
    Not(Box<Condition>),
}

/// The word joining two terms of a [`Condition::Chain`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Logic {
    And,
    Or,
}
