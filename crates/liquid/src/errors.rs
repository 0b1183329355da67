//! Error types: parse errors with a position and excerpt, render errors, and aborts.

use std::fmt;

/// A template that cannot be parsed: what is wrong, and where (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (line {line}, column {column}, near `{excerpt}`)")]
pub struct ParseError {
    pub message: String,
    pub line: usize,
    pub column: usize,
    /// Up to 30 characters of the source starting at the error.
    pub excerpt: String,
    /// Byte offset of the error in the template source.
    pub offset: usize,
}

impl ParseError {
    /// Builds an error for byte `offset` of `source`.
    pub fn at(source: &str, offset: usize, message: impl Into<String>) -> Self {
        let offset = floor_char_boundary(source, offset.min(source.len()));
        let before = &source[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = source[line_start..offset].chars().count() + 1;
        let excerpt: String = source[offset..]
            .chars()
            .take(30)
            .map(|c| if c == '\n' { ' ' } else { c })
            .collect();
        ParseError {
            message: message.into(),
            line,
            column,
            excerpt,
            offset,
        }
    }
}

fn floor_char_boundary(s: &str, mut index: usize) -> usize {
    while index > 0 && !s.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// Which resource limit a render exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    OutputSize,
    LoopIterations,
    NestingDepth,
    RenderTime,
    FormatWidth,
    CollectionSize,
    ConnectedContentCalls,
    /// Bytes of values created by one render ([`crate::Limits::max_value_bytes`]).
    ValueBytes,
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitKind::OutputSize => "output size",
            LimitKind::LoopIterations => "loop iterations",
            LimitKind::NestingDepth => "nesting depth",
            LimitKind::RenderTime => "render time",
            LimitKind::FormatWidth => "format width",
            LimitKind::CollectionSize => "collection size",
            LimitKind::ConnectedContentCalls => "connected_content calls per render",
            LimitKind::ValueBytes => "bytes of values created",
        })
    }
}

/// A render that could not complete. Aborts are not errors: see [`crate::Outcome`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("{0}")]
    Parse(#[from] ParseError),
    #[error("liquid error: {0}")]
    Runtime(String),
    #[error("unknown variable `{0}` (strict mode)")]
    UnknownVariable(String),
    #[error("resource limit exceeded: {kind} (limit {limit})")]
    Limit { kind: LimitKind, limit: u64 },
    #[error("partial `{0}` not found")]
    PartialNotFound(String),
    /// `connected_content` with an unusable request, e.g. `<url> is not a valid URL`.
    #[error("{0}")]
    ConnectedContent(String),
    /// A template with `connected_content` was rendered without a fetcher.
    #[error("connected_content needs the async renderer with a fetcher")]
    FetchNeeded,
}

impl RenderError {
    pub(crate) fn runtime(message: impl Into<String>) -> Self {
        RenderError::Runtime(message.into())
    }
}

/// Why a message was aborted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AbortKind {
    /// `{% abort_message %}` ran.
    AbortMessage,
    /// A `connected_content` call with `:retry` failed more than five retries.
    ExhaustedConnectedContentRetries,
}

/// A distinct render outcome: the message must not be sent. Never mixed into output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Abort {
    pub kind: AbortKind,
    pub reason: String,
}

impl fmt::Display for Abort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}
