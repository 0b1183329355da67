//! Resource limits for a render, with safe defaults.

use std::time::Duration;

/// Limits a render enforces; exceeding one ends the render with [`crate::RenderError::Limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of output (also bounds captured text).
    pub max_output_bytes: usize,
    /// Loop iterations summed over the whole render (for, tablerow, and filters over ranges).
    pub max_loop_iterations: u64,
    /// Nesting of blocks and of brackets, ranges and `{{ … }}` groups in one expression at
    /// parse time, and of include/render at render time.
    pub max_nesting_depth: usize,
    /// Wall-clock time for one render pass.
    pub max_render_time: Duration,
    /// Width of one padded `date` directive such as `%10d`.
    pub max_format_width: usize,
    /// Elements a filter may build from a range or split.
    pub max_collection_len: usize,
    /// Bytes of values one render may create, summed over the render: every filter result
    /// (strings, and arrays at the size of their items), every `capture`, every text made
    /// from an array or object. Counted when made, never given back, so appending to a string
    /// in a loop counts each intermediate string. A filter whose result would pass the budget
    /// is refused before it allocates. Default 32 MiB: thousands of times a Salesforce Lead
    /// body, and room for a string built by a few thousand appends in a loop.
    pub max_value_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_output_bytes: 4 * 1024 * 1024,
            max_loop_iterations: 1_000_000,
            max_nesting_depth: 64,
            max_render_time: Duration::from_secs(2),
            max_format_width: 1024,
            max_collection_len: 100_000,
            max_value_bytes: 32 * 1024 * 1024,
        }
    }
}
