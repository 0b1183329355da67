//! `check` and `[[content_blocks]]`: Braze's rules per block, self references and malformed
//! Liquid as errors, a reference to a block not in the file as a warning (it may be created
//! through the API), and no unknown-variable warning for a block tag.

use super::*;

fn run(source: &str) -> CheckReport {
    check(source, &EngineChecker::default())
}

const TEMPLATE: &str = r#"
[[webhook_templates]]
name = "Hook"
url = "https://example.com/hook"
method = "POST"
body.json = { note = "{{content_blocks.${footer}}} {{content_blocks.${later}}}" }
"#;

#[test]
fn blocks_in_the_file_resolve_and_others_are_warnings() {
    let source = format!(
        "{TEMPLATE}\n[[content_blocks]]\nname = \"footer\"\ncontent = \"Bye {{{{${{first_name}}}}}}\"\n"
    );
    let report = run(&source);
    assert_eq!(report.error_count(), 0, "{:#?}", report.diagnostics);
    let warnings: Vec<&Diagnostic> = report.diagnostics.iter().collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert_eq!(warnings[0].severity, Severity::Warning);
    assert!(
        warnings[0].message.contains("`later`"),
        "{}",
        warnings[0].message
    );
    assert!(warnings[0].fix.contains("POST /content_blocks/create"));
    assert_eq!(warnings[0].line, Some(6), "the template's body line");
    let config = report.into_valid_config().expect("valid");
    assert_eq!(config.content_blocks[0].name, "footer");
}

#[test]
fn self_references_malformed_liquid_and_bad_names_are_errors() {
    let source = r#"
[[content_blocks]]
name = "loop"
content = "again {{content_blocks.${loop}}}"

[[content_blocks]]
name = "broken"
content = "{% if x %}never closed"

[[content_blocks]]
name = "has space"
content = "x"
description = ""
"#;
    let report = run(source);
    let errors: Vec<&str> = report
        .diagnostics
        .iter()
        .filter(|problem| problem.severity == Severity::Error)
        .map(|problem| problem.message.as_str())
        .collect();
    assert!(
        errors.contains(&"Content Block cannot be referenced within itself"),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|error| error.starts_with("Liquid (")),
        "the broken block's Liquid: {errors:?}"
    );
    assert!(errors.contains(&"Content Block name can only contain alphanumeric characters"));
    assert!(errors.contains(&"Content Block description cannot be blank"));
    let lines: Vec<Option<usize>> = report.diagnostics.iter().map(|p| p.line).collect();
    assert!(
        lines.iter().all(Option::is_some),
        "{:#?}",
        report.diagnostics
    );
}

#[test]
fn templates_including_a_block_are_found_through_one_level_of_nesting() {
    let source = format!(
        "{TEMPLATE}\n[[content_blocks]]\nname = \"footer\"\ncontent = \"{{{{content_blocks.${{signature}}}}}}\"\n"
    );
    let config: Config = toml::from_str(&source).expect("parses");
    let blocks: std::collections::HashMap<String, String> = config
        .content_blocks
        .iter()
        .map(|block| (block.name.clone(), block.content.clone()))
        .collect();
    let names = |name: &str| -> Vec<String> {
        templates_including(&config, name, &blocks)
            .iter()
            .map(|template| template.name.clone())
            .collect()
    };
    assert_eq!(names("footer"), vec!["Hook".to_owned()]);
    assert_eq!(names("signature"), vec!["Hook".to_owned()]);
    assert!(names("other").is_empty());
}
