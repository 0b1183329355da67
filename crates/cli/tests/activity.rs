//! `leadwire activity` and `leadwire activity replay` run as processes on a SQLite store.

use std::path::Path;
use std::process::{Command, Output};

use chrono::Utc;
use leadwire_core::activity::{ActivityEntry, ActivityType, MessageSource};
use leadwire_store::Store;
use leadwire_store::sql::sqlite::SqliteStore;
use uuid::Uuid;

fn leadwire(args: &[&str], config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leadwire"))
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .expect("the leadwire binary runs")
}

fn entry(kind: ActivityType, message: &str) -> ActivityEntry {
    ActivityEntry {
        id: Uuid::now_v7(),
        time: Utc::now(),
        activity_type: kind,
        source: MessageSource::Canvas {
            canvas: "Lead Scoring Canvas".into(),
            step: "Update Lead to MQL".into(),
        },
        user_id: Uuid::new_v4(),
        external_id: Some("00Q000000000001AAA".into()),
        template: "Update Lead to MQL".into(),
        message: message.into(),
        attempt: 2,
        status: Some(503),
        duration_ms: 40,
        request: None,
        response: None,
        send_id: Uuid::new_v4(),
        trigger_properties: None,
        tracking_send_id: None,
    }
}

#[tokio::test]
async fn lists_filters_and_replays() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("activity-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("leadwire.db");
    let config = dir.join("leadwire.toml");
    std::fs::write(
        &config,
        format!("[store]\ndatabase_url = \"sqlite://{}\"\n", db.display()),
    )
    .expect("config written");
    let store = SqliteStore::open(&db, 1).await.expect("store");
    let failed = entry(
        ActivityType::WebhookError,
        "Service Unavailable\nretry later",
    );
    let aborted = entry(ActivityType::AbortedMessage, "score below threshold");
    let mut tx = store.begin().await.expect("begin");
    tx.record_activity(&[failed.clone(), aborted.clone()])
        .await
        .expect("record");
    tx.commit().await.expect("commit");
    store.close().await;

    let all = leadwire(&["activity"], &config);
    assert!(
        all.status.success(),
        "{}",
        String::from_utf8_lossy(&all.stderr)
    );
    let table = String::from_utf8_lossy(&all.stdout);
    assert!(table.starts_with("TIME"), "{table}");
    assert!(
        table.contains("Lead Scoring Canvas / Update Lead to MQL"),
        "{table}"
    );
    assert!(table.contains("Service Unavailable retry later"), "{table}");
    assert_eq!(table.lines().count(), 3);

    let errors = leadwire(
        &["activity", "--type", "webhook_error", "--since", "1h"],
        &config,
    );
    let table = String::from_utf8_lossy(&errors.stdout);
    assert_eq!(table.lines().count(), 2, "{table}");
    assert!(table.contains(&failed.id.to_string()));

    // The store can come from the environment layer, as for `serve`.
    let bare = dir.join("bare.toml");
    std::fs::write(&bare, "").expect("config written");
    let from_env = Command::new(env!("CARGO_BIN_EXE_leadwire"))
        .args(["activity", "--config"])
        .arg(&bare)
        .env(
            "LEADWIRE_STORE__DATABASE_URL",
            format!("sqlite://{}", db.display()),
        )
        .output()
        .expect("the leadwire binary runs");
    let table = String::from_utf8_lossy(&from_env.stdout);
    assert_eq!(table.lines().count(), 3, "{table}");

    let bad = leadwire(&["activity", "--type", "push_error"], &config);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("webhook_error"));

    let replayed = leadwire(&["activity", "replay", &failed.id.to_string()], &config);
    assert!(
        replayed.status.success(),
        "{}",
        String::from_utf8_lossy(&replayed.stderr)
    );
    assert!(String::from_utf8_lossy(&replayed.stdout).starts_with("replayed as send"));
    let store = SqliteStore::open(&db, 1).await.expect("store");
    assert_eq!(
        store
            .pending_jobs(leadwire_store::Queue::Sends)
            .await
            .expect("pending"),
        1
    );
    store.close().await;
    let missing = leadwire(
        &["activity", "replay", &Uuid::new_v4().to_string()],
        &config,
    );
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no activity entry"));
    std::fs::remove_dir_all(&dir).ok();
}
