//! Discovery: versions, resource map, limits, describeGlobal, basic info, describe, 404/405/410.

use http::{Method, StatusCode};
use leadwire_salesforce::fields::{CustomFieldConfig, FieldType};
use leadwire_salesforce_emulator::EmulatorConfig;
use serde_json::json;

use crate::harness::{config, start, start_with};

#[tokio::test]
async fn versions_run_from_31_to_68_without_auth() {
    let emulator = start().await;
    for path in ["/services/data", "/services/data/"] {
        let reply = emulator
            .raw(Method::GET, &emulator.url(path), None, None)
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        let versions = reply.json.as_array().cloned().unwrap_or_default();
        assert_eq!(versions.len(), 38);
        assert_eq!(
            versions[0],
            json!({"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"})
        );
        assert_eq!(
            versions[29],
            json!({"label": "Spring '24", "url": "/services/data/v60.0", "version": "60.0"})
        );
        assert_eq!(versions[37]["version"], "68.0");
        assert!(reply.header("sforce-limit-info").starts_with("api-usage="));
    }
}

#[tokio::test]
async fn retired_versions_are_gone_and_unknown_ones_not_found() {
    let emulator = start().await;
    let gone = emulator
        .raw(
            Method::GET,
            &emulator.url("/services/data/v30.0/sobjects"),
            None,
            Some(&emulator.token),
        )
        .await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert_eq!(gone.json[0]["errorCode"], "API_VERSION_RETIRED");
    let future = emulator
        .raw(
            Method::GET,
            &emulator.url("/services/data/v99.0/sobjects"),
            None,
            Some(&emulator.token),
        )
        .await;
    assert_eq!(future.status, StatusCode::NOT_FOUND);
    assert_eq!(
        future.json,
        json!([{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])
    );
}

#[tokio::test]
async fn resource_map_and_limits() {
    let emulator = start().await;
    let map = emulator.call(Method::GET, "/", None).await;
    assert_eq!(map.json["sobjects"], "/services/data/v60.0/sobjects");
    assert_eq!(map.json["query"], "/services/data/v60.0/query");
    let identity = map.json["identity"].as_str().unwrap_or_default();
    assert!(
        identity.starts_with(&emulator.handle.base_url)
            && identity.ends_with("/005Ka00000LEADWIRE")
    );
    let limits = emulator.call(Method::GET, "/limits/", None).await;
    assert_eq!(limits.json["DailyApiRequests"]["Max"], 15000);
    assert_eq!(
        limits.json["DailyApiRequests"]["Remaining"],
        15000 - 2,
        "this call and the one before count"
    );
    assert_eq!(limits.header("sforce-limit-info"), "api-usage=2/15000");
    assert_eq!(
        limits.header("content-type"),
        "application/json;charset=UTF-8"
    );
}

#[tokio::test]
async fn describe_global_basic_info_and_describe() {
    let mut config = config();
    let mut stage = CustomFieldConfig::text("Lead_Stage__c");
    stage.field_type = FieldType::Picklist;
    stage.values = vec!["MQL".into(), "SQL".into()];
    stage.restricted = true;
    config.custom_fields = vec![stage];
    let emulator = start_with(config).await;
    let global = emulator.call(Method::GET, "/sobjects", None).await;
    assert_eq!(global.json["maxBatchSize"], 200);
    assert_eq!(global.json["sobjects"][0]["keyPrefix"], "00Q");
    assert_eq!(
        global.json["sobjects"][0]["urls"]["rowTemplate"],
        "/services/data/v60.0/sobjects/Lead/{ID}"
    );
    let basic = emulator.call(Method::GET, "/sobjects/lead/", None).await;
    assert_eq!(basic.json["objectDescribe"]["name"], "Lead");
    let describe = emulator
        .call(Method::GET, "/sobjects/Lead/describe", None)
        .await;
    let fields = describe.json["fields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let field = |name: &str| {
        fields
            .iter()
            .find(|f| f["name"] == name)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(field("Id")["type"], "id");
    assert_eq!(field("Id")["soapType"], "tns:ID");
    assert_eq!(field("LastName")["nillable"], false);
    assert_eq!(field("LastName")["length"], 80);
    assert_eq!(field("LastName")["byteLength"], 240);
    assert_eq!(field("Company")["defaultedOnCreate"], false);
    assert_eq!(field("Email")["type"], "email");
    assert_eq!(field("Email")["idLookup"], true);
    assert_eq!(
        field("Status")["picklistValues"][0],
        json!({"active": true, "defaultValue": true, "label": "Open - Not Contacted", "validFor": null, "value": "Open - Not Contacted"})
    );
    assert_eq!(field("CleanStatus")["restrictedPicklist"], true);
    assert_eq!(field("Lead_Stage__c")["custom"], true);
    assert_eq!(field("Lead_Stage__c")["restrictedPicklist"], true);
    let keys = field("Name")
        .as_object()
        .map(|o| o.len())
        .unwrap_or_default();
    assert_eq!(keys, 55, "every describe key is present");
}

#[tokio::test]
async fn unknown_resources_404_and_wrong_methods_405() {
    let emulator = start().await;
    let unknown = emulator
        .call(Method::GET, "/sobjects/Foo/describe", None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.json,
        json!([{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])
    );
    let nowhere = emulator
        .raw(Method::GET, &emulator.url("/nowhere"), None, None)
        .await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    let id = emulator.create(r#"{"LastName":"A","Company":"B"}"#).await;
    let post = emulator
        .call(Method::POST, &format!("/sobjects/Lead/{id}"), Some("{}"))
        .await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        post.json,
        json!([{"message": "HTTP Method 'POST' not allowed. Allowed are HEAD,GET,PATCH,DELETE", "errorCode": "METHOD_NOT_ALLOWED"}])
    );
    let put = emulator
        .call(Method::PUT, &format!("/sobjects/Lead/{id}"), Some("{}"))
        .await;
    assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED);
    let _ = EmulatorConfig::default();
}
