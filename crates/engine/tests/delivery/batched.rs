//! Batched templates against the emulator's sObject Collections: many sends per call, and
//! each send still its own activity entry, response capture, retry or failure; a crash
//! between the call and the record repaired by the lease.

use std::collections::HashMap;
use std::time::Duration;

use chrono::TimeDelta;
use leadwire_core::activity::{ActivityEntry, ActivityType};
use leadwire_core::attributes::ProfileChanges;
use leadwire_core::track::UserIdentifier;
use leadwire_engine::delivery::DeliverySettings;
use leadwire_salesforce_emulator::{FaultSettings, RecordFault};
use leadwire_store::{ProfileWrite, Queue};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{
    Backend, CLIENT_ID, CLIENT_SECRET, ClockNow, Harness, one_minute_retries, start, start_on,
};

/// Create Lead, Update Lead and Upsert Lead, each batched: the single-record requests,
/// with `batch`.
const BATCHED: &str = r#"
[[webhook_templates]]
name = "Create Lead"
connection = "emulator"
url = "{{connection.instance_url}}/services/data/v60.0/sobjects/Lead/"
method = "POST"
capture = [{ field = "id", save_to = "custom_attribute.salesforce_lead_id" }]
batch = { max_records = 200, max_wait = "1s" }
headers = { Authorization = "Bearer {{connections.emulator.access_token}}" }
body.json = { LastName = "{{${last_name}}}", Company = "{{custom_attribute.${company}}}", Email = "{{${email_address}}}" }

[[webhook_templates]]
name = "Update Lead"
connection = "emulator"
url = "{{connection.instance_url}}/services/data/v60.0/sobjects/Lead/{{custom_attribute.${salesforce_lead_id}}}"
method = "PATCH"
batch = { max_records = 200, max_wait = "1s" }
headers = { Authorization = "Bearer {{connections.emulator.access_token}}" }
body.json = { Title = "MQL" }

[[webhook_templates]]
name = "Upsert Lead"
connection = "emulator"
url = "{{connection.instance_url}}/services/data/v60.0/sobjects/Lead/Leadwire_Id__c/{{${braze_id}}}"
method = "PATCH"
capture = [{ field = "id", save_to = "custom_attribute.salesforce_lead_id" }]
batch = { max_records = 200, max_wait = "1s" }
headers = { Authorization = "Bearer {{connections.emulator.access_token}}" }
body.json = { LastName = "{{${last_name}}}", Company = "{{custom_attribute.${company}}}" }
"#;

const CREATES: &str = "POST /composite/sobjects";
const UPDATES: &str = "PATCH /composite/sobjects";
const UPSERTS: &str = "PATCH /composite/sobjects/Lead/Leadwire_Id__c";

/// The entries of `user`, oldest first.
fn entries_of(activity: &[ActivityEntry], user: Uuid) -> Vec<&ActivityEntry> {
    let mut entries: Vec<&ActivityEntry> = activity
        .iter()
        .filter(|entry| entry.user_id == user)
        .collect();
    entries.sort_by_key(|entry| (entry.attempt, entry.time));
    entries
}

/// Every Lead in the emulator by id, read through SOQL with a token of its own.
async fn leads(harness: &Harness, fields: &str) -> HashMap<String, Value> {
    let client = reqwest::Client::new();
    let base = &harness.emulator.base_url;
    let token: Value = serde_json::from_str(
        &client
            .post(format!("{base}/services/oauth2/token"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}"
            ))
            .send()
            .await
            .expect("token request")
            .text()
            .await
            .expect("token body"),
    )
    .expect("token JSON");
    let token = token["access_token"].as_str().expect("a token").to_owned();
    let answer: Value = serde_json::from_str(
        &client
            .get(format!("{base}/services/data/v60.0/query"))
            .query(&[("q", format!("SELECT Id, {fields} FROM Lead"))])
            .bearer_auth(token)
            .send()
            .await
            .expect("query")
            .text()
            .await
            .expect("query body"),
    )
    .expect("query JSON");
    assert_eq!(answer["done"], json!(true), "one page: {answer}");
    answer["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|lead| (lead["Id"].as_str().expect("Id").to_owned(), lead.clone()))
        .collect()
}

async fn lead_id_of(harness: &Harness, user: Uuid) -> Option<String> {
    let profile = harness
        .store
        .find_profile(&UserIdentifier::BrazeId(user))
        .await
        .expect("read")
        .expect("exists");
    profile
        .custom
        .get("salesforce_lead_id")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

async fn blank_last_name(harness: &Harness, user: Uuid) {
    let mut profile = harness
        .store
        .find_profile(&UserIdentifier::BrazeId(user))
        .await
        .expect("read")
        .expect("exists");
    profile.standard.insert("last_name".into(), json!(""));
    let mut tx = harness.store.begin().await.expect("begin");
    tx.save_profiles(&[ProfileWrite {
        profile: &profile,
        changes: &ProfileChanges::default(),
    }])
    .await
    .expect("save");
    tx.commit().await.expect("commit");
}

async fn creates_share_calls_and_each_send_keeps_its_identity(backend: Backend) {
    const USERS: usize = 450;
    let Some(harness) = start_on(backend, BATCHED, one_minute_retries()).await else {
        return;
    };
    let users = harness.enqueue_sends(USERS, "Create Lead", false).await;
    harness.deliver_everything().await;

    let stats = harness.emulator.stats();
    let calls = stats.endpoint(CREATES);
    // ⌈450 / 200⌉ = 3; a group that closes on max_wait before it fills adds one.
    assert!((3..=6).contains(&calls), "{calls} calls: {stats:?}");
    assert_eq!(stats.endpoint("POST /sobjects/Lead"), 0, "no single create");
    assert_eq!(harness.emulator.state().lead_count(), USERS);

    let activity = harness.activity().await;
    assert_eq!(activity.len(), USERS, "one entry per send");
    let leads = leads(&harness, "LastName").await;
    for (n, user) in users.iter().enumerate() {
        let entries = entries_of(&activity, *user);
        let [entry] = entries.as_slice() else {
            panic!("user {n}: {entries:?}");
        };
        assert_eq!(entry.activity_type, ActivityType::Success);
        assert_eq!(entry.status, Some(201));
        let request = entry.request.as_ref().expect("the request is kept");
        assert!(
            request.url.ends_with("/composite/sobjects"),
            "{}",
            request.url
        );
        let sent: Value =
            serde_json::from_str(request.body.as_deref().expect("its record")).expect("JSON");
        assert_eq!(
            sent["LastName"],
            json!(format!("Lovelace {n}")),
            "its own record"
        );
        assert_eq!(sent["attributes"], json!({"type": "Lead"}));
        let response = entry.response.as_ref().expect("the response is kept");
        let result: Value = serde_json::from_str(&response.body).expect("its result");
        let lead_id = lead_id_of(&harness, *user)
            .await
            .expect("the Lead id is captured");
        assert_eq!(result["id"], json!(lead_id));
        assert_eq!(
            leads[&lead_id]["LastName"],
            json!(format!("Lovelace {n}")),
            "the captured id is this user's Lead"
        );
    }
    let metrics = harness.worker.metrics().encode();
    assert!(
        metrics.contains(&format!(
            "leadwire_salesforce_collection_records_total{{connection=\"emulator\"}} {USERS}"
        )),
        "{metrics}"
    );
    harness.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_share_calls_and_each_send_keeps_its_identity_sqlite() {
    creates_share_calls_and_each_send_keeps_its_identity(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_share_calls_and_each_send_keeps_its_identity_postgres() {
    creates_share_calls_and_each_send_keeps_its_identity(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_by_id_share_calls_after_the_creates() {
    const USERS: usize = 30;
    let harness = start(BATCHED, one_minute_retries()).await;
    let users = harness.enqueue_sends(USERS, "Create Lead", false).await;
    harness.deliver_everything().await;
    let now = harness.clock.now_for_tests();
    let mut tx = harness.store.begin().await.expect("begin");
    for user in &users {
        let task = leadwire_core::queue::SendTask {
            send_id: Uuid::new_v4(),
            tracking_send_id: None,
            user_id: *user,
            template: "Update Lead".into(),
            source: leadwire_core::activity::MessageSource::Campaign {
                campaign: "MQL".into(),
            },
            created_at: now,
            event_properties: None,
            api_trigger_properties: None,
            canvas_entry_properties: None,
            follow_up: None,
            webhook: None,
        };
        tx.enqueue(&leadwire_store::NewTask::new(task, now))
            .await
            .expect("enqueue");
    }
    tx.commit().await.expect("commit");
    harness.deliver_everything().await;

    let stats = harness.emulator.stats();
    assert!((1..=2).contains(&stats.endpoint(UPDATES)), "{stats:?}");
    assert_eq!(
        harness.emulator.state().lead_count(),
        USERS,
        "updated, not created"
    );
    let leads = leads(&harness, "Title").await;
    for user in &users {
        let lead_id = lead_id_of(&harness, *user).await.expect("captured");
        assert_eq!(leads[&lead_id]["Title"], json!("MQL"));
    }
    let activity = harness.activity().await;
    let updates = activity
        .iter()
        .filter(|entry| entry.template == "Update Lead")
        .collect::<Vec<_>>();
    assert_eq!(updates.len(), USERS);
    assert!(
        updates
            .iter()
            .all(|entry| entry.activity_type == ActivityType::Success && entry.status == Some(200))
    );
    harness.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_record_failure_is_logged_for_its_send_alone_and_never_retried() {
    const USERS: usize = 10;
    let harness = start(BATCHED, one_minute_retries()).await;
    let users = harness.enqueue_sends(USERS, "Create Lead", false).await;
    let blank = [users[3], users[7]];
    for user in blank {
        blank_last_name(&harness, user).await;
    }
    harness.deliver_everything().await;

    assert_eq!(harness.emulator.state().lead_count(), USERS - blank.len());
    assert_eq!(
        harness.emulator.stats().endpoint(CREATES),
        1,
        "one call, no retry"
    );
    let failed = harness
        .store
        .failed_jobs(Queue::Sends)
        .await
        .expect("failed");
    assert_eq!(failed.len(), blank.len());
    let activity = harness.activity().await;
    for user in &users {
        let entries = entries_of(&activity, *user);
        let [entry] = entries.as_slice() else {
            panic!("{user}: {entries:?}");
        };
        if blank.contains(user) {
            assert_eq!(entry.activity_type, ActivityType::WebhookError);
            assert_eq!(entry.status, Some(400));
            assert!(
                entry.message.contains("REQUIRED_FIELD_MISSING"),
                "{}",
                entry.message
            );
            assert!(lead_id_of(&harness, *user).await.is_none());
        } else {
            assert_eq!(entry.activity_type, ActivityType::Success);
            assert!(lead_id_of(&harness, *user).await.is_some());
        }
    }
    harness.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retryable_record_failure_is_retried_for_that_send_alone() {
    const USERS: usize = 6;
    let harness = start(BATCHED, one_minute_retries()).await;
    let users = harness.enqueue_sends(USERS, "Create Lead", false).await;
    let locked = users[2];
    harness
        .emulator
        .state()
        .set_faults(FaultSettings {
            fail_records: vec![RecordFault {
                field: Some("LastName".into()),
                value: Some("Lovelace 2".into()),
                index: None,
                times: Some(1),
            }],
            ..FaultSettings::default()
        })
        .expect("valid faults");
    harness.deliver_everything().await;

    assert_eq!(
        harness.emulator.state().lead_count(),
        USERS,
        "each Lead once"
    );
    assert_eq!(
        harness.emulator.stats().endpoint(CREATES),
        2,
        "the call, then a call for the locked record"
    );
    let metrics = harness.worker.metrics().encode();
    assert!(
        metrics.contains(&format!(
            "leadwire_salesforce_collection_records_total{{connection=\"emulator\"}} {}",
            USERS + 1
        )),
        "only the locked record went out again: {metrics}"
    );
    let activity = harness.activity().await;
    for user in &users {
        let entries = entries_of(&activity, *user);
        let outcomes: Vec<(u32, ActivityType, Option<u16>)> = entries
            .iter()
            .map(|entry| (entry.attempt, entry.activity_type, entry.status))
            .collect();
        if *user == locked {
            assert_eq!(
                outcomes,
                [
                    (1, ActivityType::WebhookError, Some(503)),
                    (2, ActivityType::Success, Some(201))
                ]
            );
            assert!(
                entries[0].message.contains("UNABLE_TO_LOCK_ROW"),
                "{}",
                entries[0].message
            );
        } else {
            assert_eq!(outcomes, [(1, ActivityType::Success, Some(201))]);
        }
        assert!(lead_id_of(&harness, *user).await.is_some());
    }
    harness.finish().await;
}

async fn a_whole_call_503_is_retried_for_every_record(backend: Backend) {
    const USERS: usize = 5;
    let Some(harness) = start_on(backend, BATCHED, one_minute_retries()).await else {
        return;
    };
    // A first send fetches the token, so the fault meets the Collections call.
    harness.enqueue_sends(1, "Create Lead", false).await;
    harness.deliver_everything().await;
    let users = harness.enqueue_sends(USERS, "Create Lead", false).await;
    harness
        .emulator
        .state()
        .fail_next(1, 503)
        .expect("a valid fault");
    harness.deliver_everything().await;

    assert_eq!(harness.emulator.state().lead_count(), 1 + USERS);
    assert_eq!(
        harness.emulator.stats().endpoint(CREATES),
        3,
        "the first send's call, the failed call, then its retry"
    );
    let activity = harness.activity().await;
    for user in &users {
        let entries = entries_of(&activity, *user);
        let outcomes: Vec<(u32, ActivityType, Option<u16>)> = entries
            .iter()
            .map(|entry| (entry.attempt, entry.activity_type, entry.status))
            .collect();
        assert_eq!(
            outcomes,
            [
                (1, ActivityType::WebhookError, Some(503)),
                (2, ActivityType::Success, Some(201))
            ]
        );
    }
    harness.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_call_503_is_retried_for_every_record_sqlite() {
    a_whole_call_503_is_retried_for_every_record(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_call_503_is_retried_for_every_record_postgres() {
    a_whole_call_503_is_retried_for_every_record(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_the_call_and_the_record_duplicates_no_upserted_lead() {
    const USERS: usize = 300;
    for (template, endpoint, expected_leads) in [
        ("Upsert Lead", UPSERTS, USERS),
        // Batched creates are repaired by sending them again, as single creates are.
        ("Create Lead", CREATES, 2 * USERS),
    ] {
        let harness = start(BATCHED, DeliverySettings::default()).await;
        harness.enqueue_sends(USERS, template, false).await;
        let now = harness.clock.now_for_tests();
        let claimed = harness
            .store
            .claim(Queue::Sends, now, Duration::from_secs(300), USERS as u32)
            .await
            .expect("claim");
        assert_eq!(claimed.len(), USERS);
        let profiles = harness.worker.batch_profiles(&claimed).await;
        // Sent, then the process "dies" before recording anything.
        let sends = claimed
            .into_iter()
            .map(|job| harness.worker.process(job, &profiles));
        drop(futures::future::join_all(sends).await);
        assert_eq!(harness.emulator.state().lead_count(), USERS);
        assert!(harness.emulator.stats().endpoint(endpoint) >= 2);
        assert_eq!(
            harness.worker.drain().await.expect("drain").delivered,
            0,
            "leases still held"
        );
        harness.clock.advance(TimeDelta::minutes(6));
        harness.deliver_everything().await;
        assert_eq!(
            harness.emulator.state().lead_count(),
            expected_leads,
            "{template}"
        );
        assert_eq!(harness.successes().await, USERS, "{template}");
        assert_eq!(
            harness
                .store
                .pending_jobs(Queue::Sends)
                .await
                .expect("pending"),
            0
        );
        harness.finish().await;
    }
}

/// A batched create whose raw body adds fields only some profiles carry: `legacy_code` names
/// a field Lead lacks, `employees` a number that may not be one.
const CHECKED: &str = r#"
[[webhook_templates]]
name = "Create Lead"
connection = "emulator"
url = "{{connection.instance_url}}/services/data/v60.0/sobjects/Lead/"
method = "POST"
capture = [{ field = "id", save_to = "custom_attribute.salesforce_lead_id" }]
batch = { max_records = 200, max_wait = "1s" }
headers = { Authorization = "Bearer {{connections.emulator.access_token}}", Content-Type = "application/json" }
body.raw = '''{"LastName": "{{${last_name}}}", "Company": "{{custom_attribute.${company}}}"{% if custom_attribute.${legacy_code} %}, "Legacy_Code__c": "{{custom_attribute.${legacy_code}}}"{% endif %}{% if custom_attribute.${employees} %}, "NumberOfEmployees": "{{custom_attribute.${employees}}}"{% endif %}}'''
"#;

async fn set_custom(harness: &Harness, user: Uuid, attribute: &str, value: Value) {
    let mut profile = harness
        .store
        .find_profile(&UserIdentifier::BrazeId(user))
        .await
        .expect("read")
        .expect("exists");
    profile.custom.insert(attribute.into(), value);
    let mut tx = harness.store.begin().await.expect("begin");
    tx.save_profiles(&[ProfileWrite {
        profile: &profile,
        changes: &ProfileChanges::default(),
    }])
    .await
    .expect("save");
    tx.commit().await.expect("commit");
}

/// The number of a metric's series `name` for the emulator connection.
fn metric(metrics: &str, name: &str) -> u64 {
    let prefix = format!("{name}{{connection=\"emulator\"}} ");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {metrics}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_refused_whole_call_are_isolated_and_the_others_delivered() {
    const USERS: usize = 50;
    let harness = start(CHECKED, one_minute_retries()).await;
    let users = harness.enqueue_sends(USERS, "Create Lead", false).await;
    // Each alone makes Salesforce refuse the whole call that carries it.
    let (unknown_field, wrong_type) = (users[7], users[31]);
    set_custom(&harness, unknown_field, "legacy_code", json!("L-7")).await;
    set_custom(&harness, wrong_type, "employees", json!("many")).await;
    // A good record with the optional field the emulator knows.
    set_custom(&harness, users[8], "employees", json!("12")).await;
    harness.deliver_everything().await;

    let bad = [unknown_field, wrong_type];
    assert_eq!(
        harness.emulator.state().lead_count(),
        USERS - bad.len(),
        "every other record written, each once"
    );
    let calls = harness.emulator.stats().endpoint(CREATES) as usize;
    // One group (two if one closed on max_wait first); the record with the unknown field is
    // refused at once and the others go out again together (one extra call), and the one
    // with the wrong type is isolated in at most 2·⌈log2 50⌉ = 12 extra calls.
    assert!(calls <= 2 + 1 + 2 * 6, "{calls} calls");
    assert!(
        calls > 2,
        "the refused call went out again in parts: {calls}"
    );
    let metrics = harness.worker.metrics().encode();
    assert_eq!(
        metric(&metrics, "leadwire_salesforce_collection_calls_total"),
        calls as u64,
        "every call is counted"
    );
    assert!(metric(&metrics, "leadwire_salesforce_collection_records_total") > USERS as u64);

    let failed = harness
        .store
        .failed_jobs(Queue::Sends)
        .await
        .expect("failed");
    assert_eq!(failed.len(), bad.len());
    let activity = harness.activity().await;
    let leads = leads(&harness, "LastName, NumberOfEmployees").await;
    let mut lead_ids = std::collections::HashSet::new();
    for (n, user) in users.iter().enumerate() {
        let entries = entries_of(&activity, *user);
        let [entry] = entries.as_slice() else {
            panic!("user {n}: {entries:?}");
        };
        let request = entry.request.as_ref().expect("the request is kept");
        let sent: Value =
            serde_json::from_str(request.body.as_deref().expect("its record")).expect("JSON");
        assert_eq!(
            sent["LastName"],
            json!(format!("Lovelace {n}")),
            "its own record"
        );
        if bad.contains(user) {
            assert_eq!(entry.activity_type, ActivityType::WebhookError, "user {n}");
            assert_eq!(entry.status, Some(400));
            let expected = if *user == unknown_field {
                "No such column 'Legacy_Code__c' on sobject of type Lead"
            } else {
                "Cannot deserialize instance of int from VALUE_STRING value many"
            };
            assert!(
                entry.message.contains(expected),
                "user {n}: {}",
                entry.message
            );
            assert!(lead_id_of(&harness, *user).await.is_none());
            continue;
        }
        assert_eq!(
            entry.activity_type,
            ActivityType::Success,
            "user {n}: {entry:?}"
        );
        assert_eq!(entry.status, Some(201));
        let lead_id = lead_id_of(&harness, *user)
            .await
            .expect("the Lead id is captured");
        assert!(lead_ids.insert(lead_id.clone()), "a Lead of its own");
        assert_eq!(leads[&lead_id]["LastName"], json!(format!("Lovelace {n}")));
    }
    let with_employees = leads
        .values()
        .filter(|lead| lead["NumberOfEmployees"] == json!(12))
        .count();
    assert_eq!(with_employees, 1);
    harness.finish().await;
}
