//! Lead CRUD: create 201 + Location, get (all fields, ?fields=), update 204, delete 204, upsert 201/200/300/404, case-insensitive names, 15-char ids.

use http::{Method, StatusCode};
use leadwire_salesforce::RecordId;
use leadwire_salesforce::fields::CustomFieldConfig;
use serde_json::json;

use crate::harness::{config, start, start_with};

#[tokio::test]
async fn create_returns_201_with_location_and_a_checksummed_id() {
    let emulator = start().await;
    let reply = emulator
        .call(
            Method::POST,
            "/sobjects/Lead/",
            Some(r#"{"lastname":"Doe","COMPANY":"Acme","Email":"jane@acme.test"}"#),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let id = reply.json["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(reply.json, json!({"id": id, "success": true, "errors": []}));
    assert_eq!(
        reply.header("location"),
        format!("/services/data/v60.0/sobjects/Lead/{id}")
    );
    assert_eq!(
        reply.header("content-type"),
        "application/json;charset=UTF-8"
    );
    assert!(reply.header("sforce-limit-info").starts_with("api-usage="));
    let parsed = RecordId::parse(&id).map(|r| r.to_string());
    assert_eq!(
        parsed.as_deref(),
        Some(id.as_str()),
        "the suffix is the checksum of the first 15"
    );
    assert!(id.starts_with("00Q") && id.len() == 18);
}

#[tokio::test]
async fn get_returns_every_field_with_defaults_and_supports_fields() {
    let emulator = start().await;
    let id = emulator
        .create(r#"{"FirstName":"Jane","LastName":"Doe","Company":"Acme"}"#)
        .await;
    let reply = emulator
        .call(Method::GET, &format!("/sobjects/Lead/{id}"), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let lead = &reply.json;
    assert_eq!(
        lead["attributes"],
        json!({"type": "Lead", "url": format!("/services/data/v60.0/sobjects/Lead/{id}")})
    );
    assert_eq!(lead["Id"], id.as_str());
    assert_eq!(lead["Name"], "Jane Doe");
    assert_eq!(lead["Status"], "Open - Not Contacted");
    assert_eq!(lead["IsDeleted"], false);
    assert_eq!(lead["IsConverted"], false);
    assert_eq!(lead["Email"], serde_json::Value::Null);
    let created = lead["CreatedDate"].as_str().unwrap_or_default();
    assert!(
        created.ends_with("+0000") && created.len() == 28,
        "{created}"
    );
    let chosen = emulator
        .call(
            Method::GET,
            &format!("/sobjects/Lead/{id}?fields=lastname,Company"),
            None,
        )
        .await;
    let keys: Vec<&String> = chosen
        .json
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["attributes", "LastName", "Company"]);
    let short = &id[..15];
    let by_short = emulator
        .call(Method::GET, &format!("/sobjects/Lead/{short}"), None)
        .await;
    assert_eq!(by_short.json["Id"], id.as_str(), "15-character ids resolve");
    let lower = emulator
        .call(
            Method::GET,
            &format!("/sobjects/Lead/{}", id.to_lowercase()),
            None,
        )
        .await;
    assert_eq!(
        lower.json["Id"],
        id.as_str(),
        "18-character ids resolve in any case"
    );
}

#[tokio::test]
async fn update_then_delete() {
    let emulator = start().await;
    let id = emulator
        .create(r#"{"LastName":"Doe","Company":"Acme"}"#)
        .await;
    let path = format!("/sobjects/Lead/{id}");
    let update = emulator
        .call(
            Method::PATCH,
            &path,
            Some(r#"{"Rating":"Hot","company":"Acme 2"}"#),
        )
        .await;
    assert_eq!(update.status, StatusCode::NO_CONTENT);
    assert!(update.text.is_empty());
    let lead = emulator.call(Method::GET, &path, None).await;
    assert_eq!(
        (lead.json["Rating"].as_str(), lead.json["Company"].as_str()),
        (Some("Hot"), Some("Acme 2"))
    );
    let clear = emulator
        .call(Method::PATCH, &path, Some(r#"{"Rating":null}"#))
        .await;
    assert_eq!(clear.status, StatusCode::NO_CONTENT);
    assert_eq!(
        emulator.call(Method::GET, &path, None).await.json["Rating"],
        serde_json::Value::Null
    );
    let delete = emulator.call(Method::DELETE, &path, None).await;
    assert_eq!(delete.status, StatusCode::NO_CONTENT);
    let deleted =
        json!([{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}]);
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let body = (method == Method::PATCH).then_some(r#"{"Rating":"Hot"}"#);
        let reply = emulator.call(method, &path, body).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert_eq!(reply.json, deleted);
    }
}

#[tokio::test]
async fn upsert_by_external_id() {
    let mut config = config();
    let mut external = CustomFieldConfig::text("Ext_Id__c");
    external.external_id = true;
    config.custom_fields = vec![external, CustomFieldConfig::text("Plain__c")];
    let emulator = start_with(config).await;
    let created = emulator
        .call(
            Method::PATCH,
            "/sobjects/Lead/Ext_Id__c/u-1",
            Some(r#"{"LastName":"Doe","Company":"Acme"}"#),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        created.json,
        json!({"id": id, "errors": [], "success": true, "created": true})
    );
    assert_eq!(
        created.header("location"),
        format!("/services/data/v60.0/sobjects/Lead/{id}")
    );
    let updated = emulator
        .call(
            Method::PATCH,
            "/sobjects/Lead/ext_id__c/u-1",
            Some(r#"{"Rating":"Warm"}"#),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(
        updated.json,
        json!({"id": id, "errors": [], "success": true, "created": false})
    );
    let old_api = emulator
        .raw(
            Method::PATCH,
            &emulator.url("/services/data/v45.0/sobjects/Lead/Ext_Id__c/u-1"),
            Some("{}"),
            Some(&emulator.token),
        )
        .await;
    assert_eq!(
        old_api.status,
        StatusCode::NO_CONTENT,
        "before v46 an update answers 204"
    );
    let fetched = emulator
        .call(Method::GET, "/sobjects/Lead/Ext_Id__c/u-1", None)
        .await;
    assert_eq!(
        (fetched.json["Id"].as_str(), fetched.json["Rating"].as_str()),
        (Some(id.as_str()), Some("Warm"))
    );
    let second = emulator
        .call(
            Method::POST,
            "/sobjects/Lead",
            Some(r#"{"LastName":"B","Company":"C","Ext_Id__c":"U-1"}"#),
        )
        .await;
    let second_id = second.json["id"].as_str().unwrap_or_default().to_owned();
    let ambiguous = emulator
        .call(Method::PATCH, "/sobjects/Lead/Ext_Id__c/u-1", Some("{}"))
        .await;
    assert_eq!(ambiguous.status, StatusCode::MULTIPLE_CHOICES);
    assert_eq!(
        ambiguous.json,
        json!([
            format!("/services/data/v60.0/sobjects/Lead/{id}"),
            format!("/services/data/v60.0/sobjects/Lead/{second_id}")
        ])
    );
    for field in ["Namez", "Plain__c"] {
        let missing = emulator
            .call(
                Method::PATCH,
                &format!("/sobjects/Lead/{field}/x"),
                Some("{}"),
            )
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(
            missing.json,
            json!([{"message": format!("Provided external ID field does not exist or is not accessible: {field}"), "errorCode": "NOT_FOUND"}])
        );
    }
}
