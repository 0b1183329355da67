//! `--data FILE`: leads written to SQLite survive a restart, deletes and resets included.

use std::time::{SystemTime, UNIX_EPOCH};

use http::{Method, StatusCode};
use leadwire_salesforce_emulator::{EmulatorState, ServeOptions, attach_sqlite, spawn};

use crate::harness::{Emulator, config};

async fn start_on(path: &std::path::Path) -> (Emulator, usize) {
    let state = EmulatorState::new(config()).expect("valid config");
    let restored = attach_sqlite(&state, path)
        .await
        .expect("the database opens");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let handle = spawn(
        state,
        listener,
        ServeOptions {
            plain_http: true,
            cert_out: None,
        },
    )
    .await
    .expect("starts");
    let mut emulator = Emulator {
        handle,
        http: reqwest::Client::new(),
        token: String::new(),
    };
    emulator.token = emulator.fetch_token().await;
    (emulator, restored)
}

#[tokio::test]
async fn a_restart_keeps_the_leads() {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let path = std::env::temp_dir().join(format!(
        "leadwire-emulator-{}-{nanos}.db",
        std::process::id()
    ));
    let (first, restored) = start_on(&path).await;
    assert_eq!(restored, 0);
    let kept = first
        .create(r#"{"LastName":"Kept","Company":"Disk","Email":"kept@disk.test"}"#)
        .await;
    let gone = first
        .create(r#"{"LastName":"Gone","Company":"Disk"}"#)
        .await;
    first
        .call(
            Method::PATCH,
            &format!("/sobjects/Lead/{kept}"),
            Some(r#"{"Rating":"Hot"}"#),
        )
        .await;
    first
        .call(Method::DELETE, &format!("/sobjects/Lead/{gone}"), None)
        .await;
    first.handle.shutdown().await;

    let (second, restored) = start_on(&path).await;
    assert_eq!(restored, 2);
    let lead = second
        .call(Method::GET, &format!("/sobjects/Lead/{kept}"), None)
        .await;
    assert_eq!(lead.status, StatusCode::OK);
    assert_eq!(
        (lead.json["Email"].as_str(), lead.json["Rating"].as_str()),
        (Some("kept@disk.test"), Some("Hot"))
    );
    let deleted = second
        .call(Method::GET, &format!("/sobjects/Lead/{gone}"), None)
        .await;
    assert_eq!(deleted.json[0]["errorCode"], "ENTITY_IS_DELETED");
    let new_id = second
        .create(r#"{"LastName":"New","Company":"Disk"}"#)
        .await;
    assert!(
        new_id != kept && new_id != gone,
        "ids are not reissued after a restart"
    );
    second.handle.state().reset();
    second.handle.shutdown().await;

    let (third, restored) = start_on(&path).await;
    assert_eq!(restored, 0, "a reset empties the file too");
    third.handle.shutdown().await;
    let _ = std::fs::remove_file(&path);
}
