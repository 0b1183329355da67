//! `check` of batched templates: a batchable one passes, and each reason a template cannot be
//! batched is reported on its line with a fix.

use super::*;

const CONNECTION: &str = "[[salesforce_connections]]\nname = \"sf\"\ninstance_url = \"https://acme.my.salesforce.com\"\nclient_id = \"id\"\nclient_secret_env = \"SF_SECRET\"\n";

fn template(lines: &str) -> String {
    format!("{CONNECTION}\n[[webhook_templates]]\nname = \"Batched\"\n{lines}\n")
}

const CREATE: &str = "connection = \"sf\"\nurl = \"{{connection.instance_url}}/services/data/v60.0/sobjects/Lead/\"\nmethod = \"POST\"\nbody.json = { LastName = \"{{${last_name}}}\" }";

#[test]
fn creates_updates_and_upserts_are_batchable() {
    for (url, method) in [
        ("/sobjects/Lead/", "POST"),
        (
            "/sobjects/Lead/{{custom_attribute.${salesforce_lead_id}}}",
            "PATCH",
        ),
        ("/sobjects/Lead/Leadwire_Id__c/{{${braze_id}}}", "PATCH"),
    ] {
        let source = template(&format!(
            "connection = \"sf\"\nurl = \"{{{{connection.instance_url}}}}/services/data/v60.0{url}\"\nmethod = \"{method}\"\nbody.json = {{ LastName = \"x\" }}\nbatch = {{ max_records = 200, max_wait = \"2s\" }}"
        ));
        let report = run(&source);
        assert_eq!(report.error_count(), 0, "{url}: {:#?}", report.diagnostics);
        let config = report.into_valid_config().expect("valid");
        let batch = config.template("Batched").and_then(|t| t.batch);
        assert_eq!(
            batch,
            Some(BatchSettings {
                max_records: 200,
                max_wait: crate::time::Interval::from_seconds(2)
            })
        );
    }
    let defaults = run(&template(&format!("{CREATE}\nbatch = {{}}")));
    let config = defaults.into_valid_config().expect("valid");
    assert_eq!(
        config.template("Batched").and_then(|t| t.batch),
        Some(BatchSettings::default())
    );
}

#[test]
fn each_reason_a_template_is_not_batchable_is_said_on_its_line() {
    let cases = [
        (
            format!("{CREATE}\nbatch = {{ max_records = 201 }}"),
            "outside 1 to 200",
            "batch = {",
        ),
        (
            format!("{CREATE}\nbatch = {{ max_records = 0 }}"),
            "outside 1 to 200",
            "batch = {",
        ),
        (
            format!("{CREATE}\nbatch = {{ max_wait = \"5m\" }}"),
            "longer than 60s",
            "batch = {",
        ),
        (
            CREATE.replace("connection = \"sf\"\n", "") + "\nbatch = {}",
            "names no connection",
            "name = \"Batched\"",
        ),
        (
            CREATE
                .replace("POST", "GET")
                .replace("body.json = { LastName = \"{{${last_name}}}\" }", "")
                + "\nbatch = {}",
            "GET …/sobjects/Lead",
            "url = \"{{connection",
        ),
        (
            CREATE.replace("\"POST\"", "\"PATCH\"") + "\nbatch = {}",
            "names no record",
            "url = \"{{connection",
        ),
        (
            CREATE.replace(
                "body.json = { LastName = \"{{${last_name}}}\" }",
                "body.raw = \"LastName=x\"",
            ) + "\nbatch = {}",
            "not a JSON object",
            "body.raw",
        ),
        (
            format!("{CREATE}\nbatch = {{ size = 3 }}"),
            "unknown field `size`",
            "batch = {",
        ),
    ];
    for (lines, message, line_text) in cases {
        let source = template(&lines);
        let found = assert_error(&source, message, line_text);
        assert!(
            found.message.contains("Batched") || message.contains("unknown"),
            "{found:?}"
        );
    }
}

#[test]
fn the_examples_batch_lines_pass_check_once_uncommented() {
    let source = EXAMPLE.replace("# batch = {", "batch = {");
    assert_eq!(
        source.matches("\nbatch = {").count(),
        2,
        "Create Lead and Update Lead"
    );
    let report = run(&source);
    assert_eq!(report.error_count(), 0, "{:#?}", report.diagnostics);
    assert_eq!(report.warning_count(), 0, "{:#?}", report.diagnostics);
    let config = report.into_valid_config().expect("valid");
    for name in ["Create Lead", "Update Lead to MQL"] {
        assert_eq!(
            config.template(name).and_then(|t| t.batch),
            Some(BatchSettings::default()),
            "{name}"
        );
    }
}
