//! Config fuzzing: `config.default.toml` and the examples, mutated line by line (lines
//! dropped, repeated, swapped, values replaced by random TOML values, keys and section
//! headers inserted, text cut anywhere), go through the layered settings loader
//! (`load_settings`) and `leadwire check` (`check_file`). Neither panics; every problem the
//! loader reports names its `section.key` or the file's line, and every error `check`
//! reports has a key path or a line. The environment layer has its fuzz in `config_env.rs`.
//!
//! 256 cases per property, or `PROPTEST_CASES`; `docs/testing.md` has the longer run.

use std::path::PathBuf;

use leadwire::commands::check::check_file;
use leadwire::config::{DEFAULTS, load_settings};
use leadwire_core::config::Severity;
use proptest::prelude::*;
use proptest::sample::Index;

const SEEDS: &[&str] = &[
    DEFAULTS,
    include_str!("../../../examples/create-lead-upsert.toml"),
    include_str!("../../../examples/lead-scoring-handoff.toml"),
    include_str!("../../../examples/salesforce-leads-verbatim.toml"),
    include_str!("../../../examples/salesforce-leads.toml"),
];

/// The layered sections, whose problems the loader reports.
const SECTIONS: &[&str] = &[
    "server", "store", "delivery", "workers", "emulator", "log", "console",
];

/// A TOML value written as text: every type, at the edges.
fn toml_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        prop::sample::select(
            &[
                "0",
                "-1",
                "1",
                "65536",
                "9223372036854775807",
                "99999999999999999999",
                "1e400",
                "inf",
                "-inf",
                "nan",
                "0.5",
                "-0.0",
                "true",
                "false",
                "1979-05-27T07:32:00Z",
                "1979-05-27",
                "07:32:00",
                "\"\"",
                "\"30s\"",
                "\"0s\"",
                "\"-1m\"",
                "\"99999999w\"",
                "\"1h\"",
                "\"all\"",
                "\"none\"",
                "\"json\"",
                "\"text\"",
                "\"127.0.0.1:0\"",
                "\"0.0.0.0:99999\"",
                "\"postgres://\"",
                "\"sqlite://\"",
                "\"sqlite:///nonexistent/x.db\"",
                "\"\\u0000\"",
                "\"é😀\"",
                "\"users.track\"",
                "\"{{ x }}\"",
                "\"{% if %}\"",
                "\"https://example.com/\"",
                "\"http://[::1\"",
            ][..]
        )
        .prop_map(str::to_owned),
        "[a-z0-9 ._:/-]{0,16}".prop_map(|text| format!("{text:?}")),
        "\\PC{0,8}".prop_map(|text| format!("{text:?}")),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| format!("[{}]", items.join(", "))),
            prop::collection::vec(("[a-z_]{1,8}", inner), 0..3).prop_map(|pairs| {
                let pairs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("{{ {} }}", pairs.join(", "))
            }),
        ]
    })
}

/// Keys of every section, and names no section has.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(&[
            "listen", "max_body_bytes", "rate_limit_requests", "rate_limit_window_seconds",
            "request_timeout_seconds", "database_url", "data_dir", "max_connections",
            "max_array_length", "email_added", "custom_attributes", "custom_events", "purchases",
            "allowed_hosts", "extra_ca_file", "timeout", "retry_delays", "retry_jitter",
            "max_retry_after", "breaker_failures", "breaker_window", "breaker_cooldown",
            "concurrency", "batch", "max_attempts", "persist", "format", "level", "name", "key",
            "key_env", "permissions", "url", "method", "template", "delivery", "trigger",
            "entry_schedule", "steps", "type", "api_id", "body", "headers", "connection",
        ][..])
        .prop_map(str::to_owned),
        1 => prop::sample::select(SECTIONS).prop_map(str::to_owned),
        1 => "[a-z_]{1,10}",
        1 => Just("\"quoted key\"".to_owned()),
    ]
}

fn header() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(SECTIONS).prop_map(|section| format!("[{section}]")),
        1 => prop::sample::select(&[
            "[store.triggers]", "[[api_keys]]", "[[campaigns]]", "[[canvases]]",
            "[[canvases.steps]]", "[[webhook_templates]]", "[[salesforce_connections]]",
            "[server.extra]", "[[server]]", "[nonsense]", "[",
        ][..])
        .prop_map(str::to_owned),
    ]
}

/// One change to a file's lines; positions are taken within its current length.
#[derive(Debug, Clone)]
enum Mutation {
    Drop(Index),
    Repeat(Index),
    Swap(Index, Index),
    /// The value of a `key = value` line replaced (or the line replaced, when it has none).
    Revalue(Index, String),
    Insert(Index, String),
    /// The file cut at a character.
    Cut(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<Index>;
    prop_oneof![
        2 => at().prop_map(Mutation::Drop),
        1 => at().prop_map(Mutation::Repeat),
        1 => (at(), at()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        5 => (at(), toml_value()).prop_map(|(line, value)| Mutation::Revalue(line, value)),
        2 => (at(), key(), toml_value())
            .prop_map(|(line, key, value)| Mutation::Insert(line, format!("{key} = {value}"))),
        1 => (at(), header()).prop_map(|(line, header)| Mutation::Insert(line, header)),
        1 => at().prop_map(Mutation::Cut),
    ]
}

fn apply(lines: &mut Vec<String>, mutation: Mutation) {
    if lines.is_empty() {
        lines.push(String::new());
    }
    let len = lines.len();
    match mutation {
        Mutation::Drop(at) => {
            lines.remove(at.index(len));
        }
        Mutation::Repeat(at) => {
            let at = at.index(len);
            lines.insert(at, lines[at].clone());
        }
        Mutation::Swap(a, b) => lines.swap(a.index(len), b.index(len)),
        Mutation::Revalue(at, value) => {
            let line = &mut lines[at.index(len)];
            *line = match line.split_once(" = ") {
                Some((key, _)) => format!("{key} = {value}"),
                None => value,
            };
        }
        Mutation::Insert(at, line) => lines.insert(at.index(len + 1), line),
        Mutation::Cut(at) => {
            let text = lines.join("\n");
            let chars: Vec<char> = text.chars().collect();
            let kept: String = chars[..at.index(chars.len() + 1)].iter().collect();
            *lines = kept.split('\n').map(str::to_owned).collect();
        }
    }
}

fn mutated_file() -> impl Strategy<Value = String> {
    (
        prop::sample::select(SEEDS),
        prop::collection::vec(mutation(), 1..5),
    )
        .prop_map(|(seed, mutations)| {
            let mut lines: Vec<String> = seed.lines().map(str::to_owned).collect();
            for mutation in mutations {
                apply(&mut lines, mutation);
            }
            lines.join("\n")
        })
}

/// `text` written to a file of its own.
fn written(text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("leadwire-config-fuzz-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("leadwire.toml");
    std::fs::write(&file, text).expect("write the config");
    file
}

/// Whether a problem line of the loader names where it is: a section's key, a whole
/// section, or a line of the file.
fn names_its_place(problem: &str) -> bool {
    let problem = problem.trim_start();
    SECTIONS.iter().any(|section| {
        problem.contains(&format!("{section}.")) || problem.starts_with(&format!("{section}:"))
    }) || problem.contains("line ")
}

fn check_the_file(text: &str) -> Result<(), TestCaseError> {
    let file = written(text);
    let loaded = load_settings(Some(&file));
    let checked = check_file(&file);
    std::fs::remove_dir_all(file.parent().unwrap_or(&file)).ok();
    if let Err(error) = loaded {
        let message = format!("{error:#}");
        if message.contains("is not valid TOML: TOML parse error at line ") {
            prop_assert_eq!(
                message.matches("TOML parse error").count(),
                1,
                "{}",
                message
            );
        } else {
            let mut lines = message.lines();
            prop_assert_eq!(lines.next(), Some("invalid settings:"), "{}", message);
            for problem in lines {
                prop_assert!(
                    names_its_place(problem),
                    "{problem}\nin\n{message}\nfor\n{text}"
                );
            }
        }
    }
    let report = checked.map_err(|error| TestCaseError::fail(format!("{error:#}")))?;
    for problem in &report.diagnostics {
        let rendered = problem.render("leadwire.toml");
        if problem.severity == Severity::Error {
            prop_assert!(
                problem.line.is_some() || !problem.path.0.is_empty(),
                "no place: {rendered}\nfor\n{text}"
            );
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn mutated_config_files_load_or_name_each_problem(text in mutated_file()) {
        check_the_file(&text)?;
    }

    /// `key = value` in a random section, or at the top, where a section's name is a key.
    #[test]
    fn a_random_value_for_any_key_of_any_section_is_named(
        section in prop::option::of(prop::sample::select(SECTIONS)),
        key in key(),
        value in toml_value(),
    ) {
        let header = section.map(|section| format!("[{section}]\n")).unwrap_or_default();
        check_the_file(&format!("{header}{key} = {value}\n"))?;
    }
}
