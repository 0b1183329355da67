//! Repository rules the compiler does not check: every Rust file opens with a `//!` line,
//! and no import cycle spans the modules of the domain and engine crates (at any level,
//! sibling modules never import each other in a circle, directly or through others).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

#[test]
fn every_rust_file_opens_with_a_module_doc_line() {
    let mut files = Vec::new();
    rust_files(&workspace().join("crates"), &mut files);
    let missing: Vec<String> = files
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(missing.is_empty(), "no `//!` first line: {missing:#?}");
}

/// A module's path inside its crate, from its file: `a/b.rs` and `a/b/mod.rs` are `a::b`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap_or(file);
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if !matches!(stem, "mod" | "lib" | "main") {
            parts.push(stem.to_owned());
        }
    }
    parts
}

/// The module paths a file's text names through `crate::` and `super::`.
fn referenced(module: &[String], text: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for (prefix, base) in [("crate::", Vec::new()), ("super::", parent(module))] {
        let mut rest = text;
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().last();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let mut path = base.clone();
            let mut tail = rest;
            while let Some(super_rest) = tail.strip_prefix("super::") {
                path.pop();
                tail = super_rest;
            }
            let segment: String = tail
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            path.extend(
                segment
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            );
            if tail[segment.len()..].starts_with('{') {
                let group: String = tail[segment.len() + 1..]
                    .chars()
                    .take_while(|c| *c != '}')
                    .collect();
                for item in group.split(',') {
                    let mut grouped = path.clone();
                    grouped.extend(
                        item.trim()
                            .split("::")
                            .map(|s| s.trim().to_owned())
                            .filter(|s| !s.is_empty() && s != "self"),
                    );
                    paths.push(grouped);
                }
            }
            paths.push(path);
        }
    }
    paths
}

/// The module `super::` names from `module`.
fn parent(module: &[String]) -> Vec<String> {
    module[..module.len().saturating_sub(1)].to_vec()
}

/// The longest known module that `path` starts with.
fn resolve(path: &[String], modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|length| path[..length].to_vec())
        .find(|prefix| modules.contains(prefix))
}

/// Sibling-level cycles of one crate: for each edge between two modules, the children of
/// their nearest common ancestor that contain them; then strongly connected components.
fn cycles(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|file| module_of(src, file)).collect();
    let mut graphs: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in &files {
        let module = module_of(src, file);
        let text = std::fs::read_to_string(file).unwrap_or_default();
        // Code only: doc links and comments name modules without importing them, and the
        // tests at the end of a file may import anything.
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default()
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for path in referenced(&module, &code) {
            let Some(target) = resolve(&path, &modules) else {
                continue;
            };
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            if common == module.len() || common == target.len() {
                continue; // an ancestor or a descendant
            }
            graphs
                .entry(module[..common].to_vec())
                .or_default()
                .entry(module[common].clone())
                .or_default()
                .insert(target[common].clone());
        }
    }
    let mut found = Vec::new();
    for (parent, graph) in &graphs {
        for component in strongly_connected(graph) {
            if component.len() > 1 {
                found.push(format!(
                    "in `{}`: {}",
                    parent.join("::"),
                    component.join(" ↔ ")
                ));
            }
        }
    }
    found
}

/// The strongly connected components of a small graph, by mutual reachability.
fn strongly_connected(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let reach = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(node) = stack.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|node| (node, reach(node))).collect();
    let mut components: Vec<Vec<String>> = Vec::new();
    let mut placed = BTreeSet::new();
    for node in graph.keys() {
        if placed.contains(node) {
            continue;
        }
        let component: Vec<String> = graph
            .keys()
            .filter(|other| {
                *other == node
                    || (reachable[node].contains(*other)
                        && reachable.get(other).is_some_and(|r| r.contains(node)))
            })
            .cloned()
            .collect();
        placed.extend(component.iter().cloned());
        components.push(component);
    }
    components
}

#[test]
fn no_import_cycle_spans_modules_of_a_crate() {
    let mut found = Vec::new();
    for krate in ["core", "engine"] {
        for cycle in cycles(&workspace().join("crates").join(krate).join("src")) {
            found.push(format!("{krate}: {cycle}"));
        }
    }
    assert!(found.is_empty(), "import cycles: {found:#?}");
}
