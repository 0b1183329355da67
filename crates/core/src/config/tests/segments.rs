//! Tests for segments: references resolve by id or name and evaluate to the segment's
//! filters; `check` reports unknown segments, cycles and clashing ids on their lines.

use chrono::Utc;
use serde_json::json;

use crate::config::{CheckReport, EngineChecker, Severity, check, line_of};
use crate::filters::{FilterContext, NoEvents, all_match};
use crate::profile::Profile;

const EXAMPLE: &str = include_str!("../../../../../examples/salesforce-leads.toml");

const SEGMENTS: &str = r#"
[[segments]]
id = "seg_leads"
name = "Leads"
description = "Everyone still a lead"
tags = ["sales"]
filters = [{ attribute = "lead_stage", op = "equals", value = "Lead" }]

[[segments]]
id = "seg_mql"
name = "Marketing qualified"
filters = [
    { segment = "seg_leads" },
    { attribute = "lead_score", op = "greater_than", value = 50 },
]
"#;

fn run(source: &str) -> CheckReport {
    check(source, &EngineChecker::default())
}

fn with_segments(extra: &str) -> String {
    format!("{EXAMPLE}\n{SEGMENTS}\n{extra}")
}

fn profile(stage: &str, score: i64) -> Profile {
    let mut profile = Profile::new(uuid::Uuid::new_v4(), Utc::now());
    profile.custom.insert("lead_stage".into(), json!(stage));
    profile.custom.insert("lead_score".into(), json!(score));
    profile
}

fn error_line(source: &str, message: &str) -> Option<usize> {
    let report = run(source);
    let found = report
        .diagnostics
        .iter()
        .find(|problem| problem.severity == Severity::Error && problem.message.contains(message))
        .unwrap_or_else(|| panic!("no error `{message}` in {:#?}", report.diagnostics));
    assert!(!found.fix.is_empty());
    found.line
}

fn line_of_text(source: &str, needle: &str) -> usize {
    line_of(source, source.find(needle).expect("needle in source"))
}

#[test]
fn a_segment_filter_by_name_admits_the_segments_users() {
    let source = with_segments("").replace(
        "triggers = [{ type = \"add_email_address\" }]",
        "triggers = [{ type = \"add_email_address\" }]\naudience = [{ segment = \"Marketing qualified\" }]",
    );
    let report = run(&source);
    assert_eq!(report.error_count(), 0, "{:#?}", report.diagnostics);
    let config = report.into_valid_config().expect("valid");
    let audience = &config.campaigns[0].audience;
    let admits = |profile: &Profile| {
        all_match(
            audience,
            &FilterContext {
                profile,
                history: &NoEvents,
                now: Utc::now(),
            },
        )
    };
    assert!(admits(&profile("Lead", 60)));
    assert!(!admits(&profile("Lead", 40)));
    assert!(!admits(&profile("MQL", 60)));
    assert_eq!(
        config
            .segment("seg_mql")
            .map(|segment| segment.name.as_str()),
        Some("Marketing qualified")
    );
    assert_eq!(
        config.segment("Leads").map(|segment| segment.id.as_str()),
        Some("seg_leads")
    );
}

#[test]
fn an_unknown_segment_is_an_error_on_its_line() {
    let source =
        with_segments("").replace("{ segment = \"seg_leads\" }", "{ segment = \"Nobody\" }");
    assert_eq!(
        error_line(&source, "unknown segment `Nobody`"),
        Some(line_of_text(&source, "{ segment = \"Nobody\" }"))
    );
}

#[test]
fn a_cycle_of_segments_is_an_error() {
    let source = with_segments("").replace(
        "filters = [{ attribute = \"lead_stage\", op = \"equals\", value = \"Lead\" }]",
        "filters = [{ any = [{ segment = \"seg_mql\" }] }]",
    );
    assert_eq!(
        error_line(&source, "segment `Leads` refers back to itself"),
        Some(line_of_text(&source, "{ segment = \"seg_mql\" }"))
    );
    assert!(
        !run(&source)
            .diagnostics
            .iter()
            .any(|problem| problem.message.contains("deep")),
        "a cycle is reported once, as a cycle"
    );
}

#[test]
fn duplicate_and_ambiguous_ids_are_errors() {
    let source = with_segments(
        "[[segments]]\nid = \"seg_leads\"\nname = \"Again\"\n\n[[segments]]\nid = \"Leads\"\nname = \"Clash\"\n",
    );
    assert_eq!(
        error_line(&source, "segment id `seg_leads` is declared twice"),
        Some(line_of_text(
            &source,
            "id = \"seg_leads\"\nname = \"Again\""
        ))
    );
    assert_eq!(
        error_line(&source, "is another segment's name"),
        Some(line_of_text(&source, "id = \"Leads\""))
    );
    let source = with_segments("[[segments]]\nid = \"../up\"\nname = \"Path\"\n");
    assert_eq!(
        error_line(&source, "segment id `../up` has characters"),
        Some(line_of_text(&source, "id = \"../up\""))
    );
}

#[test]
fn a_long_chain_of_segments_is_an_error() {
    let mut extra = String::new();
    for index in 0..=crate::config::segment::MAX_DEPTH {
        extra.push_str(&format!(
            "[[segments]]\nid = \"chain_{index}\"\nname = \"Chain {index}\"\nfilters = [{{ segment = \"chain_{}\" }}]\n\n",
            index + 1
        ));
    }
    let last = crate::config::segment::MAX_DEPTH + 1;
    extra.push_str(&format!(
        "[[segments]]\nid = \"chain_{last}\"\nname = \"Chain {last}\"\n"
    ));
    let source = with_segments(&extra);
    assert_eq!(
        error_line(&source, "segment `Chain 0` nests segments more than"),
        Some(line_of_text(
            &source,
            "filters = [{ segment = \"chain_1\" }]"
        ))
    );
}

#[test]
fn a_segments_filters_read_as_a_sentence() {
    let report = run(&with_segments(""));
    let config = report.into_valid_config().expect("valid");
    let mql = config.segment("seg_mql").expect("declared");
    assert_eq!(
        crate::filters::describe::filters(&mql.filters),
        "is in segment `seg_leads` and `lead_score` is greater than 50"
    );
}
