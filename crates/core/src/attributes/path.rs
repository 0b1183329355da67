//! [`Path`]: where a value sits in an attributes object (`account.plan`, `tags.add[3]`),
//! rendered only when an error names it, so validating costs no string work per value.

use std::fmt;

/// A field path built on the stack as validation descends; `Display` renders it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Path<'a> {
    Root(&'a str),
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub(crate) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    pub(crate) fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root(name) => formatter.write_str(name),
            Path::Key(parent, key) => write!(formatter, "{parent}.{key}"),
            Path::Index(parent, index) => write!(formatter, "{parent}[{index}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_keys_with_dots_and_indexes_in_brackets() {
        let root = Path::Root("account");
        let plan = root.key("plan");
        let seat = plan.index(3);
        assert_eq!(seat.key("$time").to_string(), "account.plan[3].$time");
        assert_eq!(root.to_string(), "account");
    }
}
