//! Composite resources: collections with and without allOrNone, collection upsert, `/composite` with references and rollback.

use http::{Method, StatusCode};
use leadwire_salesforce::fields::CustomFieldConfig;
use serde_json::{Value, json};

use crate::harness::{config, start, start_with};

fn lead(last: &str) -> Value {
    json!({"attributes": {"type": "Lead"}, "LastName": last, "Company": "C"})
}

#[tokio::test]
async fn collection_create_reports_each_record() {
    let emulator = start().await;
    let body = json!({"allOrNone": false, "records": [lead("A"), {"attributes": {"type": "Lead"}, "LastName": "B"}]});
    let reply = emulator
        .call(Method::POST, "/composite/sobjects", Some(&body.to_string()))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json[0]["success"], true);
    assert!(
        reply.json[0]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("00Q"))
    );
    assert_eq!(
        reply.json[1],
        json!({"success": false, "errors": [{"statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [Company]", "fields": ["Company"]}]})
    );
    assert_eq!(emulator.handle.state().lead_count(), 1);
}

#[tokio::test]
async fn all_or_none_rolls_everything_back() {
    let emulator = start().await;
    let body = json!({"allOrNone": true, "records": [lead("A"), {"attributes": {"type": "Lead"}, "LastName": "B", "Email": "bad"}]});
    let reply = emulator
        .call(Method::POST, "/composite/sobjects", Some(&body.to_string()))
        .await;
    assert_eq!(
        reply.json,
        json!([
            {"success": false, "errors": [{"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "message": "Record rolled back because not all records were valid and the request was using AllOrNone header", "fields": []}]},
            {"success": false, "errors": [{"statusCode": "INVALID_EMAIL_ADDRESS", "message": "Email: invalid email address: bad", "fields": ["Email"]}]}
        ])
    );
    assert_eq!(emulator.handle.state().lead_count(), 0);
    let id = emulator
        .create(r#"{"LastName":"Keep","Company":"C"}"#)
        .await;
    let update = json!({"allOrNone": true, "records": [
        {"attributes": {"type": "Lead"}, "id": id, "Rating": "Hot"},
        {"attributes": {"type": "Lead"}, "id": "001RM000003oLrB000", "Rating": "Hot"}
    ]});
    let reply = emulator
        .call(
            Method::PATCH,
            "/composite/sobjects",
            Some(&update.to_string()),
        )
        .await;
    assert_eq!(
        reply.json[0]["id"],
        id.as_str(),
        "rolled-back updates keep their id"
    );
    assert_eq!(
        reply.json[0]["errors"][0]["statusCode"],
        "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    );
    let lead = emulator
        .call(Method::GET, &format!("/sobjects/Lead/{id}"), None)
        .await;
    assert_eq!(lead.json["Rating"], Value::Null, "the update was undone");
}

#[tokio::test]
async fn collection_update_and_delete() {
    let emulator = start().await;
    let a = emulator.create(r#"{"LastName":"A","Company":"C"}"#).await;
    let b = emulator.create(r#"{"LastName":"B","Company":"C"}"#).await;
    let update = json!({"records": [{"attributes": {"type": "Lead"}, "id": a, "Rating": "Warm"}, {"attributes": {"type": "Lead"}, "id": "bad-id"}]});
    let reply = emulator
        .call(
            Method::PATCH,
            "/composite/sobjects",
            Some(&update.to_string()),
        )
        .await;
    assert_eq!(
        reply.json[0],
        json!({"id": a, "success": true, "errors": []})
    );
    assert_eq!(
        reply.json[1],
        json!({"success": false, "errors": [{"statusCode": "MALFORMED_ID", "message": "Lead ID: id value of incorrect type: bad-id", "fields": ["Id"]}]})
    );
    let deleted = emulator
        .call(
            Method::DELETE,
            &format!("/composite/sobjects?ids={a},{b}"),
            None,
        )
        .await;
    assert_eq!(
        deleted.json,
        json!([{"id": a, "success": true, "errors": []}, {"id": b, "success": true, "errors": []}])
    );
    let again = emulator
        .call(
            Method::DELETE,
            &format!("/composite/sobjects?ids={a}"),
            None,
        )
        .await;
    assert_eq!(
        again.json[0]["errors"][0]["statusCode"],
        "ENTITY_IS_DELETED"
    );
    let too_many: Vec<Value> = (0..201).map(|n| lead(&format!("L{n}"))).collect();
    let reply = emulator
        .call(
            Method::POST,
            "/composite/sobjects",
            Some(&json!({"records": too_many}).to_string()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json[0]["errorCode"], "EXCEEDED_ID_LIMIT");
}

#[tokio::test]
async fn collection_upsert_by_external_id() {
    let mut config = config();
    let mut external = CustomFieldConfig::text("Ext_Id__c");
    external.external_id = true;
    config.custom_fields = vec![external];
    let emulator = start_with(config).await;
    let existing = emulator
        .create(r#"{"LastName":"A","Company":"C","Ext_Id__c":"e1"}"#)
        .await;
    let body = json!({"allOrNone": false, "records": [
        {"attributes": {"type": "Lead"}, "Ext_Id__c": "e1", "Rating": "Hot"},
        {"attributes": {"type": "Lead"}, "Ext_Id__c": "e2", "LastName": "B", "Company": "C"}
    ]});
    let reply = emulator
        .call(
            Method::PATCH,
            "/composite/sobjects/Lead/Ext_Id__c",
            Some(&body.to_string()),
        )
        .await;
    assert_eq!(
        reply.json[0],
        json!({"id": existing, "success": true, "errors": [], "created": false})
    );
    assert_eq!(reply.json[1]["created"], true);
    let missing = emulator
        .call(
            Method::PATCH,
            "/composite/sobjects/Lead/Nope__c",
            Some(&body.to_string()),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn composite_with_references() {
    let emulator = start().await;
    let body = json!({"allOrNone": false, "compositeRequest": [
        {"method": "POST", "url": "/services/data/v60.0/sobjects/Lead", "referenceId": "newLead", "body": {"LastName": "Ref", "Company": "C"}},
        {"method": "PATCH", "url": "/services/data/v60.0/sobjects/Lead/@{newLead.id}", "referenceId": "touch", "body": {"Description": "made by @{newLead.id}"}},
        {"method": "GET", "url": "/services/data/v60.0/sobjects/Lead/@{newLead.id}?fields=Description", "referenceId": "read"}
    ]});
    let reply = emulator
        .call(Method::POST, "/composite", Some(&body.to_string()))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let responses = &reply.json["compositeResponse"];
    let id = responses[0]["body"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(responses[0]["httpStatusCode"], 201);
    assert_eq!(
        responses[0]["httpHeaders"]["Location"],
        format!("/services/data/v60.0/sobjects/Lead/{id}")
    );
    assert_eq!(responses[1]["httpStatusCode"], 204);
    assert_eq!(responses[2]["body"]["Description"], format!("made by {id}"));
    assert_eq!(responses[2]["referenceId"], "read");
}

#[tokio::test]
async fn composite_all_or_none_halts_and_rolls_back() {
    let emulator = start().await;
    let body = json!({"allOrNone": true, "compositeRequest": [
        {"method": "POST", "url": "/services/data/v60.0/sobjects/Lead", "referenceId": "ok", "body": {"LastName": "A", "Company": "C"}},
        {"method": "POST", "url": "/services/data/v60.0/sobjects/Lead", "referenceId": "bad", "body": {"LastName": "B"}},
        {"method": "GET", "url": "/services/data/v60.0/sobjects/Lead/@{ok.id}", "referenceId": "later"}
    ]});
    let reply = emulator
        .call(Method::POST, "/composite", Some(&body.to_string()))
        .await;
    let responses = &reply.json["compositeResponse"];
    let halted = json!([{"errorCode": "PROCESSING_HALTED", "message": "The transaction was rolled back since another operation in the same transaction failed."}]);
    assert_eq!(responses[0]["body"], halted);
    assert_eq!(responses[0]["httpStatusCode"], 400);
    assert_eq!(
        responses[1]["body"][0]["errorCode"],
        "REQUIRED_FIELD_MISSING"
    );
    assert_eq!(responses[2]["body"], halted);
    assert_eq!(emulator.handle.state().lead_count(), 0);
    let too_many: Vec<Value> = (0..26)
        .map(|n| json!({"method": "GET", "url": "/services/data/v60.0/limits", "referenceId": format!("r{n}")}))
        .collect();
    let reply = emulator
        .call(
            Method::POST,
            "/composite",
            Some(&json!({"compositeRequest": too_many}).to_string()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let no_reference =
        json!({"compositeRequest": [{"method": "GET", "url": "/services/data/v60.0/limits"}]});
    let reply = emulator
        .call(Method::POST, "/composite", Some(&no_reference.to_string()))
        .await;
    assert_eq!(
        reply.json,
        json!([{"message": "Subrequest 0 has no `referenceId`.", "errorCode": "INVALID_INPUT"}])
    );
}
