//! Problems found in a config file: what is wrong, where (a path such as
//! `canvases[0].steps[2].next`, mapped back to a line of the file) and how to fix it.

use std::fmt;

use toml_edit::{Array, ImDocument, InlineTable, Item, Table, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One step of a path into the config: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// Where in the config a problem is, e.g. `webhook_templates[1].headers.Authorization`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigPath(pub Vec<Segment>);

impl ConfigPath {
    pub fn key(&self, key: &str) -> ConfigPath {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_owned()));
        ConfigPath(segments)
    }

    pub fn index(&self, index: usize) -> ConfigPath {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        ConfigPath(segments)
    }
}

impl fmt::Display for ConfigPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Key(key) if position == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
            }
        }
        Ok(())
    }
}

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub path: ConfigPath,
    /// The 1-based line of the file, when known.
    pub line: Option<usize>,
    pub message: String,
    pub fix: String,
}

impl Diagnostic {
    pub fn error(path: ConfigPath, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            path,
            line: None,
            message: message.into(),
            fix: fix.into(),
        }
    }

    pub fn warning(path: ConfigPath, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(path, message, fix)
        }
    }

    /// Renders the diagnostic as `FILE:LINE: severity: message` plus an indented fix line.
    pub fn render(&self, file: &str) -> String {
        let location = match self.line {
            Some(line) => format!("{file}:{line}"),
            None => file.to_owned(),
        };
        let at = if self.path.0.is_empty() {
            String::new()
        } else {
            format!(" (at {})", self.path)
        };
        format!(
            "{location}: {}: {}{at}\n  fix: {}",
            self.severity, self.message, self.fix
        )
    }
}

/// The 1-based line holding byte `offset` of `source`.
pub fn line_of(source: &str, offset: usize) -> usize {
    let end = offset.min(source.len());
    source
        .as_bytes()
        .iter()
        .take(end)
        .filter(|byte| **byte == b'\n')
        .count()
        + 1
}

/// Maps config paths to lines of the TOML source they came from.
pub struct Locator<'s> {
    source: &'s str,
    document: Option<ImDocument<&'s str>>,
}

#[derive(Clone, Copy)]
enum Node<'d> {
    Item(&'d Item),
    Table(&'d Table),
    Value(&'d Value),
}

impl<'s> Locator<'s> {
    pub fn new(source: &'s str) -> Self {
        Self {
            source,
            document: ImDocument::parse(source).ok(),
        }
    }

    /// The line of the deepest part of `path` present in the file.
    pub fn line(&self, path: &ConfigPath) -> Option<usize> {
        self.span_start(path)
            .map(|offset| line_of(self.source, offset))
    }

    /// The byte offset where the deepest part of `path` present in the file starts.
    pub fn span_start(&self, path: &ConfigPath) -> Option<usize> {
        let document = self.document.as_ref()?;
        let mut node = Node::Item(document.as_item());
        let mut best = None;
        for segment in &path.0 {
            let Some((child, key_start)) = child(node, segment) else {
                break;
            };
            best = start_of(child).or(key_start).or(best);
            node = child;
        }
        best
    }
}

fn child<'d>(node: Node<'d>, segment: &Segment) -> Option<(Node<'d>, Option<usize>)> {
    match segment {
        Segment::Key(key) => {
            if let Some(table) = as_table(node) {
                let key_start = table
                    .key(key)
                    .and_then(|key| key.span())
                    .map(|span| span.start);
                return table.get(key).map(|item| (Node::Item(item), key_start));
            }
            let table = as_inline_table(node)?;
            let key_start = table
                .key(key)
                .and_then(|key| key.span())
                .map(|span| span.start);
            table.get(key).map(|value| (Node::Value(value), key_start))
        }
        Segment::Index(index) => {
            if let Node::Item(Item::ArrayOfTables(array)) = node {
                return array.get(*index).map(|table| (Node::Table(table), None));
            }
            let array = as_array(node)?;
            array.get(*index).map(|value| (Node::Value(value), None))
        }
    }
}

fn as_table(node: Node<'_>) -> Option<&Table> {
    match node {
        Node::Item(Item::Table(table)) | Node::Table(table) => Some(table),
        _ => None,
    }
}

fn as_inline_table(node: Node<'_>) -> Option<&InlineTable> {
    match node {
        Node::Item(Item::Value(Value::InlineTable(table)))
        | Node::Value(Value::InlineTable(table)) => Some(table),
        _ => None,
    }
}

fn as_array(node: Node<'_>) -> Option<&Array> {
    match node {
        Node::Item(Item::Value(Value::Array(array))) | Node::Value(Value::Array(array)) => {
            Some(array)
        }
        _ => None,
    }
}

fn start_of(node: Node<'_>) -> Option<usize> {
    let span = match node {
        Node::Item(item) => item.span(),
        Node::Table(table) => table.span(),
        Node::Value(value) => value.span(),
    };
    span.map(|span| span.start)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = r#"# leads
[[webhook_templates]]
name = "a"
headers = { Authorization = "x" }

[[webhook_templates]]
name = "b"
body.json = { k = "v" }

[[canvases]]
name = "c"

[[canvases.steps]]
name = "one"
groups = [
  { name = "g", next = "missing" },
]
"#;

    fn path(segments: &[Segment]) -> ConfigPath {
        ConfigPath(segments.to_vec())
    }

    fn key(name: &str) -> Segment {
        Segment::Key(name.into())
    }

    #[test]
    fn maps_paths_to_lines() {
        let locator = Locator::new(SOURCE);
        let root = ConfigPath::default();
        assert_eq!(
            locator.line(&root.key("webhook_templates").index(0).key("name")),
            Some(3)
        );
        assert_eq!(
            locator.line(
                &root
                    .key("webhook_templates")
                    .index(0)
                    .key("headers")
                    .key("Authorization")
            ),
            Some(4)
        );
        assert_eq!(
            locator.line(
                &root
                    .key("webhook_templates")
                    .index(1)
                    .key("body")
                    .key("json")
                    .key("k")
            ),
            Some(8)
        );
        assert_eq!(
            locator.line(&path(&[
                key("canvases"),
                Segment::Index(0),
                key("steps"),
                Segment::Index(0),
                key("groups"),
                Segment::Index(0),
                key("next")
            ])),
            Some(16)
        );
        assert_eq!(
            locator.line(
                &root
                    .key("canvases")
                    .index(0)
                    .key("steps")
                    .index(0)
                    .key("absent")
            ),
            Some(13)
        );
        assert_eq!(locator.line(&root.key("nothing")), None);
    }

    #[test]
    fn renders_file_line_message_and_fix() {
        let mut diagnostic = Diagnostic::error(
            ConfigPath::default().key("campaigns").index(2),
            "bad",
            "do this",
        );
        diagnostic.line = Some(7);
        assert_eq!(
            diagnostic.render("x.toml"),
            "x.toml:7: error: bad (at campaigns[2])\n  fix: do this"
        );
    }
}
