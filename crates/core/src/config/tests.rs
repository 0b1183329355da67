//! Tests for `check`: the shipped examples pass, and each kind of mistake is reported with
//! its line and a fix.

use super::*;

const EXAMPLE: &str = include_str!("../../../../examples/salesforce-leads.toml");
const VERBATIM: &str = include_str!("../../../../examples/salesforce-leads-verbatim.toml");

fn run(source: &str) -> CheckReport {
    check(source, &EngineChecker::default())
}

fn line_of_text(source: &str, needle: &str) -> usize {
    let offset = source
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` is in the source"));
    line_of(source, offset)
}

/// Asserts one error whose message contains `message`, on the line holding `line_text`.
fn assert_error(source: &str, message: &str, line_text: &str) -> Diagnostic {
    let report = run(source);
    let found = report
        .diagnostics
        .iter()
        .find(|problem| problem.severity == Severity::Error && problem.message.contains(message))
        .unwrap_or_else(|| {
            panic!(
                "no error containing `{message}` in {:#?}",
                report.diagnostics
            )
        })
        .clone();
    assert_eq!(
        found.line,
        Some(line_of_text(source, line_text)),
        "{found:?}"
    );
    assert!(!found.fix.is_empty());
    found
}

#[test]
fn the_example_passes_without_a_warning() {
    let report = run(EXAMPLE);
    assert_eq!(report.error_count(), 0, "{:#?}", report.diagnostics);
    assert_eq!(report.warning_count(), 0, "{:#?}", report.diagnostics);
    let config = report.into_valid_config().expect("valid");
    assert_eq!(config.campaigns.len(), 1);
    assert_eq!(config.canvases[0].steps.len(), 6);
    assert_eq!(
        config.template("Create Lead").map(|t| t.capture.len()),
        Some(2),
        "the Lead id into salesforce_lead_id, and into a missing external_id"
    );
}

#[test]
fn template_uses_name_the_campaigns_and_message_steps_that_send_it() {
    let config = run(EXAMPLE).into_valid_config().expect("valid");
    let uses = config.template_uses("Create Lead");
    assert!(
        matches!(uses.as_slice(), [TemplateUse::Campaign(campaign)] if campaign.name == "New lead to Salesforce"),
        "{uses:?}"
    );
    let uses = config.template_uses("Update Lead to MQL");
    assert!(
        matches!(uses.as_slice(), [TemplateUse::CanvasStep { canvas, step: "Update Lead to MQL" }] if canvas.name == "Lead Scoring Canvas"),
        "{uses:?}"
    );
    assert!(config.template_uses("Nothing").is_empty());
}

#[test]
fn the_verbatim_example_passes_with_invalid_url_warnings() {
    let report = run(VERBATIM);
    assert_eq!(report.error_count(), 0, "{:#?}", report.diagnostics);
    let oauth =
        "https://[insert_instance_name].my.salesforce.com/services/oauth2/token is not a valid URL";
    let warning = report
        .diagnostics
        .iter()
        .find(|problem| problem.message == oauth)
        .expect("the token URL is flagged");
    assert_eq!(
        warning.line,
        Some(line_of_text(VERBATIM, "Authorization = "))
    );
    let repeats = report
        .diagnostics
        .iter()
        .filter(|problem| problem.message.ends_with(oauth))
        .count();
    assert_eq!(
        repeats, 2,
        "once per template, not again from the Liquid dry render"
    );
    assert!(report.diagnostics.iter().any(|problem| {
        problem
            .message
            .contains("`[insert_client_id]` is a placeholder")
    }));
    assert!(report.diagnostics.iter().any(|problem| problem.message.starts_with(
        "https://[insert_instance_name].my.salesforce.com/services/data/v60.0/sobjects/Lead/ is not a valid URL"
    )));
}

#[test]
fn an_inline_client_secret_is_rejected() {
    let source = EXAMPLE.replace(
        "client_secret_env = \"SALESFORCE_CLIENT_SECRET\"",
        "client_secret = \"s3cr3t-value\"",
    );
    let error = assert_error(
        &source,
        "client secret written in the config file",
        "client_secret = ",
    );
    assert!(error.fix.contains("client_secret_env"));
    assert!(
        !format!("{error:?}").contains("s3cr3t-value"),
        "the secret is never echoed"
    );
}

#[test]
fn unknown_names_are_reported_where_they_are_used() {
    let source = EXAMPLE.replace("next = \"Mark as MQL\"", "next = \"Mark as SQL\"");
    let error = assert_error(
        &source,
        "connects to `Mark as SQL`",
        "next = \"Mark as SQL\"",
    );
    assert!(error.fix.contains("`Mark as MQL`"));
    let source = EXAMPLE.replace("template = \"Create Lead\"", "template = \"Create Leads\"");
    assert_error(
        &source,
        "unknown webhook template `Create Leads`",
        "template = \"Create Leads\"",
    );
    let source = EXAMPLE.replace("connection = \"sales-cloud\"\nurl = \"{{connection.instance_url}}/services/data/v60.0/sobjects/Lead/\"", "connection = \"sales-clod\"\nurl = \"x\"");
    assert_error(
        &source,
        "unknown connection `sales-clod`",
        "connection = \"sales-clod\"",
    );
}

#[test]
fn unreachable_steps_and_loops_are_errors() {
    let source = EXAMPLE.replace("next = \"Update Lead to MQL\"\n", "\n");
    assert_error(
        &source,
        "step `Update Lead to MQL` is unreachable",
        "name = \"Update Lead to MQL\"\ntype = \"message\"",
    );
    let source = EXAMPLE.replace(
        "next = \"Update Lead to MQL\"\n",
        "next = \"Score engagement\"\n",
    );
    let report = run(&source);
    assert!(
        report
            .diagnostics
            .iter()
            .any(|problem| problem.message.contains("loops back")),
        "{:#?}",
        report.diagnostics
    );
}

#[test]
fn audience_paths_hold_at_most_eight_groups() {
    let group =
        "\n[[canvases.steps.groups]]\nname = \"G\"\nfilters = [{ email_available = true }]\n";
    let anchor = "\n[[canvases.steps]]\nname = \"Mark as MQL\"";
    let extra: String = (0..6)
        .map(|index| group.replace("\"G\"", &format!("\"G{index}\"")))
        .collect();
    let source = EXAMPLE.replace(anchor, &format!("{extra}{anchor}"));
    let report = run(&source);
    assert_eq!(
        report.error_count(),
        0,
        "seven groups plus Everyone Else is the maximum: {:#?}",
        report.diagnostics
    );
    let source = EXAMPLE.replace(anchor, &format!("{extra}{group}{anchor}"));
    assert_error(
        &source,
        "8 groups plus Everyone Else",
        "[[canvases.steps.groups]]\nname = \"MQL Threshold\"",
    );
}

#[test]
fn more_than_200_steps_is_an_error() {
    let mut source = String::from(
        "[[webhook_templates]]\nname = \"t\"\nurl = \"https://example.com\"\nmethod = \"POST\"\n\n[[canvases]]\nname = \"Long\"\nentry_schedule = \"api_triggered\"\n",
    );
    for index in 0..201 {
        source.push_str(&format!("\n[[canvases.steps]]\nname = \"s{index}\"\ntype = \"delay\"\nduration = 1\nnext = \"s{}\"\n", index + 1));
    }
    source = source.replace("next = \"s201\"\n", "");
    assert_error(&source, "has 201 steps", "[[canvases.steps]]");
}

#[test]
fn parse_errors_carry_the_line_and_a_fix() {
    let source = EXAMPLE.replace("method = \"PATCH\"", "method = \"FETCH\"");
    let error = assert_error(&source, "unknown variant `FETCH`", "method = \"FETCH\"");
    assert!(error.fix.contains("values the message lists"));
    let source = EXAMPLE.replace("window = \"1d\"", "window = \"1 fortnight\"");
    assert_error(&source, "unknown duration unit", "window = ");
    let source = EXAMPLE.replace("[[campaigns]]\nname", "[[campaigns]]\nnmae");
    let error = assert_error(&source, "unknown field `nmae`", "nmae");
    assert!(error.fix.contains("spelling"));
    let source = EXAMPLE.replace("template = \"Create Lead\"\ntriggers", "triggers");
    let error = assert_error(&source, "missing field `template`", "[[campaigns]]");
    assert!(error.fix.contains("add the missing key"));
    assert_error("[[campaigns]\nname = 1", "", "[[campaigns]");
}

#[test]
fn entry_and_delivery_rules() {
    let source = EXAMPLE.replace(
        "triggers = [{ type = \"add_email_address\" }]",
        "triggers = []",
    );
    assert_error(&source, "needs at least one trigger", "triggers = []");
    let source = EXAMPLE.replace(
        "template = \"Create Lead\"\n",
        "template = \"Create Lead\"\nrate_limit_per_minute = 5\n",
    );
    assert_error(&source, "outside Braze's range", "rate_limit_per_minute");
    let source = EXAMPLE.replace(
        "{ type = \"change_custom_attribute_value\", attribute = \"lead_score\" }",
        "{ type = \"change_custom_attribute_value\", attribute = \"lead_score\", value = 1.5 }",
    );
    assert_error(&source, "specific value trigger", "value = 1.5");
    let source = EXAMPLE.replace("method = \"PATCH\"", "method = \"GET\"");
    assert_error(
        &source,
        "GET with a body",
        "[webhook_templates.body.json]\nLead_Stage__c",
    );
}

#[test]
fn liquid_problems_point_into_the_value() {
    let source = EXAMPLE.replace(
        "lastName = \"{{${last_name}}}\"",
        "lastName = \"{{${last_name}\"",
    );
    let error = assert_error(&source, "was not closed with `}}`", "lastName = ");
    assert!(error.message.contains("line 1, column 1 of the value"));
    let multi = "[[webhook_templates]]\nname = \"t\"\nurl = \"https://example.com\"\nmethod = \"POST\"\nbody.raw = '''\n{\n\"a\": \"{{x\"\n}'''\n";
    assert_error(multi, "was not closed", "\"a\"");
    let escaped = "[[webhook_templates]]\nname = \"t\"\nurl = \"https://example.com\"\nmethod = \"POST\"\nbody.raw = \"{\\n{{x\"\n";
    assert_error(escaped, "was not closed", "body.raw");
    let typo = EXAMPLE.replace("{{${first_name}}}", "{{frist_name}}");
    let report = run(&typo);
    assert_eq!(report.error_count(), 0);
    let warning = report
        .diagnostics
        .iter()
        .find(|problem| problem.message.contains("unknown variable `frist_name`"))
        .expect("strict mode warns");
    assert_eq!(warning.line, Some(line_of_text(&typo, "firstName = ")));
}

#[test]
fn filtering_the_audience_on_the_trigger_attribute_is_a_warning() {
    let source = EXAMPLE.replace(
        "allow_reentry_after = \"0s\"",
        "allow_reentry_after = \"0s\"\naudience = [{ any = [{ attribute = \"lead_score\", op = \"exists\" }] }]",
    );
    let report = run(&source);
    assert_eq!(report.error_count(), 0);
    let warning = report
        .diagnostics
        .iter()
        .find(|problem| problem.message.contains("also the trigger attribute"))
        .expect("warned");
    assert_eq!(
        warning.line,
        Some(line_of_text(&source, "audience = [{ any"))
    );
}

mod rules;

#[test]
fn an_unknown_section_is_a_warning() {
    let source = EXAMPLE.replace("[[campaigns]]", "[[campaign]]");
    let report = run(&source);
    let warning = report
        .diagnostics
        .iter()
        .find(|problem| problem.message.contains("unknown section `campaign`"))
        .expect("warned");
    assert_eq!(warning.severity, Severity::Warning);
    assert!(warning.fix.contains("campaigns"));
    assert_eq!(warning.line, Some(line_of_text(&source, "[[campaign]]")));
    let with_store = format!("[store]\ndata_dir = \"data\"\n\n{EXAMPLE}");
    assert!(
        !run(&with_store)
            .diagnostics
            .iter()
            .any(|problem| problem.message.contains("unknown section")),
        "[server], [store] and [emulator] are known sections"
    );
}

mod batching;
mod bulk_threshold;
mod content_blocks;
mod robustness;
mod segments;
