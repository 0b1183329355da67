//! `check` of a template's `bulk_threshold`: a template Bulk API 2.0 carries passes, and
//! each reason it cannot is reported on its line with a fix.

use super::*;

const CONNECTION: &str = "[[salesforce_connections]]\nname = \"sf\"\ninstance_url = \"https://acme.my.salesforce.com\"\nclient_id = \"id\"\nclient_secret_env = \"SF_SECRET\"\n";

fn template(lines: &str) -> String {
    format!("{CONNECTION}\n[[webhook_templates]]\nname = \"Bulked\"\n{lines}\n")
}

const UPSERT: &str = "connection = \"sf\"\nurl = \"{{connection.instance_url}}/services/data/v41.0/sobjects/Lead/Leadwire_Id__c/{{${user_id}}}\"\nmethod = \"PATCH\"\nbody.json = { LastName = \"{{${last_name}}}\" }";

#[test]
fn a_bulk_write_with_a_threshold_passes() {
    let report = run(&template(&format!("{UPSERT}\nbulk_threshold = 2000")));
    assert_eq!(report.error_count(), 0, "{:#?}", report.diagnostics);
    let config = report.into_valid_config().expect("valid");
    assert_eq!(
        config.template("Bulked").and_then(|t| t.bulk_threshold),
        Some(2000)
    );
}

#[test]
fn each_reason_a_template_cannot_go_through_bulk_is_said_on_its_line() {
    let cases = [
        (
            format!("{UPSERT}\nbulk_threshold = 0"),
            "bulk_threshold = 0",
            "bulk_threshold = 0",
        ),
        (
            UPSERT.replace("connection = \"sf\"\n", "") + "\nbulk_threshold = 10",
            "names no connection",
            "name = \"Bulked\"",
        ),
        (
            UPSERT.replace("v41.0", "v40.0") + "\nbulk_threshold = 10",
            "Bulk API 2.0 ingest needs API version 41.0",
            "url = \"{{connection",
        ),
        (
            UPSERT.replace("\"PATCH\"", "\"GET\"") + "\nbulk_threshold = 10",
            "GET …/sobjects/Lead",
            "url = \"{{connection",
        ),
        (
            UPSERT.replace(
                "body.json = { LastName = \"{{${last_name}}}\" }",
                "body.raw = \"LastName=x\"",
            ) + "\nbulk_threshold = 10",
            "not a JSON object",
            "body.raw",
        ),
    ];
    for (lines, message, line_text) in cases {
        let found = assert_error(&template(&lines), message, line_text);
        assert!(found.message.contains("Bulked"), "{found:?}");
    }
}
