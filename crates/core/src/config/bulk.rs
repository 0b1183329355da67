//! The `check` of a template's `bulk_threshold`: a campaign broadcast over that many users
//! goes through one Bulk API 2.0 ingest job, so the template must be a single-record
//! sObject write Bulk API 2.0 carries ([`SObjectRequest::parse`]), through a connection,
//! with a JSON object body (each record a CSV row).

use super::batch::{SObjectRequest, WriteApi};
use super::diagnostics::{ConfigPath, Diagnostic};
use super::templates::WebhookTemplate;

/// Checks a template's `bulk_threshold`: its value, its connection, its URL and its body.
pub(super) fn check_bulk(
    path: &ConfigPath,
    template: &WebhookTemplate,
    problems: &mut Vec<Diagnostic>,
) {
    let Some(threshold) = template.bulk_threshold else {
        return;
    };
    let name = &template.name;
    if threshold == 0 {
        problems.push(Diagnostic::error(
            path.key("bulk_threshold"),
            format!("template `{name}`: bulk_threshold = 0 would send every broadcast through Bulk API 2.0"),
            "choose the number of users above which a broadcast is one Bulk job, e.g. 2000, or remove bulk_threshold",
        ));
    }
    if template.connection.is_none() {
        problems.push(Diagnostic::error(
            path.key("name"),
            format!("template `{name}` has a bulk_threshold but names no connection"),
            "add connection = \"<a [[salesforce_connections]] name>\": a Bulk API 2.0 job is \
             created with that connection's token",
        ));
    }
    if let Err(why) = SObjectRequest::parse(WriteApi::BulkIngest, template.method, &template.url) {
        problems.push(Diagnostic::error(
            path.key("url"),
            format!("template `{name}` has a bulk_threshold but its request cannot go through Bulk API 2.0: {why}"),
            "write the single-record request (e.g. PATCH {{connection.instance_url}}/services/data/v60.0/sobjects/Lead/Leadwire_Id__c/{{${user_id}}}), or remove bulk_threshold",
        ));
    }
    if !template.body.is_object() {
        problems.push(Diagnostic::error(
            path.key("body"),
            format!("template `{name}` has a bulk_threshold but its body is not a JSON object"),
            "give it body.json = { LastName = \"{{${last_name}}}\", … } (each record is a CSV row of its fields)",
        ));
    }
}
