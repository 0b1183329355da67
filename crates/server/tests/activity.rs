//! `GET /activity`, `POST /activity/{id}/replay` and `GET /metrics` over a real socket,
//! Bulk API 2.0 jobs in `/metrics` read from the store at each scrape.

mod common;

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use common::{FULL_KEY, TRACK_KEY, config, fixture, listen};
use leadwire_core::activity::{ActivityEntry, ActivityType, MessageSource};
use leadwire_core::permission::Permission;
use leadwire_engine::metrics::Metrics;
use leadwire_server::ApiKeyConfig;
use leadwire_store::{BulkJob, BulkJobState, BulkRow};
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

const READER_KEY: &str = "lw-activity-reader-key-0000000003";

fn entry(kind: ActivityType, campaign: &str, minutes_ago: i64) -> ActivityEntry {
    ActivityEntry {
        id: Uuid::now_v7(),
        time: Utc::now() - TimeDelta::minutes(minutes_ago),
        activity_type: kind,
        source: MessageSource::Campaign {
            campaign: campaign.into(),
        },
        user_id: Uuid::new_v4(),
        external_id: Some("00Q000000000001AAA".into()),
        template: "Create Lead".into(),
        message: "Required fields are missing: [Company]".into(),
        attempt: 1,
        status: Some(if kind == ActivityType::Success {
            201
        } else {
            400
        }),
        duration_ms: 5,
        request: None,
        response: None,
        send_id: Uuid::new_v4(),
        trigger_properties: None,
        tracking_send_id: None,
    }
}

#[tokio::test]
async fn activity_is_listed_filtered_paged_and_replayed() {
    let mut config = config();
    config.api_keys.push(ApiKeyConfig {
        name: "support".into(),
        key: READER_KEY.into(),
        permissions: vec![Permission::ActivityRead],
    });
    let fixture = fixture(config).await;
    let metrics = Arc::new(Metrics::new());
    metrics.record_token_fetch("sales-cloud");
    let state = fixture.state.clone().with_metrics(metrics);
    let entries = [
        entry(ActivityType::Success, "new_lead", 3),
        entry(ActivityType::WebhookError, "new_lead", 2),
        entry(ActivityType::WebhookError, "other", 1),
    ];
    let mut tx = state.store.begin().await.expect("begin");
    tx.record_activity(&entries).await.expect("record");
    tx.commit().await.expect("commit");

    let base = format!("http://{}", listen(state).await);
    let client = reqwest::Client::new();
    let get = |path: &str, key: &str| client.get(format!("{base}{path}")).bearer_auth(key).send();

    let response = get("/activity?type=webhook_error&campaign=new_lead", READER_KEY)
        .await
        .expect("get");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    let listed = body["entries"].as_array().expect("entries");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], entries[1].id.to_string());

    let first: Value = get("/activity?limit=2", READER_KEY)
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(first["entries"].as_array().map(Vec::len), Some(2));
    let cursor = first["next"].as_str().expect("a next page");
    let second: Value = get(&format!("/activity?limit=2&cursor={cursor}"), READER_KEY)
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(second["entries"][0]["id"], entries[0].id.to_string());
    assert_eq!(second["next"], Value::Null);

    let bad = get("/activity?type=push_error", READER_KEY)
        .await
        .expect("get");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let bad: Value = bad.json().await.expect("json");
    assert!(
        bad["errors"][0]["type"]
            .as_str()
            .is_some_and(|t| t.contains("webhook_error")),
        "{bad}"
    );
    assert_eq!(
        get("/activity?since=yesterday", READER_KEY)
            .await
            .expect("get")
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get("/activity", TRACK_KEY).await.expect("get").status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        client
            .get(format!("{base}/activity"))
            .send()
            .await
            .expect("get")
            .status(),
        StatusCode::UNAUTHORIZED
    );

    let replay = |id: String, key: &'static str| {
        client
            .post(format!("{base}/activity/{id}/replay"))
            .bearer_auth(key)
            .send()
    };
    let replayed = replay(entries[1].id.to_string(), READER_KEY)
        .await
        .expect("replay");
    assert_eq!(replayed.status(), StatusCode::ACCEPTED);
    let replayed: Value = replayed.json().await.expect("json");
    assert!(replayed["job_id"].as_i64().is_some(), "{replayed}");
    assert_eq!(
        fixture
            .state
            .store
            .pending_jobs(leadwire_store::Queue::Sends)
            .await
            .expect("pending"),
        1
    );
    let delivered = replay(entries[0].id.to_string(), READER_KEY)
        .await
        .expect("replay");
    assert_eq!(delivered.status(), StatusCode::CONFLICT);
    let missing = replay(Uuid::new_v4().to_string(), READER_KEY)
        .await
        .expect("replay");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let junk = replay("not-an-id".into(), FULL_KEY).await.expect("replay");
    assert_eq!(
        junk.status(),
        StatusCode::FORBIDDEN,
        "the key is checked first"
    );

    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.expect("text");
    assert!(
        text.contains("leadwire_salesforce_token_fetches_total{connection=\"sales-cloud\"} 1"),
        "{text}"
    );
    fixture.finish().await;
}

fn bulk_job(template: &str, state: BulkJobState, rows: u128, processed: u64) -> BulkJob {
    BulkJob {
        id: Uuid::now_v7(),
        run_id: Uuid::now_v7(),
        template: template.into(),
        connection: "sales-cloud".into(),
        api_base: "https://x.example/services/data/v60.0".into(),
        operation: "upsert".into(),
        external_id_field: Some("Leadwire_Id__c".into()),
        sf_job_id: Some("750Ka0000000001IAA".into()),
        state,
        sf_state: Some("InProgress".into()),
        rows: (0..rows)
            .map(|n| BulkRow {
                user_id: Uuid::from_u128(n + 1),
                key: 7,
            })
            .collect(),
        processed,
        failed: 1,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

#[tokio::test]
async fn metrics_show_the_stored_bulk_jobs_at_each_scrape() {
    let fixture = fixture(config()).await;
    let state = fixture.state.clone().with_metrics(Arc::new(Metrics::new()));
    let store = state.store.clone();
    let base = format!("http://{}", listen(state).await);
    let scrape = || async {
        let response = reqwest::get(format!("{base}/metrics")).await.expect("get");
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.expect("text")
    };
    let text = scrape().await;
    assert!(
        text.contains("# HELP leadwire_salesforce_bulk_jobs ")
            && !text.contains("leadwire_salesforce_bulk_jobs{"),
        "no job stored, no series: {text}"
    );

    // As a backfill in another process would store them.
    let mut running = bulk_job("Upsert Lead", BulkJobState::Closed, 5, 3);
    let uploaded = bulk_job("Upsert Lead", BulkJobState::Uploaded, 2, 0);
    let recorded = bulk_job("Upsert Lead", BulkJobState::Recorded, 4, 4);
    let mut tx = store.begin().await.expect("begin");
    for job in [&running, &uploaded, &recorded] {
        tx.save_bulk_job(job).await.expect("save");
    }
    tx.commit().await.expect("commit");
    let text = scrape().await;
    for line in [
        r#"leadwire_salesforce_bulk_jobs{template="Upsert Lead",state="closed"} 1"#,
        r#"leadwire_salesforce_bulk_jobs{template="Upsert Lead",state="uploaded"} 1"#,
        r#"leadwire_salesforce_bulk_jobs{template="Upsert Lead",state="recorded"} 1"#,
        r#"leadwire_salesforce_bulk_jobs{template="Upsert Lead",state="open"} 0"#,
        r#"leadwire_salesforce_bulk_rows{template="Upsert Lead"} 7"#,
        r#"leadwire_salesforce_bulk_rows_processed{template="Upsert Lead"} 3"#,
        r#"leadwire_salesforce_bulk_rows_failed{template="Upsert Lead"} 2"#,
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }

    running.state = BulkJobState::Recorded;
    running.processed = 5;
    let mut tx = store.begin().await.expect("begin");
    tx.save_bulk_job(&running).await.expect("save");
    tx.commit().await.expect("commit");
    let text = scrape().await;
    for line in [
        r#"leadwire_salesforce_bulk_jobs{template="Upsert Lead",state="closed"} 0"#,
        r#"leadwire_salesforce_bulk_jobs{template="Upsert Lead",state="recorded"} 2"#,
        r#"leadwire_salesforce_bulk_rows{template="Upsert Lead"} 2"#,
        r#"leadwire_salesforce_bulk_rows_processed{template="Upsert Lead"} 0"#,
    ] {
        assert!(
            text.contains(line),
            "the next scrape reads the store again: {line} in {text}"
        );
    }
    fixture.finish().await;
}
