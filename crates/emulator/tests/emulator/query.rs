//! SOQL over HTTP: selection, filters, ordering, paging, COUNT(), queryAll and the exact error texts.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Emulator, config, start, start_with};

async fn soql(emulator: &Emulator, resource: &str, q: &str) -> crate::harness::Reply {
    let encoded: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    emulator
        .call(Method::GET, &format!("{resource}?q={encoded}"), None)
        .await
}

async fn seeded() -> Emulator {
    let emulator = start().await;
    for (last, company, email, employees, rating) in [
        ("Ames", "Acme", "ames@acme.test", 10, "Hot"),
        ("Baker", "Globex", "baker@globex.test", 250, "Warm"),
        ("Cole", "Acme", "cole@acme.test", 40, "Cold"),
        ("Diaz", "Initech", "", 5, ""),
    ] {
        let mut lead =
            json!({"LastName": last, "Company": company, "NumberOfEmployees": employees});
        if !email.is_empty() {
            lead["Email"] = json!(email);
        }
        if !rating.is_empty() {
            lead["Rating"] = json!(rating);
        }
        emulator.create(&lead.to_string()).await;
    }
    emulator
}

fn names(reply: &crate::harness::Reply) -> Vec<String> {
    reply.json["records"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r["LastName"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn selected_fields_in_order_with_attributes() {
    let emulator = seeded().await;
    let reply = soql(
        &emulator,
        "/query",
        "SELECT email, LastName FROM lead WHERE LastName = 'ames'",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["totalSize"], 1);
    assert_eq!(reply.json["done"], true);
    let row = &reply.json["records"][0];
    let keys: Vec<&String> = row
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["attributes", "Email", "LastName"]);
    assert_eq!(row["attributes"]["type"], "Lead");
    assert!(
        row["attributes"]["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("/services/data/v60.0/sobjects/Lead/00Q"))
    );
}

#[tokio::test]
async fn where_order_limit_offset() {
    let emulator = seeded().await;
    let cases = [
        (
            "SELECT LastName FROM Lead WHERE Company = 'Acme' ORDER BY LastName DESC",
            vec!["Cole", "Ames"],
        ),
        (
            "SELECT LastName FROM Lead WHERE NumberOfEmployees >= 40 ORDER BY NumberOfEmployees",
            vec!["Cole", "Baker"],
        ),
        (
            "SELECT LastName FROM Lead WHERE Email LIKE '%@acme.test' ORDER BY LastName",
            vec!["Ames", "Cole"],
        ),
        (
            "SELECT LastName FROM Lead WHERE Rating IN ('Hot', 'Cold') ORDER BY LastName",
            vec!["Ames", "Cole"],
        ),
        (
            "SELECT LastName FROM Lead WHERE Rating NOT IN ('Hot') ORDER BY LastName",
            vec!["Baker", "Cole", "Diaz"],
        ),
        ("SELECT LastName FROM Lead WHERE Email = null", vec!["Diaz"]),
        (
            "SELECT LastName FROM Lead WHERE Email != null AND (Company = 'Globex' OR NumberOfEmployees < 20) ORDER BY LastName",
            vec!["Ames", "Baker"],
        ),
        (
            "SELECT LastName FROM Lead WHERE NOT Company = 'Acme' ORDER BY LastName",
            vec!["Baker", "Diaz"],
        ),
        (
            "SELECT LastName FROM Lead ORDER BY Rating NULLS LAST, LastName LIMIT 2",
            vec!["Cole", "Ames"],
        ),
        (
            "SELECT LastName FROM Lead ORDER BY LastName LIMIT 2 OFFSET 1",
            vec!["Baker", "Cole"],
        ),
        (
            "SELECT LastName FROM Lead WHERE CreatedDate = TODAY AND CreatedDate > 2020-01-01T00:00:00Z ORDER BY LastName LIMIT 1",
            vec!["Ames"],
        ),
        (
            "SELECT LastName FROM Lead WHERE CreatedDate = LAST_N_DAYS:3 AND CreatedDate < 2000-01-01",
            vec![],
        ),
    ];
    for (q, expected) in cases {
        let reply = soql(&emulator, "/query", q).await;
        assert_eq!(reply.status, StatusCode::OK, "{q}: {}", reply.text);
        assert_eq!(names(&reply), expected, "{q}");
    }
}

#[tokio::test]
async fn count_and_query_all_include_deleted() {
    let emulator = seeded().await;
    let count = soql(
        &emulator,
        "/query",
        "SELECT COUNT() FROM Lead WHERE Company = 'Acme'",
    )
    .await;
    assert_eq!(
        count.json,
        json!({"totalSize": 2, "done": true, "records": []})
    );
    let id = emulator
        .create(r#"{"LastName":"Gone","Company":"X"}"#)
        .await;
    emulator
        .call(Method::DELETE, &format!("/sobjects/Lead/{id}"), None)
        .await;
    let live = soql(
        &emulator,
        "/query/",
        "SELECT Id FROM Lead WHERE LastName = 'Gone'",
    )
    .await;
    assert_eq!(live.json["totalSize"], 0);
    let all = soql(
        &emulator,
        "/queryAll",
        "SELECT Id, IsDeleted FROM Lead WHERE LastName = 'Gone'",
    )
    .await;
    assert_eq!(all.json["records"][0]["IsDeleted"], true);
    let aggregate = soql(&emulator, "/query", "SELECT COUNT(Id) FROM Lead").await;
    assert_eq!(
        aggregate.json["records"][0],
        json!({"attributes": {"type": "AggregateResult"}, "expr0": 4})
    );
}

#[tokio::test]
async fn paging_through_next_records_url() {
    let mut config = config();
    config.query_batch_size = 3;
    let emulator = start_with(config).await;
    for n in 0..7 {
        emulator
            .create(&json!({"LastName": format!("L{n}"), "Company": "C"}).to_string())
            .await;
    }
    let mut reply = soql(&emulator, "/query", "SELECT LastName FROM Lead").await;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        assert_eq!(reply.json["totalSize"], 7);
        seen.extend(names(&reply));
        if reply.json["done"] == true {
            assert!(reply.json.get("nextRecordsUrl").is_none());
            break;
        }
        let next = reply.json["nextRecordsUrl"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(next.starts_with("/services/data/v60.0/query/01g"), "{next}");
        reply = emulator
            .raw(
                Method::GET,
                &emulator.url(&next),
                None,
                Some(&emulator.token),
            )
            .await;
        assert!(pages < 10, "paging must end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, (0..7).map(|n| format!("L{n}")).collect::<Vec<_>>());
    let bad = emulator.call(Method::GET, "/query/01gnope-3", None).await;
    assert_eq!(bad.status, StatusCode::NOT_FOUND);
    assert_eq!(
        bad.json,
        json!([{"message": "Invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}])
    );
}

#[tokio::test]
async fn malformed_queries_have_salesforce_texts() {
    let emulator = start().await;
    let cases: Vec<(&str, Value)> = vec![
        (
            "SELECT Id, FROM Lead",
            json!([{"message": "\nSELECT Id, FROM Lead\n           ^\nERROR at Row:1:Column:12\nunexpected token: 'FROM'", "errorCode": "MALFORMED_QUERY"}]),
        ),
        (
            "invalid",
            json!([{"message": "\ninvalid\n^\nERROR at Row:1:Column:1\nunexpected token: 'invalid'", "errorCode": "MALFORMED_QUERY"}]),
        ),
        (
            "SELECT Id, SF_date__c FROM Lead",
            json!([{"message": "\nSELECT Id, SF_date__c FROM Lead\n           ^\nERROR at Row:1:Column:12\nNo such column 'SF_date__c' on entity 'Lead'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", "errorCode": "INVALID_FIELD"}]),
        ),
        (
            "SELECT Id FROM Foo",
            json!([{"message": "\nSELECT Id FROM Foo\n               ^\nERROR at Row:1:Column:16\nsObject type 'Foo' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", "errorCode": "INVALID_TYPE"}]),
        ),
    ];
    for (q, expected) in cases {
        let reply = soql(&emulator, "/query", q).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(reply.json, expected, "{q}");
    }
    let missing = emulator.call(Method::GET, "/query", None).await;
    assert_eq!(missing.json[0]["errorCode"], "MALFORMED_QUERY");
}
