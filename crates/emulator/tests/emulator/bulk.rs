//! Bulk API 2.0 ingest over real HTTP: the job lifecycle at 1, 5,000 and 25,000 rows with
//! exact result CSVs, row and job failures, aborts, a second upload, the daily batch and
//! upload-size limits, upsert by external id, and the seeded row-failure fault.

use std::collections::BTreeSet;
use std::time::Duration;

use http::{Method, StatusCode};
use leadwire_salesforce::fields::CustomFieldConfig;
use leadwire_salesforce::ids::RecordId;
use leadwire_salesforce_emulator::{ApiFamily, EmulatorConfig, FaultSettings};
use serde_json::{Value, json};

use crate::harness::{Emulator, Reply, config, read, start, start_with};

fn with_external_id() -> EmulatorConfig {
    let mut external = CustomFieldConfig::text("Ext_Id__c");
    external.external_id = true;
    EmulatorConfig {
        custom_fields: vec![external],
        ..config()
    }
}

async fn create_job(emulator: &Emulator, spec: Value) -> String {
    let reply = emulator
        .call(Method::POST, "/jobs/ingest", Some(&spec.to_string()))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["state"], "Open");
    reply.json["id"].as_str().expect("job id").to_owned()
}

async fn upload(emulator: &Emulator, id: &str, csv: impl Into<reqwest::Body>) -> Reply {
    let request = emulator
        .http
        .put(emulator.api(&format!("/jobs/ingest/{id}/batches")))
        .bearer_auth(&emulator.token)
        .header("content-type", "text/csv; charset=UTF-8")
        .body(csv);
    read(request.send().await.expect("upload sent")).await
}

async fn set_state(emulator: &Emulator, id: &str, state: &str) -> Reply {
    let body = json!({ "state": state }).to_string();
    emulator
        .call(Method::PATCH, &format!("/jobs/ingest/{id}"), Some(&body))
        .await
}

async fn job_info(emulator: &Emulator, id: &str) -> Value {
    let reply = emulator
        .call(Method::GET, &format!("/jobs/ingest/{id}"), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json
}

/// Polls like a client until the job stops; the first poll after closing never shows a
/// finished job.
async fn wait_done(emulator: &Emulator, id: &str) -> Value {
    let first = job_info(emulator, id).await;
    let state = first["state"].as_str().unwrap_or_default().to_owned();
    assert!(
        matches!(state.as_str(), "UploadComplete" | "InProgress"),
        "first poll after close: {first}"
    );
    for _ in 0..6000 {
        let info = job_info(emulator, id).await;
        if matches!(
            info["state"].as_str(),
            Some("JobComplete" | "Failed" | "Aborted")
        ) {
            return info;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("job {id} did not finish within a minute");
}

async fn results(emulator: &Emulator, id: &str, kind: &str) -> String {
    let reply = emulator
        .call(Method::GET, &format!("/jobs/ingest/{id}/{kind}/"), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{kind}: {}", reply.text);
    assert_eq!(reply.header("content-type"), "text/csv");
    reply.text
}

/// Runs a whole job and returns its final info.
async fn run_job(emulator: &Emulator, spec: Value, csv: String) -> (String, Value) {
    let id = create_job(emulator, spec).await;
    let put = upload(emulator, &id, csv).await;
    assert_eq!(put.status, StatusCode::CREATED, "{}", put.text);
    assert_eq!(put.text, "");
    let closed = set_state(emulator, &id, "UploadComplete").await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.text);
    assert_eq!(closed.json["state"], "UploadComplete");
    let info = wait_done(emulator, &id).await;
    (id, info)
}

/// The header line and the sorted data lines of a result CSV.
fn lines(csv: &str) -> (String, Vec<String>) {
    let mut all = csv.lines().map(str::to_owned);
    let header = all.next().unwrap_or_default();
    let mut rows: Vec<String> = all.collect();
    rows.sort();
    (header, rows)
}

fn insert_spec() -> Value {
    json!({"object": "Lead", "operation": "insert", "contentType": "CSV", "lineEnding": "LF", "columnDelimiter": "COMMA"})
}

fn insert_csv(rows: usize) -> String {
    let mut csv = String::from("LastName,Company,Email\n");
    for n in 0..rows {
        csv.push_str(&format!("Last{n},\"Co, {n}\",u{n}@bulk.test\n"));
    }
    csv
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_runs_through_its_lifecycle_at_1_5000_and_25000_rows() {
    let emulator = start().await;
    let mut batches = 0;
    let mut leads = 0;
    for rows in [1usize, 5_000, 25_000] {
        let (id, info) = run_job(&emulator, insert_spec(), insert_csv(rows)).await;
        assert!(id.starts_with("750") && id.len() == 18, "{id}");
        assert_eq!(info["state"], "JobComplete", "{info}");
        assert_eq!(info["numberRecordsProcessed"], rows);
        assert_eq!(info["numberRecordsFailed"], 0);
        assert_eq!(info["jobType"], "V2Ingest");
        assert_eq!(info["apiVersion"], 60.0);
        assert!(info.get("contentUrl").is_none() && info.get("errorMessage").is_none());

        let (header, success) = lines(&results(&emulator, &id, "successfulResults").await);
        assert_eq!(header, "\"sf__Id\",\"sf__Created\",LastName,Company,Email");
        let mut ids = BTreeSet::new();
        let mut rest: Vec<String> = success
            .iter()
            .map(|line| {
                let (lead_id, tail) = line.split_at(20);
                ids.insert(lead_id.trim_matches('"').to_owned());
                tail.to_owned()
            })
            .collect();
        rest.sort();
        let mut expected: Vec<String> = (0..rows)
            .map(|n| format!(",\"true\",\"Last{n}\",\"Co, {n}\",\"u{n}@bulk.test\""))
            .collect();
        expected.sort();
        assert_eq!(rest, expected);
        assert_eq!(ids.len(), rows, "every row got its own lead");
        assert!(ids.iter().all(|lead| lead.starts_with("00Q")));
        assert_eq!(
            results(&emulator, &id, "failedResults").await,
            "\"sf__Id\",\"sf__Error\",LastName,Company,Email\n"
        );
        assert_eq!(
            results(&emulator, &id, "unprocessedrecords").await,
            "LastName,Company,Email\n"
        );
        // A row of the results is the stored lead.
        let sample = ids.iter().next().expect("an id");
        let lead = emulator
            .call(Method::GET, &format!("/sobjects/Lead/{sample}"), None)
            .await;
        assert!(
            lead.json["LastName"]
                .as_str()
                .is_some_and(|n| n.starts_with("Last"))
        );

        batches += rows.div_ceil(10_000);
        leads += rows;
        let stats = emulator.handle.stats();
        assert_eq!(stats.bulk.batches, batches as u64);
        assert_eq!(stats.bulk.records_processed, leads as u64);
        let family = stats.api(ApiFamily::BulkIngest);
        assert_eq!(
            family.created, leads as u64,
            "rows count in the Bulk family"
        );
        assert_eq!(family.record_errors, 0);
        assert_eq!(emulator.handle.state().lead_count(), leads);
    }
    let stats = emulator.handle.stats();
    assert_eq!(stats.bulk.jobs_created, 3);
    assert_eq!(stats.bulk.jobs_completed, 3);
    assert_eq!(stats.endpoint("POST /jobs/ingest"), 3);
    assert_eq!(stats.endpoint("PUT /jobs/ingest/{id}/batches"), 3);
    assert_eq!(stats.endpoint("PATCH /jobs/ingest/{id}"), 3);
    let limits = emulator.call(Method::GET, "/limits", None).await;
    assert_eq!(
        limits.json["DailyBulkApiBatches"],
        json!({"Max": 15000, "Remaining": 15000 - batches})
    );
    // Every Bulk call counted toward the daily API usage, as the header reports.
    let stats = emulator.handle.stats();
    let used = stats.api_usage;
    assert_eq!(
        stats.api(ApiFamily::BulkIngest).api_calls,
        stats.endpoint("POST /jobs/ingest")
            + stats.endpoint("PUT /jobs/ingest/{id}/batches")
            + stats.endpoint("PATCH /jobs/ingest/{id}")
            + stats.endpoint("GET /jobs/ingest/{id}")
            + stats.endpoint("GET /jobs/ingest/{id}/successfulResults")
            + stats.endpoint("GET /jobs/ingest/{id}/failedResults")
            + stats.endpoint("GET /jobs/ingest/{id}/unprocessedrecords"),
        "each Bulk request is one API call"
    );
    assert_eq!(
        limits.header("sforce-limit-info"),
        format!("api-usage={used}/15000")
    );
    let listed = emulator.call(Method::GET, "/jobs/ingest", None).await;
    assert_eq!(listed.json["done"], true);
    assert_eq!(listed.json["records"].as_array().map(Vec::len), Some(3));
    assert_eq!(listed.json["records"][2]["state"], "JobComplete");
}

#[tokio::test]
async fn rows_fail_one_by_one_with_the_rest_api_errors() {
    let emulator = start().await;
    let long = "x".repeat(81);
    let csv = format!(
        "LastName,Company,Email\nGood,Co,good@bulk.test\nNoCompany,,a@bulk.test\nBadMail,Co,not-an-email\n{long},Co,\n"
    );
    let (id, info) = run_job(&emulator, insert_spec(), csv).await;
    assert_eq!(
        info["state"], "JobComplete",
        "rows failing do not fail the job"
    );
    assert_eq!(info["numberRecordsProcessed"], 4);
    assert_eq!(info["numberRecordsFailed"], 3);
    let (header, failed) = lines(&results(&emulator, &id, "failedResults").await);
    assert_eq!(header, "\"sf__Id\",\"sf__Error\",LastName,Company,Email");
    let mut expected = vec![
        "\"\",\"REQUIRED_FIELD_MISSING:Required fields are missing: [Company]:Company --\",\"NoCompany\",\"\",\"a@bulk.test\"".to_owned(),
        "\"\",\"INVALID_EMAIL_ADDRESS:Email: invalid email address: not-an-email:Email --\",\"BadMail\",\"Co\",\"not-an-email\"".to_owned(),
        format!("\"\",\"STRING_TOO_LONG:Last Name: data value too large: {long} (max length=80):LastName --\",\"{long}\",\"Co\",\"\""),
    ];
    expected.sort();
    assert_eq!(failed, expected);
    let (_, success) = lines(&results(&emulator, &id, "successfulResults").await);
    assert_eq!(success.len(), 1);
    assert!(success[0].ends_with(",\"true\",\"Good\",\"Co\",\"good@bulk.test\""));
    assert_eq!(emulator.handle.state().lead_count(), 1);
}

#[tokio::test]
async fn updates_set_null_with_na_and_leave_empty_values_alone() {
    let emulator = start().await;
    let lead = emulator
        .create(r#"{"LastName":"Keep","Company":"C","Email":"old@bulk.test","Rating":"Hot"}"#)
        .await;
    // A well-formed Lead id (15 characters) that no lead has; results give its 18 form.
    let unknown = RecordId::parse("00QKa0000099999")
        .expect("an id")
        .to_string();
    let csv =
        format!("Id,Email,Rating,Title\n{lead},#N/A,,Boss\n00QKa0000099999,#N/A,,\nnot-an-id,,,\n");
    let spec = json!({"object": "Lead", "operation": "update"});
    let (id, info) = run_job(&emulator, spec, csv).await;
    assert_eq!(info["numberRecordsFailed"], 2, "{info}");
    let stored = emulator
        .call(Method::GET, &format!("/sobjects/Lead/{lead}"), None)
        .await;
    assert_eq!(stored.json["Email"], Value::Null, "#N/A clears");
    assert_eq!(
        stored.json["Rating"], "Hot",
        "an empty value changes nothing"
    );
    assert_eq!(stored.json["Title"], "Boss");
    let (_, success) = lines(&results(&emulator, &id, "successfulResults").await);
    assert_eq!(
        success,
        vec![format!(
            "\"{lead}\",\"false\",\"{lead}\",\"#N/A\",\"\",\"Boss\""
        )]
    );
    let (_, failed) = lines(&results(&emulator, &id, "failedResults").await);
    assert_eq!(
        failed,
        vec![
            "\"\",\"MALFORMED_ID:malformed id not-an-id:Id --\",\"not-an-id\",\"\",\"\",\"\""
                .to_owned(),
            format!(
                "\"{unknown}\",\"NOT_FOUND:The requested resource does not exist:--\",\"00QKa0000099999\",\"#N/A\",\"\",\"\""
            ),
        ]
    );
}

#[tokio::test]
async fn bad_headers_and_line_endings_fail_the_whole_job() {
    let emulator = start().await;
    let unknown = "LastName,Company,Nope__c\nA,B,C\n";
    let (id, info) = run_job(&emulator, insert_spec(), unknown.to_owned()).await;
    assert_eq!(info["state"], "Failed");
    assert_eq!(
        info["errorMessage"],
        "InvalidBatch : Field name not found : Nope__c"
    );
    assert_eq!(info["numberRecordsProcessed"], 0);
    assert_eq!(results(&emulator, &id, "unprocessedrecords").await, unknown);
    assert_eq!(
        results(&emulator, &id, "successfulResults").await,
        "\"sf__Id\",\"sf__Created\",LastName,Company,Nope__c\n"
    );

    let crlf = "LastName,Company\r\nA,B\r\n";
    let (_, info) = run_job(&emulator, insert_spec(), crlf.to_owned()).await;
    assert_eq!(
        info["errorMessage"],
        "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF"
    );
    let crlf_spec = json!({"object": "Lead", "operation": "insert", "lineEnding": "CRLF", "columnDelimiter": "SEMICOLON"});
    let (_, info) = run_job(
        &emulator,
        crlf_spec,
        "LastName;Company\r\nA;\"B;C\"\r\n".to_owned(),
    )
    .await;
    assert_eq!(info["state"], "JobComplete", "{info}");
    assert_eq!(info["numberRecordsProcessed"], 1);

    let (id, info) = run_job(&emulator, insert_spec(), "LastName,Company\n".to_owned()).await;
    assert_eq!(
        info["state"], "JobComplete",
        "a header alone is an empty job"
    );
    assert_eq!(info["numberRecordsProcessed"], 0);
    assert_eq!(
        results(&emulator, &id, "successfulResults").await,
        "\"sf__Id\",\"sf__Created\",LastName,Company\n"
    );
    assert_eq!(emulator.handle.state().lead_count(), 1);
    assert_eq!(emulator.handle.stats().bulk.jobs_failed, 2);
}

#[tokio::test]
async fn job_specs_are_checked_when_the_job_is_created() {
    let emulator = start_with(with_external_id()).await;
    let cases = [
        (
            json!({"object": "Account", "operation": "insert"}),
            "INVALIDENTITY",
            "Entity 'Account' is not supported by the Bulk API.",
        ),
        (
            json!({"object": "Lead", "operation": "INSERT"}),
            "INVALIDJOB",
            "Invalid operation: INSERT. Use insert, update, upsert or delete (spelled exactly so)",
        ),
        (
            json!({"object": "Lead", "operation": "upsert"}),
            "INVALIDJOB",
            "The property externalIdFieldName is required for an upsert job, e.g. \"externalIdFieldName\": \"Id\"",
        ),
        (
            json!({"object": "Lead", "operation": "upsert", "externalIdFieldName": "Email"}),
            "INVALIDJOB",
            "Field name provided, Email does not match an External ID, Salesforce Id, or indexed field for Lead",
        ),
        (
            json!({"object": "Lead", "operation": "insert", "lineEnding": "CR"}),
            "INVALIDJOB",
            "Invalid lineEnding: CR. Use LF or CRLF",
        ),
    ];
    for (spec, code, message) in cases {
        let reply = emulator
            .call(Method::POST, "/jobs/ingest/", Some(&spec.to_string()))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{spec}");
        assert_eq!(
            reply.json,
            json!([{"errorCode": code, "message": message}]),
            "{spec}"
        );
    }
    let missing = emulator
        .call(Method::GET, "/jobs/ingest/7500000000000000AAA", None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing.json,
        json!([{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
    );
    let created = emulator
        .call(
            Method::POST,
            "/jobs/ingest",
            Some(&insert_spec().to_string()),
        )
        .await;
    let body = created.json;
    let id = body["id"].as_str().unwrap_or_default();
    assert_eq!(
        body["contentUrl"],
        format!("services/data/v60.0/jobs/ingest/{id}/batches")
    );
    assert_eq!(body["createdById"], "005Ka00000LEADWIRE");
    assert!(
        body["createdDate"]
            .as_str()
            .is_some_and(|d| d.ends_with(".000+0000"))
    );
}

#[tokio::test]
async fn aborted_jobs_keep_their_rows_unprocessed() {
    let emulator = start().await;
    let id = create_job(&emulator, insert_spec()).await;
    let csv = insert_csv(3);
    assert_eq!(
        upload(&emulator, &id, csv.clone()).await.status,
        StatusCode::CREATED
    );
    let early = emulator
        .call(
            Method::GET,
            &format!("/jobs/ingest/{id}/successfulResults"),
            None,
        )
        .await;
    assert_eq!(early.status, StatusCode::BAD_REQUEST);
    assert_eq!(early.json[0]["errorCode"], "INVALIDJOBSTATE");
    let deleting_open = emulator
        .call(Method::DELETE, &format!("/jobs/ingest/{id}"), None)
        .await;
    assert_eq!(deleting_open.status, StatusCode::BAD_REQUEST);

    let aborted = set_state(&emulator, &id, "Aborted").await;
    assert_eq!(aborted.status, StatusCode::OK);
    assert_eq!(aborted.json["state"], "Aborted");
    assert_eq!(job_info(&emulator, &id).await["state"], "Aborted");
    assert_eq!(results(&emulator, &id, "unprocessedrecords").await, csv);
    assert_eq!(
        results(&emulator, &id, "successfulResults").await,
        "\"sf__Id\",\"sf__Created\",LastName,Company,Email\n"
    );
    let closing = set_state(&emulator, &id, "UploadComplete").await;
    assert_eq!(
        closing.json,
        json!([{"errorCode": "INVALIDJOBSTATE", "message": "Closing already Aborted Job not allowed"}])
    );
    assert_eq!(emulator.handle.state().lead_count(), 0);

    let (done, _) = run_job(&emulator, insert_spec(), insert_csv(1)).await;
    let again = set_state(&emulator, &done, "Aborted").await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        again.json,
        json!([{"errorCode": "INVALIDJOBSTATE", "message": "Aborting already Completed Job not allowed"}])
    );

    let deleted = emulator
        .call(Method::DELETE, &format!("/jobs/ingest/{id}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = emulator
        .call(Method::GET, &format!("/jobs/ingest/{id}"), None)
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(
        emulator.handle.stats().bulk.jobs_aborted,
        0,
        "aborted before it ran"
    );
}

#[tokio::test]
async fn a_second_upload_makes_closing_fail() {
    let emulator = start().await;
    let id = create_job(&emulator, insert_spec()).await;
    assert_eq!(
        upload(&emulator, &id, insert_csv(1)).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        upload(&emulator, &id, insert_csv(2)).await.status,
        StatusCode::CREATED
    );
    let closing = set_state(&emulator, &id, "UploadComplete").await;
    assert_eq!(closing.status, StatusCode::BAD_REQUEST);
    let short = &id[..15];
    assert_eq!(
        closing.json,
        json!([{"errorCode": "INVALIDJOB", "message": format!("Found multipe contents for job: <{short}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.")}])
    );
    assert_eq!(job_info(&emulator, &id).await["state"], "Open");
    assert_eq!(
        set_state(&emulator, &id, "Aborted").await.status,
        StatusCode::OK
    );
    let late = upload(&emulator, &id, insert_csv(1)).await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert_eq!(late.json[0]["errorCode"], "INVALIDJOBSTATE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_batch_allocation_stops_a_job_and_refuses_new_ones() {
    let emulator = start_with(EmulatorConfig {
        daily_bulk_batch_limit: 2,
        ..config()
    })
    .await;
    let (id, info) = run_job(&emulator, insert_spec(), insert_csv(25_000)).await;
    assert_eq!(info["state"], "Failed");
    assert_eq!(info["numberRecordsProcessed"], 20_000);
    assert_eq!(
        info["errorMessage"],
        "ExceededQuota : The job exceeded the daily allocation of Bulk API batches; the remaining records were not processed"
    );
    let (header, unprocessed) = lines(&results(&emulator, &id, "unprocessedrecords").await);
    assert_eq!(header, "LastName,Company,Email");
    assert_eq!(unprocessed.len(), 5_000);
    assert_eq!(emulator.handle.state().lead_count(), 20_000);
    let refused = emulator
        .call(
            Method::POST,
            "/jobs/ingest",
            Some(&insert_spec().to_string()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.json[0]["errorCode"], "EXCEEDEDQUOTA");
    let limits = emulator.call(Method::GET, "/limits", None).await;
    assert_eq!(
        limits.json["DailyBulkApiBatches"],
        json!({"Max": 2, "Remaining": 0})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_over_150_mb_encoded_are_refused() {
    let emulator = start().await;
    let id = create_job(&emulator, insert_spec()).await;
    // 150 MB once base64-encoded is 117,964,800 bytes of CSV; one more is too many.
    let mut data = insert_csv(1).into_bytes();
    data.resize(150 * 1024 * 1024 / 4 * 3 + 1, b'a');
    let reply = upload(&emulator, &id, data).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.text
    );
    assert_eq!(reply.json[0]["errorCode"], "CLIENTINPUTERROR");
    assert_eq!(
        job_info(&emulator, &id).await.get("numberRecordsProcessed"),
        None
    );
    assert_eq!(emulator.handle.stats().bulk.uploads, 0);
}

#[tokio::test]
async fn upsert_by_external_id_creates_and_updates() {
    let emulator = start_with(with_external_id()).await;
    let existing = emulator
        .create(r#"{"LastName":"Old","Company":"C","Ext_Id__c":"u-1"}"#)
        .await;
    let spec = json!({"object": "Lead", "operation": "upsert", "externalIdFieldName": "Ext_Id__c"});
    let csv = "Ext_Id__c,LastName,Company\nu-1,New,C\nu-2,Fresh,D\n,Blank,E\n";
    let (id, info) = run_job(&emulator, spec.clone(), csv.to_owned()).await;
    assert_eq!(info["externalIdFieldName"], "Ext_Id__c");
    assert_eq!(info["numberRecordsProcessed"], 3);
    assert_eq!(info["numberRecordsFailed"], 1);
    let (_, success) = lines(&results(&emulator, &id, "successfulResults").await);
    assert_eq!(success.len(), 2);
    assert!(success.contains(&format!("\"{existing}\",\"false\",\"u-1\",\"New\",\"C\"")));
    let created = success
        .iter()
        .find(|line| line.ends_with(",\"true\",\"u-2\",\"Fresh\",\"D\""))
        .expect("u-2 was created");
    let (_, failed) = lines(&results(&emulator, &id, "failedResults").await);
    assert_eq!(
        failed,
        vec![
            "\"\",\"MISSING_ARGUMENT:Ext_Id__c not specified:Ext_Id__c --\",\"\",\"Blank\",\"E\""
                .to_owned()
        ]
    );
    let old = emulator
        .call(Method::GET, &format!("/sobjects/Lead/{existing}"), None)
        .await;
    assert_eq!(old.json["LastName"], "New");
    let new_id = &created[1..19];
    let new = emulator
        .call(Method::GET, "/sobjects/Lead/Ext_Id__c/u-2", None)
        .await;
    assert_eq!(new.json["Id"], new_id);

    // Running the same rows again only updates.
    let (id, _) = run_job(
        &emulator,
        spec.clone(),
        "Ext_Id__c,LastName,Company\nu-1,New,C\nu-2,Fresh,D\n".to_owned(),
    )
    .await;
    let (_, again) = lines(&results(&emulator, &id, "successfulResults").await);
    assert!(
        again.iter().all(|line| line.contains(",\"false\",")),
        "{again:?}"
    );
    assert_eq!(emulator.handle.state().lead_count(), 2);

    let (_, info) = run_job(&emulator, spec, "LastName,Company\nA,B\n".to_owned()).await;
    assert_eq!(info["state"], "Failed");
    assert_eq!(
        info["errorMessage"],
        "InvalidBatch : The external id field Ext_Id__c is missing from the header"
    );
}

/// Every row upserted with the row-failure fault on, then the failed rows retried in a new
/// job: the same seed fails the same rows, and each lead arrives exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_row_failures_repeat_and_a_retry_lands_each_lead_once() {
    let mut emulator = start_with(with_external_id()).await;
    let faults = FaultSettings {
        bulk_row_failure_rate: 0.2,
        seed: 11,
        ..FaultSettings::default()
    };
    let spec = json!({"object": "Lead", "operation": "upsert", "externalIdFieldName": "Ext_Id__c"});
    let header = "Ext_Id__c,LastName,Company\n";
    let mut csv = header.to_owned();
    for n in 0..2_000 {
        csv.push_str(&format!("u-{n},L{n},C\n"));
    }
    let mut runs = Vec::new();
    for _ in 0..2 {
        emulator.handle.state().reset();
        emulator.token = emulator.fetch_token().await;
        emulator
            .handle
            .state()
            .set_faults(faults.clone())
            .expect("valid faults");
        let (id, info) = run_job(&emulator, spec.clone(), csv.clone()).await;
        let failed = info["numberRecordsFailed"].as_u64().unwrap_or_default();
        assert!(
            (200..600).contains(&failed),
            "{failed} of 2000 at a 0.2 share"
        );
        let (_, rows) = lines(&results(&emulator, &id, "failedResults").await);
        assert_eq!(rows.len() as u64, failed);
        runs.push(rows);
    }
    assert_eq!(runs[0], runs[1], "the same seed fails the same rows");
    let prefix = "\"\",\"UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--\",";
    let mut retry = header.to_owned();
    for row in &runs[1] {
        let original = row.strip_prefix(prefix).expect("a locked-row failure");
        retry.push_str(&original.replace('"', ""));
        retry.push('\n');
    }
    emulator
        .handle
        .state()
        .set_faults(FaultSettings::default())
        .expect("valid faults");
    let (_, info) = run_job(&emulator, spec, retry).await;
    assert_eq!(info["numberRecordsFailed"], 0);
    assert_eq!(
        emulator.handle.state().lead_count(),
        2_000,
        "each lead exactly once"
    );
    let count = emulator
        .call(
            Method::GET,
            "/query?q=SELECT+COUNT()+FROM+Lead+WHERE+Ext_Id__c+=+'u-7'",
            None,
        )
        .await;
    assert_eq!(count.json["totalSize"], 1);
}
