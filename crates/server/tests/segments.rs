//! `GET /segments/list`, `/segments/details` and `/segments/data_series` over a real
//! socket: paging and order, the filters in words, sizes measured by the engine and stored.

mod common;

use chrono::{NaiveDate, TimeDelta, Utc};
use common::{FULL_KEY, TRACK_KEY, config, fixture, listen};
use leadwire_core::config::{Config, EngineChecker, check};
use leadwire_core::permission::Permission;
use leadwire_server::ApiKeyConfig;
use leadwire_store::SegmentSize;
use reqwest::StatusCode;
use serde_json::{Value, json};

const SEGMENT_KEY: &str = "lw-segments-key-000000000000004";
const EXPORT_KEY: &str = "lw-exports-key-0000000000000005";

const SEGMENTS: &str = r#"
[[segments]]
id = "seg_leads"
name = "Leads"
description = "Everyone still a lead"
tags = ["sales"]
filters = [{ attribute = "lead_stage", op = "equals", value = "Lead" }]

[[segments]]
id = "seg_mql"
name = "Marketing qualified"
filters = [
    { segment = "Leads" },
    { attribute = "lead_score", op = "greater_than", value = 50 },
]
"#;

fn segments_config(extra: usize) -> Config {
    let mut source = SEGMENTS.to_owned();
    for index in 0..extra {
        source.push_str(&format!(
            "\n[[segments]]\nid = \"extra_{index}\"\nname = \"Extra {index}\"\n"
        ));
    }
    check(&source, &EngineChecker::default())
        .into_valid_config()
        .expect("valid segments")
}

fn server_config() -> leadwire_server::ServerConfig {
    let mut config = config();
    config.api_keys.push(ApiKeyConfig {
        name: "segments".into(),
        key: SEGMENT_KEY.into(),
        permissions: vec![
            Permission::SegmentsList,
            Permission::SegmentsDetails,
            Permission::SegmentsDataSeries,
        ],
    });
    config
}

async fn get(base: &str, path: &str, key: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(key)
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.expect("JSON"))
}

#[tokio::test]
async fn segments_are_listed_a_hundred_a_page_in_either_order() {
    let fixture = fixture(server_config()).await;
    let config = segments_config(150);
    let state = fixture.state.clone().with_domain(domain(config));
    let base = format!("http://{}", listen(state).await);

    let (status, body) = get(&base, "/segments/list", SEGMENT_KEY).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "success");
    let first = body["segments"].as_array().expect("segments");
    assert_eq!(first.len(), 100);
    assert_eq!(
        first[0],
        json!({"id": "seg_leads", "name": "Leads", "analytics_tracking_enabled": true, "tags": ["sales"]})
    );
    let (_, body) = get(&base, "/segments/list?page=1", SEGMENT_KEY).await;
    assert_eq!(body["segments"].as_array().map(Vec::len), Some(52));
    let (_, body) = get(&base, "/segments/list?page=2", SEGMENT_KEY).await;
    assert_eq!(body["segments"], json!([]));
    let (_, body) = get(&base, "/segments/list?sort_direction=desc", SEGMENT_KEY).await;
    assert_eq!(body["segments"][0]["id"], "extra_149");

    let (status, body) = get(&base, "/segments/list?sort_direction=sideways", SEGMENT_KEY).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["errors"][0].to_string().contains("sort_direction"));
    let (status, _) = get(&base, "/segments/list", TRACK_KEY).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    fixture.finish().await;
}

#[tokio::test]
async fn details_describe_the_filters_and_carry_the_description() {
    let fixture = fixture(server_config()).await;
    let state = fixture
        .state
        .clone()
        .with_domain(domain(segments_config(0)));
    let registered = chrono::DateTime::parse_from_rfc3339("2026-12-01T09:30:00Z")
        .expect("a time")
        .to_utc();
    leadwire_server::register_config(state.store.as_ref(), &segments_config(0), registered)
        .await
        .expect("registered");
    let base = format!("http://{}", listen(state).await);

    let (status, body) = get(&base, "/segments/details?segment_id=seg_mql", SEGMENT_KEY).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["created_at"], "2026-12-01T09:30:00+00:00", "{body}");
    assert_eq!(body["updated_at"], "2026-12-01T09:30:00+00:00", "{body}");
    assert_eq!(body["name"], "Marketing qualified");
    assert_eq!(
        body["description"],
        "is in segment `Leads` and `lead_score` is greater than 50"
    );
    assert_eq!(body["text_description"], "");
    let (_, body) = get(&base, "/segments/details?segment_id=seg_leads", SEGMENT_KEY).await;
    assert_eq!(body["text_description"], "Everyone still a lead");
    assert_eq!(body["tags"], json!(["sales"]));

    let (status, body) = get(&base, "/segments/details?segment_id=nope", SEGMENT_KEY).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["message"], "Invalid Segment ID");
    let (status, _) = get(&base, "/segments/details", SEGMENT_KEY).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    fixture.finish().await;
}

#[tokio::test]
async fn data_series_answers_the_measured_days() {
    let fixture = fixture(server_config()).await;
    let config = segments_config(0);
    let state = fixture.state.clone().with_domain(domain(config.clone()));
    let base = format!("http://{}", listen(state.clone()).await);
    let track = json!({"attributes": [
        {"external_id": "ada", "lead_stage": "Lead", "lead_score": 60},
        {"external_id": "bob", "lead_stage": "Lead", "lead_score": 10},
        {"external_id": "cy", "lead_stage": "MQL", "lead_score": 90},
    ]});
    let response = reqwest::Client::new()
        .post(format!("{base}/users/track"))
        .bearer_auth(FULL_KEY)
        .json(&track)
        .send()
        .await
        .expect("track");
    assert_eq!(response.status(), StatusCode::CREATED);

    let store = state.store.as_ref();
    let now = Utc::now();
    let measured = leadwire_engine::journeys::segments::measure_due(store, &config, now)
        .await
        .expect("measured");
    assert_eq!(measured, 2);
    assert_eq!(
        leadwire_engine::journeys::segments::measure_due(store, &config, now)
            .await
            .expect("measured"),
        0,
        "measured within the hour: not again"
    );
    let today = now.date_naive();
    let earlier = today - TimeDelta::days(3);
    store
        .record_segment_size(&SegmentSize {
            segment_id: "seg_mql".into(),
            day: earlier,
            size: 7,
            measured_at: now - TimeDelta::days(3),
        })
        .await
        .expect("recorded");

    let day = |date: NaiveDate| date.format("%Y-%m-%d").to_string();
    let (status, body) = get(
        &base,
        "/segments/data_series?segment_id=seg_mql&length=5",
        SEGMENT_KEY,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"],
        json!([{"time": day(earlier), "size": 7}, {"time": day(today), "size": 1}]),
        "unmeasured days are left out"
    );
    let (_, body) = get(
        &base,
        "/segments/data_series?segment_id=seg_leads&length=1",
        SEGMENT_KEY,
    )
    .await;
    assert_eq!(body["data"], json!([{"time": day(today), "size": 2}]));
    let ending = format!("{}T12:00:00Z", day(earlier));
    let (_, body) = get(
        &base,
        &format!("/segments/data_series?segment_id=seg_mql&length=1&ending_at={ending}"),
        SEGMENT_KEY,
    )
    .await;
    assert_eq!(body["data"], json!([{"time": day(earlier), "size": 7}]));

    for bad in [
        "length=0",
        "length=101",
        "length=ten",
        "length=1&ending_at=yesterday",
        "",
    ] {
        let (status, body) = get(
            &base,
            &format!("/segments/data_series?segment_id=seg_mql&{bad}"),
            SEGMENT_KEY,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    fixture.finish().await;
}

/// Reads every entry of a ZIP archive: (name, bytes).
fn unzip(bytes: Vec<u8>) -> Vec<(String, Vec<u8>)> {
    use std::io::Read as _;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    (0..archive.len())
        .map(|index| {
            let mut entry = archive.by_index(index).expect("an entry");
            let mut content = Vec::new();
            entry.read_to_end(&mut content).expect("readable");
            (entry.name().expect("a UTF-8 name").into_owned(), content)
        })
        .collect()
}

#[tokio::test]
async fn a_segment_export_writes_files_serves_the_bundle_and_calls_back() {
    let mut server_config = server_config();
    server_config.api_keys.push(ApiKeyConfig {
        name: "exports".into(),
        key: EXPORT_KEY.into(),
        permissions: vec![Permission::UsersExportSegment],
    });
    let fixture = fixture(server_config).await;
    let config = segments_config(0);
    let exports = std::env::temp_dir().join(format!("leadwire-exports-{}", uuid::Uuid::new_v4()));
    let journeys = leadwire_engine::journeys::Journeys::new(
        fixture.state.store.clone(),
        std::sync::Arc::new(config.clone()),
        leadwire_core::attributes::AttributeLimits::default(),
    )
    .with_exports_dir(exports.clone());
    let journeys = std::sync::Arc::new(journeys);
    let state = fixture
        .state
        .clone()
        .with_domain(domain(config.clone()))
        .with_exports_dir(exports.clone())
        .with_journeys(journeys.clone());
    let base = format!("http://{}", listen(state).await);
    let client = reqwest::Client::new();
    let track = json!({"attributes": [
        {"external_id": "ada", "lead_stage": "Lead", "lead_score": 60, "team": "red", "secret": "x"},
        {"external_id": "bob", "lead_stage": "Lead", "lead_score": 10},
        {"external_id": "cy", "lead_stage": "MQL", "lead_score": 90},
    ]});
    let response = client
        .post(format!("{base}/users/track"))
        .bearer_auth(FULL_KEY)
        .json(&track)
        .send()
        .await
        .expect("track");
    assert_eq!(response.status(), StatusCode::CREATED);

    // A callback receiver.
    let (sender, mut received) = tokio::sync::mpsc::unbounded_channel::<Value>();
    let receiver = axum::Router::new().route(
        "/done",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let sender = sender.clone();
            async move {
                let _ = sender.send(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let callback = format!("http://{}/done", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, receiver).await });

    let post = |body: Value| {
        let request = client
            .post(format!("{base}/users/export/segment"))
            .bearer_auth(EXPORT_KEY)
            .json(&body);
        async move {
            let response = request.send().await.expect("request");
            let status = response.status();
            (status, response.json::<Value>().await.expect("JSON"))
        }
    };
    let (status, body) = post(json!({
        "segment_id": "seg_leads",
        "callback_endpoint": callback,
        "fields_to_export": ["external_id"],
        "custom_attributes_to_export": ["team"],
    }))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "success");
    let prefix = body["object_prefix"]
        .as_str()
        .expect("object_prefix")
        .to_owned();
    let url = body["url"].as_str().expect("url").to_owned();
    assert!(url.ends_with(&format!("/{prefix}.zip")), "{url}");

    let (status, body) =
        post(json!({"segment_id": "seg_leads", "fields_to_export": ["email"]})).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "one running export per segment: {body}"
    );
    let (status, _) = post(json!({"segment_id": "nope", "fields_to_export": ["email"]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = post(json!({"segment_id": "seg_mql", "output_format": "rar"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let download = || async {
        client
            .get(&url)
            .bearer_auth(EXPORT_KEY)
            .send()
            .await
            .expect("download")
    };
    assert_eq!(
        download().await.status(),
        StatusCode::NOT_FOUND,
        "not done yet"
    );

    let workers = leadwire_engine::workers::Workers::new(journeys, Default::default());
    workers.run_until_idle(Utc::now()).await.expect("ran");

    let response = download().await;
    assert_eq!(response.status(), StatusCode::OK);
    let bundle = unzip(response.bytes().await.expect("bytes").to_vec());
    assert_eq!(bundle.len(), 1, "two users fit one file");
    assert_eq!(bundle[0].0, "0.zip");
    let files = unzip(bundle[0].1.clone());
    let text = String::from_utf8(files[0].1.clone()).expect("UTF-8");
    let users: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object a line"))
        .collect();
    assert_eq!(users.len(), 2, "{text}");
    let ada = users
        .iter()
        .find(|user| user["external_id"] == "ada")
        .expect("ada exported");
    assert_eq!(
        *ada,
        json!({"external_id": "ada", "custom_attributes": {"team": "red"}}),
        "only the listed fields and custom attributes"
    );
    assert!(users.iter().any(|user| user["external_id"] == "bob"));
    let day = Utc::now().format("%Y-%m-%d").to_string();
    assert!(
        exports
            .join(format!("segment-export/seg_leads/{day}/{prefix}/0.zip"))
            .exists()
    );
    let called = received.recv().await.expect("called back");
    assert_eq!(called, json!({"success": true, "url": url}));

    // Done: the next export of the segment may start, here as gzip.
    let (status, body) = post(json!({"segment_id": "seg_leads", "output_format": "gzip"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let prefix = body["object_prefix"]
        .as_str()
        .expect("object_prefix")
        .to_owned();
    workers.run_until_idle(Utc::now()).await.expect("ran");
    let part = exports.join(format!("segment-export/seg_leads/{day}/{prefix}/0.gz"));
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(&part).expect("a .gz file")),
        &mut text,
    )
    .expect("gzip");
    assert_eq!(text.lines().count(), 2);
    assert!(
        text.contains("\"secret\":\"x\""),
        "every field by default: {text}"
    );
    let _ = std::fs::remove_dir_all(&exports);
    fixture.finish().await;
}

/// The node's domain config, as `serve` hands it to the server.
fn domain(config: leadwire_core::config::Config) -> leadwire_server::state::DomainConfig {
    leadwire_server::state::DomainConfig {
        config,
        ..Default::default()
    }
}
