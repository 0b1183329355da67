//! The README's settings reference against `config.default.toml`: the same keys, and each
//! default written as the defaults file writes it.

use std::collections::BTreeMap;

/// Keys documented in the defaults file only as a comment, since they have no default.
const UNSET_BY_DEFAULT: &[&str] = &["delivery.extra_ca_file"];

fn read(relative: &str) -> String {
    let path = format!("{}/../../{relative}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// Every `section.key` of the defaults file with its value as written.
fn defaults() -> BTreeMap<String, String> {
    let document: toml_edit::DocumentMut = read("config.default.toml")
        .parse()
        .expect("config.default.toml parses");
    let mut keys = BTreeMap::new();
    collect("", document.as_table(), &mut keys);
    keys
}

fn collect(prefix: &str, table: &toml_edit::Table, keys: &mut BTreeMap<String, String>) {
    for (key, item) in table.iter() {
        let path = if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        };
        match item {
            toml_edit::Item::Table(inner) => collect(&path, inner, keys),
            toml_edit::Item::Value(value) => {
                keys.insert(path, value.to_string().trim().to_owned());
            }
            _ => {}
        }
    }
}

/// The rows of the README's "Settings reference" table: key → default cell.
fn documented() -> BTreeMap<String, String> {
    let readme = read("README.md");
    let start = readme
        .find("### Settings reference")
        .expect("the README has a settings reference");
    let section = &readme[start..];
    let end = section[4..]
        .find("\n#")
        .map_or(section.len(), |end| end + 4);
    section[..end]
        .lines()
        .filter_map(|line| {
            let mut cells = line.split(" | ");
            let key = cells.next()?.strip_prefix("| `")?.strip_suffix('`')?;
            let default = cells.next()?;
            let default = default
                .strip_prefix('`')
                .and_then(|cell| cell.strip_suffix('`'))
                .unwrap_or(default);
            Some((key.to_owned(), default.to_owned()))
        })
        .collect()
}

#[test]
fn the_readme_documents_every_setting_with_its_default() {
    let defaults = defaults();
    let documented = documented();
    for (key, value) in &defaults {
        assert_eq!(
            documented.get(key),
            Some(value),
            "README row for `{key}` should give the default {value}"
        );
    }
    for key in documented.keys() {
        assert!(
            defaults.contains_key(key) || UNSET_BY_DEFAULT.contains(&key.as_str()),
            "the README documents `{key}`, which config.default.toml does not have"
        );
    }
    for key in UNSET_BY_DEFAULT {
        assert_eq!(documented.get(*key).map(String::as_str), Some("unset"));
    }
}
