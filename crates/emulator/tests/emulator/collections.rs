//! sObject Collections against Salesforce's documented answers: per-record errors in request order, whole-request 400s, the 200-record cap, update and delete id errors, upsert by external id with repeated values, rollback, duplicate rules.

use http::{Method, StatusCode};
use leadwire_salesforce::fields::CustomFieldConfig;
use leadwire_salesforce::ids::IdGenerator;
use leadwire_salesforce_emulator::{DuplicateAction, DuplicateRule};
use serde_json::{Value, json};

use crate::harness::{Emulator, Reply, config, start, start_with};

fn lead(last: &str) -> Value {
    json!({"attributes": {"type": "Lead"}, "LastName": last, "Company": "C"})
}

fn error(code: &str, message: &str, fields: &[&str]) -> Value {
    json!({"statusCode": code, "message": message, "fields": fields})
}

async fn send(emulator: &Emulator, method: Method, path: &str, body: &Value) -> Reply {
    emulator.call(method, path, Some(&body.to_string())).await
}

async fn with_external_id() -> Emulator {
    let mut config = config();
    let mut external = CustomFieldConfig::text("Ext_Id__c");
    external.external_id = true;
    config.custom_fields = vec![external];
    start_with(config).await
}

#[tokio::test]
async fn create_answers_each_record_in_order_with_all_its_errors() {
    let emulator = start().await;
    let long_name = "x".repeat(81);
    let records = json!([
        lead("Ok"),
        {"attributes": {"type": "Lead"}, "LastName": "NoCompany"},
        {"attributes": {"type": "Lead"}, "Id": "00Q000000000001EAA", "LastName": "L", "Company": "C"},
        {"LastName": "Untyped", "Company": "C"},
        {"attributes": {"type": "Account"}, "Name": "Acme"},
        {"attributes": {"type": "Lead"}, "LastName": long_name, "Company": "C", "Email": "bad"}
    ]);
    let reply = send(
        &emulator,
        Method::POST,
        "/composite/sobjects",
        &json!({"allOrNone": false, "records": records}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let results = reply.json.as_array().expect("an array of results");
    assert_eq!(results.len(), 6);
    assert_eq!(results[0]["success"], true);
    assert_eq!(results[0]["errors"], json!([]));
    let failure = |errors: Value| json!({"success": false, "errors": errors});
    assert_eq!(
        results[1],
        failure(json!([error(
            "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [Company]",
            &["Company"]
        )]))
    );
    assert_eq!(
        results[2],
        failure(json!([error(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            "cannot specify Id in an insert call",
            &["Id"]
        )]))
    );
    assert_eq!(
        results[3],
        failure(json!([error(
            "INVALID_TYPE",
            "Must send a concrete entity type.",
            &[]
        )]))
    );
    assert_eq!(results[4]["errors"][0]["statusCode"], "INVALID_TYPE");
    assert!(
        results[4]["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("sObject type 'Account' is not supported."))
    );
    assert_eq!(
        results[5],
        failure(json!([
            error(
                "STRING_TOO_LONG",
                &format!("Last Name: data value too large: {long_name} (max length=80)"),
                &["LastName"]
            ),
            error(
                "INVALID_EMAIL_ADDRESS",
                "Email: invalid email address: bad",
                &["Email"]
            )
        ])),
        "every error of the record, not only the first"
    );
    assert_eq!(emulator.handle.state().lead_count(), 1);
}

#[tokio::test]
async fn an_unreadable_request_is_a_400_and_writes_nothing() {
    let emulator = start().await;
    let unknown = json!({"records": [lead("A"), {"attributes": {"type": "Lead"}, "LastName": "B", "Company": "C", "Nope__c": 1}]});
    let reply = send(&emulator, Method::POST, "/composite/sobjects", &unknown).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.json,
        json!([{"message": "No such column 'Nope__c' on sobject of type Lead", "errorCode": "INVALID_FIELD"}])
    );
    let wrong_type = json!({"records": [lead("A"), {"attributes": {"type": "Lead"}, "LastName": "B", "Company": "C", "NumberOfEmployees": "many"}]});
    let reply = send(&emulator, Method::PATCH, "/composite/sobjects", &wrong_type).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json[0]["errorCode"], "JSON_PARSER_ERROR");
    assert!(
        reply.json[0]["message"]
            .as_str()
            .is_some_and(|m| m
                .starts_with("Cannot deserialize instance of int from VALUE_STRING value many")),
        "{}",
        reply.text
    );
    for body in [
        json!({"records": [lead("A"), "not a record"]}),
        json!({"allOrNone": "yes", "records": [lead("A")]}),
        json!({"allOrNone": true}),
    ] {
        let reply = send(&emulator, Method::POST, "/composite/sobjects", &body).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.json[0]["errorCode"], "JSON_PARSER_ERROR", "{body}");
    }
    let too_many: Vec<Value> = (0..201).map(|n| lead(&format!("L{n}"))).collect();
    let reply = send(
        &emulator,
        Method::POST,
        "/composite/sobjects",
        &json!({"records": too_many}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.json,
        json!([{"message": "record limit reached. cannot submit more than 200 records into this call", "errorCode": "EXCEEDED_ID_LIMIT"}])
    );
    assert_eq!(emulator.handle.state().lead_count(), 0);
    let most: Vec<Value> = (0..200).map(|n| lead(&format!("L{n}"))).collect();
    let reply = send(
        &emulator,
        Method::POST,
        "/composite/sobjects",
        &json!({"records": most}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(emulator.handle.state().lead_count(), 200);
}

#[tokio::test]
async fn update_names_what_is_wrong_with_each_id() {
    let emulator = start().await;
    let live = emulator.create(r#"{"LastName":"A","Company":"C"}"#).await;
    let gone = emulator.create(r#"{"LastName":"B","Company":"C"}"#).await;
    emulator
        .call(Method::DELETE, &format!("/sobjects/Lead/{gone}"), None)
        .await;
    let never = IdGenerator::leads(1).id_for(999_999).to_string();
    let record = |id: &str, extra: Value| {
        let mut record = json!({"attributes": {"type": "Lead"}, "id": id});
        for (key, value) in extra.as_object().into_iter().flatten() {
            record[key] = value.clone();
        }
        record
    };
    let body = json!({"records": [
        record(&live, json!({"Rating": "Hot"})),
        {"attributes": {"type": "Lead"}, "Rating": "Hot"},
        record("bad-id", json!({})),
        record("001RM000003oLrBYAU", json!({})),
        record(&never, json!({})),
        record(&gone, json!({})),
        record(&live, json!({"Email": "bad"}))
    ]});
    let reply = send(&emulator, Method::PATCH, "/composite/sobjects", &body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let failure = |id: Option<&str>, error: Value| match id {
        Some(id) => json!({"id": id, "success": false, "errors": [error]}),
        None => json!({"success": false, "errors": [error]}),
    };
    assert_eq!(
        reply.json,
        json!([
            {"id": live, "success": true, "errors": []},
            failure(None, error("MISSING_ARGUMENT", "Id not specified in an update call", &[])),
            failure(None, error("MALFORMED_ID", "Lead ID: id value of incorrect type: bad-id", &["Id"])),
            failure(None, error("MALFORMED_ID", "Lead ID: id value of incorrect type: 001RM000003oLrBYAU", &["Id"])),
            failure(None, error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", &[])),
            failure(Some(&gone), error("ENTITY_IS_DELETED", "entity is deleted", &[])),
            failure(Some(&live), error("INVALID_EMAIL_ADDRESS", "Email: invalid email address: bad", &["Email"]))
        ])
    );
    let read = emulator
        .call(Method::GET, &format!("/sobjects/Lead/{live}"), None)
        .await;
    assert_eq!(read.json["Rating"], "Hot");
}

#[tokio::test]
async fn one_update_call_may_repeat_an_id_twelve_times() {
    let emulator = start().await;
    let id = emulator.create(r#"{"LastName":"A","Company":"C"}"#).await;
    let records: Vec<Value> = (0..14)
        .map(|n| json!({"attributes": {"type": "Lead"}, "id": id, "Description": format!("pass {n}")}))
        .collect();
    let reply = send(
        &emulator,
        Method::PATCH,
        "/composite/sobjects",
        &json!({"records": records}),
    )
    .await;
    let results = reply.json.as_array().expect("results");
    assert!(results[..13].iter().all(|r| r["success"] == true));
    assert_eq!(
        results[13],
        json!({"id": id, "success": false, "errors": [error(
            "DUPLICATE_VALUE",
            &format!("Maximum number of duplicate updates in one batch (12 allowed). Attempt to update Id more than once in this Api call: {id}"),
            &[]
        )]})
    );
    let read = emulator
        .call(Method::GET, &format!("/sobjects/Lead/{id}"), None)
        .await;
    assert_eq!(
        read.json["Description"], "pass 12",
        "the last accepted entry wins"
    );
}

#[tokio::test]
async fn delete_answers_each_id() {
    let emulator = start().await;
    let live = emulator.create(r#"{"LastName":"A","Company":"C"}"#).await;
    let never = IdGenerator::leads(1).id_for(999_999).to_string();
    let reply = emulator
        .call(
            Method::DELETE,
            &format!("/composite/sobjects?ids={live},nope,001RM000003oLrBYAU,{never},{live}"),
            None,
        )
        .await;
    assert_eq!(
        reply.json,
        json!([
            {"id": live, "success": true, "errors": []},
            {"success": false, "errors": [error("MALFORMED_ID", "malformed id nope", &[])]},
            {"success": false, "errors": [error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", &[])]},
            {"success": false, "errors": [error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", &[])]},
            {"id": live, "success": false, "errors": [error("ENTITY_IS_DELETED", "entity is deleted", &[])]}
        ])
    );
}

#[tokio::test]
async fn upsert_fails_every_record_sharing_an_external_id_value() {
    let emulator = with_external_id().await;
    let existing = emulator
        .create(r#"{"LastName":"A","Company":"C","Ext_Id__c":"e1"}"#)
        .await;
    let upsert = |ext: Value, last: &str| json!({"attributes": {"type": "Lead"}, "Ext_Id__c": ext, "LastName": last, "Company": "C"});
    let body = json!({"records": [
        upsert(json!("e1"), "Updated"),
        upsert(json!("dup"), "D1"),
        upsert(json!("new"), "New"),
        upsert(json!("DUP"), "D2"),
        {"attributes": {"type": "Lead"}, "LastName": "NoKey", "Company": "C"}
    ]});
    let reply = send(
        &emulator,
        Method::PATCH,
        "/composite/sobjects/Lead/Ext_Id__c",
        &body,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let results = reply.json.as_array().expect("results");
    assert_eq!(
        results[0],
        json!({"id": existing, "success": true, "errors": [], "created": false})
    );
    assert_eq!(
        results[1],
        json!({"success": false, "errors": [error("DUPLICATE_VALUE", "Duplicate external id specified: dup", &[])], "created": false})
    );
    assert_eq!(results[2]["created"], true);
    assert_eq!(results[2]["success"], true);
    assert_eq!(
        results[3]["errors"][0],
        error(
            "DUPLICATE_VALUE",
            "Duplicate external id specified: DUP",
            &[]
        )
    );
    assert_eq!(
        results[4],
        json!({"success": false, "errors": [error("MISSING_ARGUMENT", "Ext_Id__c not specified", &["Ext_Id__c"])], "created": false})
    );
    assert_eq!(
        emulator.handle.state().lead_count(),
        2,
        "only e1 and new exist"
    );
}

#[tokio::test]
async fn upsert_all_or_none_rolls_back_updates_and_creates() {
    let emulator = with_external_id().await;
    let existing = emulator
        .create(r#"{"LastName":"A","Company":"C","Ext_Id__c":"e1"}"#)
        .await;
    let body = json!({"allOrNone": true, "records": [
        {"attributes": {"type": "Lead"}, "Ext_Id__c": "e1", "Rating": "Hot"},
        {"attributes": {"type": "Lead"}, "Ext_Id__c": "e2", "LastName": "B", "Company": "C"},
        {"attributes": {"type": "Lead"}, "Ext_Id__c": "e3", "LastName": "NoCompany"}
    ]});
    let reply = send(
        &emulator,
        Method::PATCH,
        "/composite/sobjects/Lead/Ext_Id__c",
        &body,
    )
    .await;
    let rolled = error(
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "Record rolled back because not all records were valid and the request was using AllOrNone header",
        &[],
    );
    assert_eq!(
        reply.json,
        json!([
            {"id": existing, "success": false, "errors": [rolled], "created": false},
            {"success": false, "errors": [rolled], "created": false},
            {"success": false, "errors": [error("REQUIRED_FIELD_MISSING", "Required fields are missing: [Company]", &["Company"])], "created": false}
        ])
    );
    assert_eq!(emulator.handle.state().lead_count(), 1);
    let read = emulator
        .call(Method::GET, &format!("/sobjects/Lead/{existing}"), None)
        .await;
    assert_eq!(read.json["Rating"], Value::Null);
}

#[tokio::test]
async fn duplicate_rules_answer_per_record() {
    let mut config = config();
    config.duplicate_rules = vec![DuplicateRule {
        field: "Email".into(),
        action: DuplicateAction::Block,
    }];
    let emulator = start_with(config).await;
    emulator
        .create(r#"{"LastName":"A","Company":"C","Email":"a@x.test"}"#)
        .await;
    let body = json!({"records": [
        {"attributes": {"type": "Lead"}, "LastName": "B", "Company": "C", "Email": "A@x.test"},
        {"attributes": {"type": "Lead"}, "LastName": "C", "Company": "C", "Email": "c@x.test"}
    ]});
    let reply = send(&emulator, Method::POST, "/composite/sobjects", &body).await;
    assert_eq!(
        reply.json[0],
        json!({"success": false, "errors": [error(
            "DUPLICATES_DETECTED",
            "You're creating a duplicate record. We recommend you use an existing record instead.",
            &[]
        )]})
    );
    assert_eq!(reply.json[1]["success"], true);
}
