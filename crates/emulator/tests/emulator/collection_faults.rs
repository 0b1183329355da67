//! Faults and counters around sObject Collections: seeded and chosen per-record UNABLE_TO_LOCK_ROW, whole-call 503s that write nothing, and per-API counters that agree with `/limits` and `Sforce-Limit-Info`.

use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Emulator, Reply, config, read, start, start_with};

fn leads(count: usize, tag: &str) -> Value {
    let records: Vec<Value> = (0..count)
        .map(|n| json!({"attributes": {"type": "Lead"}, "LastName": format!("{tag}{n}"), "Company": "C", "Email": format!("{tag}{n}@x.test")}))
        .collect();
    json!({"allOrNone": false, "records": records})
}

async fn create_all(emulator: &Emulator, body: &Value) -> Reply {
    emulator
        .call(Method::POST, "/composite/sobjects", Some(&body.to_string()))
        .await
}

async fn put_faults(emulator: &Emulator, settings: Value) -> Reply {
    let response = emulator
        .http
        .put(emulator.url("/__emulator/faults"))
        .json(&settings)
        .send()
        .await
        .expect("sent");
    read(response).await
}

async fn admin_stats(emulator: &Emulator) -> Value {
    let response = emulator
        .http
        .get(emulator.url("/__emulator/stats"))
        .send()
        .await
        .expect("sent");
    read(response).await.json
}

/// The positions whose result failed, each with UNABLE_TO_LOCK_ROW.
fn locked_positions(reply: &Reply) -> Vec<usize> {
    let results = reply.json.as_array().expect("results");
    let mut locked = Vec::new();
    for (position, result) in results.iter().enumerate() {
        if result["success"] == false {
            assert_eq!(
                result["errors"],
                json!([{"statusCode": "UNABLE_TO_LOCK_ROW", "message": "unable to obtain exclusive access to this record", "fields": []}])
            );
            locked.push(position);
        }
    }
    locked
}

#[tokio::test]
async fn a_seeded_share_of_records_fails_unwritten_and_repeats() {
    let emulator = start().await;
    let settings = json!({"record_error_rate": 0.3, "seed": 5});
    assert_eq!(
        put_faults(&emulator, settings.clone()).await.status,
        StatusCode::OK
    );
    let first = create_all(&emulator, &leads(100, "a")).await;
    assert_eq!(first.status, StatusCode::OK);
    let locked = locked_positions(&first);
    assert!(
        (10..60).contains(&locked.len()),
        "{} of 100 locked at 0.3",
        locked.len()
    );
    assert_eq!(
        emulator.handle.state().lead_count(),
        100 - locked.len(),
        "a locked record is not written"
    );
    let stats = emulator.handle.stats();
    let collections = stats.api(leadwire_salesforce_emulator::ApiFamily::Collections);
    assert_eq!(collections.created, (100 - locked.len()) as u64);
    assert_eq!(collections.record_errors, locked.len() as u64);
    put_faults(&emulator, settings).await;
    let again = create_all(&emulator, &leads(100, "b")).await;
    assert_eq!(
        locked_positions(&again),
        locked,
        "the same seed fails the same records"
    );
}

#[tokio::test]
async fn chosen_records_fail_by_value_or_position_for_a_count() {
    let emulator = start().await;
    let reply = put_faults(
        &emulator,
        json!({"fail_records": [
            {"field": "email", "value": "c0@x.test", "times": 1},
            {"index": 2}
        ]}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let first = create_all(&emulator, &leads(3, "c")).await;
    assert_eq!(locked_positions(&first), [0, 2]);
    let retry = create_all(&emulator, &leads(3, "c")).await;
    assert_eq!(locked_positions(&retry), [2], "the counted matcher ran out");
    let faults = emulator.handle.state().faults();
    assert_eq!(faults.fail_records[0].times, Some(0));
    let bad = put_faults(&emulator, json!({"fail_records": [{"times": 1}]})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.json,
        json!({"error": "fail_records[0] must name `field` and `value`, or `index` (or both)"})
    );
}

#[tokio::test]
async fn a_locked_record_rolls_back_an_all_or_none_request() {
    let emulator = start().await;
    put_faults(&emulator, json!({"fail_records": [{"index": 1}]})).await;
    let mut body = leads(3, "d");
    body["allOrNone"] = json!(true);
    let reply = create_all(&emulator, &body).await;
    let codes: Vec<&Value> = reply
        .json
        .as_array()
        .expect("results")
        .iter()
        .map(|result| &result["errors"][0]["statusCode"])
        .collect();
    assert_eq!(
        codes,
        [
            "ALL_OR_NONE_OPERATION_ROLLED_BACK",
            "UNABLE_TO_LOCK_ROW",
            "ALL_OR_NONE_OPERATION_ROLLED_BACK"
        ]
    );
    assert_eq!(emulator.handle.state().lead_count(), 0);
    assert_eq!(
        emulator
            .handle
            .stats()
            .api(leadwire_salesforce_emulator::ApiFamily::Collections)
            .created,
        0
    );
}

#[tokio::test]
async fn a_whole_call_503_writes_nothing() {
    let emulator = start().await;
    emulator
        .handle
        .state()
        .fail_next(1, 503)
        .expect("503 is allowed");
    let failed = create_all(&emulator, &leads(5, "e")).await;
    assert_eq!(failed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(failed.json[0]["errorCode"], "SERVER_UNAVAILABLE");
    put_faults(&emulator, json!({"error_rate": 1.0})).await;
    let failed = create_all(&emulator, &leads(5, "e")).await;
    assert_eq!(failed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(emulator.handle.state().lead_count(), 0);
    let collections = emulator
        .handle
        .stats()
        .api(leadwire_salesforce_emulator::ApiFamily::Collections);
    assert_eq!(
        (
            collections.requests,
            collections.api_calls,
            collections.created
        ),
        (2, 0, 0)
    );
}

#[tokio::test]
async fn counters_by_api_agree_with_limits_and_the_header() {
    let emulator = start().await;
    emulator.create(r#"{"LastName":"A","Company":"C"}"#).await;
    create_all(&emulator, &leads(10, "f")).await;
    let composite = json!({"allOrNone": false, "compositeRequest": [
        {"method": "POST", "url": "/services/data/v60.0/sobjects/Lead", "referenceId": "a", "body": {"LastName": "G", "Company": "C"}},
        {"method": "POST", "url": "/services/data/v60.0/composite/sobjects", "referenceId": "b", "body": leads(2, "g")}
    ]});
    let reply = emulator
        .call(Method::POST, "/composite", Some(&composite.to_string()))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let rolled_back = json!({"allOrNone": true, "compositeRequest": [
        {"method": "POST", "url": "/services/data/v60.0/sobjects/Lead", "referenceId": "a", "body": {"LastName": "H", "Company": "C"}},
        {"method": "POST", "url": "/services/data/v60.0/sobjects/Lead", "referenceId": "b", "body": {"LastName": "H"}}
    ]});
    emulator
        .call(Method::POST, "/composite", Some(&rolled_back.to_string()))
        .await;
    emulator
        .call(Method::GET, "/query?q=SELECT+Id+FROM+Lead", None)
        .await;
    let stats = admin_stats(&emulator).await;
    let api = &stats["byApi"];
    let family = |name: &str| {
        let f = &api[name];
        [
            &f["requests"],
            &f["apiCalls"],
            &f["created"],
            &f["updated"],
            &f["deleted"],
        ]
        .map(|v| v.as_u64().unwrap_or(u64::MAX))
    };
    assert_eq!(family("oauth"), [1, 0, 0, 0, 0]);
    assert_eq!(family("sobjects"), [1, 1, 1, 0, 0]);
    assert_eq!(family("collections"), [1, 1, 10, 0, 0]);
    assert_eq!(
        family("composite"),
        [2, 2, 3, 0, 0],
        "the rolled-back composite wrote nothing"
    );
    assert_eq!(family("query"), [1, 1, 0, 0, 0]);
    assert_eq!(family("bulkIngest"), [0, 0, 0, 0, 0]);
    let charged: u64 = api
        .as_object()
        .expect("byApi")
        .values()
        .map(|f| f["apiCalls"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(stats["apiUsage"], charged);
    let limits = emulator.call(Method::GET, "/limits", None).await;
    let used = charged + 1;
    assert_eq!(
        limits.json["DailyApiRequests"],
        json!({"Max": 15000, "Remaining": 15000 - used})
    );
    assert_eq!(
        limits.header("sforce-limit-info"),
        format!("api-usage={used}/15000")
    );
    assert_eq!(
        emulator
            .handle
            .stats()
            .api(leadwire_salesforce_emulator::ApiFamily::Limits)
            .api_calls,
        1
    );
}

#[tokio::test]
async fn a_used_up_allocation_charges_nothing_more() {
    let mut config = config();
    config.daily_api_limit = 2;
    let emulator = start_with(config).await;
    for _ in 0..2 {
        assert_eq!(
            create_all(&emulator, &leads(1, "i")).await.status,
            StatusCode::OK
        );
    }
    let refused = create_all(&emulator, &leads(1, "i")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.json,
        json!([{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
    );
    assert_eq!(refused.header("sforce-limit-info"), "api-usage=2/2");
    let stats = emulator.handle.stats();
    let collections = stats.api(leadwire_salesforce_emulator::ApiFamily::Collections);
    assert_eq!(
        (
            collections.requests,
            collections.api_calls,
            collections.created
        ),
        (3, 2, 2)
    );
    assert_eq!(stats.api_usage, 2);
}
