//! Lead write errors with the exact Salesforce bodies, plus 415, the daily limit and duplicate rules.

use http::{Method, StatusCode};
use leadwire_salesforce::fields::{CustomFieldConfig, FieldType};
use leadwire_salesforce_emulator::{DuplicateAction, DuplicateRule};
use serde_json::{Value, json};

use crate::harness::{config, start, start_with};

async fn create_error(body: &str) -> (StatusCode, Value) {
    let emulator = start().await;
    let reply = emulator
        .call(Method::POST, "/sobjects/Lead", Some(body))
        .await;
    (reply.status, reply.json)
}

#[tokio::test]
async fn exact_bodies_for_bad_creates() {
    let cases: Vec<(&str, Value)> = vec![
        (
            r#"{"LastName":"A","Company":"B","e-mail":"x"}"#,
            json!([{"message": "No such column 'e-mail' on sobject of type Lead", "errorCode": "INVALID_FIELD"}]),
        ),
        (
            r#"{"FirstName":"A"}"#,
            json!([{"message": "Required fields are missing: [LastName, Company]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["LastName", "Company"]}]),
        ),
        (
            r#"{"LastName":"A"}"#,
            json!([{"message": "Required fields are missing: [Company]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["Company"]}]),
        ),
        (
            r#"{"LastName":"","Company":"B"}"#,
            json!([{"message": "Required fields are missing: [LastName]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["LastName"]}]),
        ),
        (
            r#"{"LastName":" \t","Company":""}"#,
            json!([{"message": "Required fields are missing: [LastName, Company]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["LastName", "Company"]}]),
        ),
        (
            r#"{"LastName":"A","Company":"B","Email":"not an email"}"#,
            json!([{"message": "Email: invalid email address: not an email", "errorCode": "INVALID_EMAIL_ADDRESS", "fields": ["Email"]}]),
        ),
        (
            r#"{"LastName":"A","Company":"B","PostalCode":"123456789012345678901"}"#,
            json!([{"message": "Zip/Postal Code: data value too large: 123456789012345678901 (max length=20)", "errorCode": "STRING_TOO_LONG", "fields": ["PostalCode"]}]),
        ),
        (
            r#"{"LastName":"A","Company":"B","CleanStatus":"Shiny"}"#,
            json!([{"message": "Clean Status: bad value for restricted picklist field: Shiny", "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "fields": ["CleanStatus"]}]),
        ),
        (
            r#"{"LastName":"A","Company":"B","Name":"A B"}"#,
            json!([{"message": "Unable to create/update fields: Name. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", "errorCode": "INVALID_FIELD_FOR_INSERT_UPDATE", "fields": ["Name"]}]),
        ),
        (
            r#"{"Id":"00Q5i00000DcsbKEAR","LastName":"A","Company":"B"}"#,
            json!([{"message": "The Id field should not be specified in the sobject data.", "errorCode": "INVALID_FIELD"}]),
        ),
        (
            r#"{"LastName" "A"}"#,
            json!([{"message": "Unexpected character ('\"' (code 34)): was expecting a colon to separate field name and value at [line:1, column:13]", "errorCode": "JSON_PARSER_ERROR"}]),
        ),
        (
            "",
            json!([{"message": "The HTTP entity body is required, but this request has no entity body.", "errorCode": "JSON_PARSER_ERROR"}]),
        ),
        (
            r#"{"LastName":"A","Company":"B","NumberOfEmployees":"many"}"#,
            json!([{"message": "Cannot deserialize instance of int from VALUE_STRING value many or request may be missing a required field at [line:1, column:51]", "errorCode": "JSON_PARSER_ERROR"}]),
        ),
        (
            r#"{"LastName":"A","Company":"B","OwnerId":"006B000002nBrQ"}"#,
            json!([{"message": "Owner ID: id value of incorrect type: 006B000002nBrQ", "errorCode": "MALFORMED_ID", "fields": ["OwnerId"]}]),
        ),
    ];
    for (body, expected) in cases {
        let (status, json) = create_error(body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(json, expected, "{body}");
    }
}

#[tokio::test]
async fn bad_ids_in_paths() {
    let emulator = start().await;
    let not_an_id = emulator.call(Method::GET, "/sobjects/Lead/abc", None).await;
    assert_eq!(not_an_id.status, StatusCode::NOT_FOUND);
    assert_eq!(
        not_an_id.json,
        json!([{"message": "Provided external ID field does not exist or is not accessible: abc", "errorCode": "NOT_FOUND"}])
    );
    let unknown = emulator
        .call(Method::GET, "/sobjects/Lead/00QKa000000zzzzAAA", None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.json,
        json!([{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])
    );
}

#[tokio::test]
async fn clearing_or_blanking_a_required_field_is_refused() {
    let emulator = start().await;
    let id = emulator.create(r#"{"LastName":"A","Company":"B"}"#).await;
    let path = format!("/sobjects/Lead/{id}");
    for (body, field) in [
        (r#"{"LastName":null}"#, "LastName"),
        (r#"{"LastName":""}"#, "LastName"),
        (r#"{"Company":"  "}"#, "Company"),
    ] {
        let reply = emulator.call(Method::PATCH, &path, Some(body)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            reply.json,
            json!([{"message": format!("Required fields are missing: [{field}]"), "errorCode": "REQUIRED_FIELD_MISSING", "fields": [field]}]),
            "{body}"
        );
    }
    let lead = emulator.call(Method::GET, &path, None).await;
    assert_eq!(
        (
            lead.json["LastName"].as_str(),
            lead.json["Company"].as_str()
        ),
        (Some("A"), Some("B"))
    );
}

#[tokio::test]
async fn custom_restricted_picklists_are_enforced() {
    let mut config = config();
    let mut stage = CustomFieldConfig::text("Lead_Stage__c");
    stage.field_type = FieldType::Picklist;
    stage.values = vec!["MQL".into(), "SQL".into()];
    stage.restricted = true;
    config.custom_fields = vec![stage];
    let emulator = start_with(config).await;
    emulator
        .create(r#"{"LastName":"A","Company":"B","lead_stage__c":"MQL"}"#)
        .await;
    let reply = emulator
        .call(
            Method::POST,
            "/sobjects/Lead",
            Some(r#"{"LastName":"A","Company":"B","Lead_Stage__c":"Hot"}"#),
        )
        .await;
    assert_eq!(
        reply.json,
        json!([{"message": "Lead Stage: bad value for restricted picklist field: Hot", "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "fields": ["Lead_Stage__c"]}])
    );
}

#[tokio::test]
async fn email_duplicate_rule() {
    let mut config = config();
    config.duplicate_rules = vec![DuplicateRule {
        field: "Email".into(),
        action: DuplicateAction::Alert,
    }];
    let emulator = start_with(config).await;
    let first = emulator
        .create(r#"{"LastName":"A","Company":"B","Email":"dup@x.test"}"#)
        .await;
    let reply = emulator
        .call(
            Method::POST,
            "/sobjects/Lead",
            Some(r#"{"LastName":"C","Company":"D","Email":"DUP@x.test"}"#),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let error = &reply.json[0];
    assert_eq!(error["errorCode"], "DUPLICATES_DETECTED");
    assert_eq!(
        error["message"],
        "You're creating a duplicate record. We recommend you use an existing record instead."
    );
    assert_eq!(
        error["duplicateResut"]["duplicateRule"],
        "Standard_Lead_Duplicate_Rule"
    );
    assert_eq!(
        error["duplicateResut"]["matchResults"][0]["matchRecords"][0]["record"]["Id"],
        first.as_str()
    );
    let allowed = emulator
        .http
        .post(emulator.api("/sobjects/Lead"))
        .bearer_auth(&emulator.token)
        .header("content-type", "application/json")
        .header("Sforce-Duplicate-Rule-Header", "allowSave=true")
        .body(r#"{"LastName":"C","Company":"D","Email":"dup@x.test"}"#)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        allowed.status(),
        StatusCode::CREATED,
        "an alert rule lets allowSave=true through"
    );
}

#[tokio::test]
async fn non_json_writes_get_415() {
    let emulator = start().await;
    let response = emulator
        .http
        .post(emulator.api("/sobjects/Lead"))
        .bearer_auth(&emulator.token)
        .header("content-type", "text/plain")
        .body("LastName=A")
        .send()
        .await
        .expect("sent");
    let reply = crate::harness::read(response).await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        reply.json,
        json!([{"message": "Unsupported Media Type", "errorCode": "UNSUPPORTED_MEDIA_TYPE"}])
    );
}

#[tokio::test]
async fn the_daily_limit_answers_403() {
    let mut config = config();
    config.daily_api_limit = 3;
    let emulator = start_with(config).await;
    for used in 1..=3 {
        let reply = emulator.call(Method::GET, "/limits", None).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(
            reply.header("sforce-limit-info"),
            format!("api-usage={used}/3")
        );
    }
    let refused = emulator.call(Method::GET, "/limits", None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.json,
        json!([{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
    );
    assert_eq!(refused.header("sforce-limit-info"), "api-usage=3/3");
}
