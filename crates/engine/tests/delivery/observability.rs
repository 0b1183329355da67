//! What an operator sees of delivery in `/metrics`: every activity-log entry counted under
//! its type, and per-connection metrics labelled with the connection's name; and in the
//! worker's status snapshot. (The log line
//! of a failed send is tested in `tests/delivery_log.rs`.)

use std::collections::BTreeMap;

use leadwire_core::activity::ActivityType;
use leadwire_engine::delivery::status::{BreakerState, TokenState};

use crate::harness::{
    BAD_LOOKUP, CLIENT_SECRET, FAILING, SEED_CREATE, TEMPLATES, UPSERT, one_minute_retries, start,
};

fn status_class(status: Option<u16>) -> &'static str {
    match status {
        None => "none",
        Some(200..=299) => "2xx",
        Some(300..=399) => "3xx",
        Some(400..=499) => "4xx",
        Some(500..=599) => "5xx",
        Some(_) => "other",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_every_activity_entry_under_its_outcome() {
    let harness = start(
        &format!("{UPSERT}{FAILING}{BAD_LOOKUP}"),
        one_minute_retries(),
    )
    .await;
    harness.enqueue_sends(2, "Upsert Lead", false).await;
    for template in TEMPLATES {
        harness.enqueue_sends(1, template, false).await;
    }
    harness.worker.drain().await.expect("drain");

    let activity = harness.activity().await;
    let mut expected: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for entry in &activity {
        let key = (entry.activity_type.as_str(), status_class(entry.status));
        *expected.entry(key).or_default() += 1;
    }
    let kinds: Vec<&str> = expected.keys().map(|(kind, _)| *kind).collect();
    // A deferral needs a connection at its API budget floor: the budget suite covers it.
    for kind in ActivityType::ALL
        .into_iter()
        .filter(|kind| *kind != ActivityType::Deferred)
    {
        assert!(kinds.contains(&kind.as_str()), "{kind:?} in {activity:#?}");
    }
    let text = harness.worker.metrics().encode();
    for ((outcome, class), count) in &expected {
        let line = format!(
            r#"leadwire_webhook_sends_total{{outcome="{outcome}",status_class="{class}"}} {count}"#
        );
        assert!(text.contains(&line), "{line} in\n{text}");
    }
    let counted = text
        .lines()
        .filter(|line| line.starts_with("leadwire_webhook_sends_total{"))
        .count();
    assert_eq!(counted, expected.len(), "no other outcome series:\n{text}");
    assert!(text.contains("leadwire_message_aborts_total 1"), "{text}");
    harness.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_connection_metrics_are_labelled_with_the_connection_name() {
    // The seed's Create Lead fetches its token through `connected_content`, the upsert
    // through `connections.emulator.access_token`: both count under the connection.
    let harness = start(&format!("{SEED_CREATE}{UPSERT}"), one_minute_retries()).await;
    harness.enqueue_sends(2, "Create Lead", false).await;
    harness.enqueue_sends(2, "Upsert Lead", false).await;
    harness.worker.drain().await.expect("drain");

    let text = harness.worker.metrics().encode();
    for line in [
        r#"leadwire_salesforce_token_fetches_total{connection="emulator"} 1"#,
        r#"leadwire_salesforce_api_usage_used{connection="emulator"}"#,
        r#"leadwire_salesforce_api_usage_limit{connection="emulator"}"#,
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    let labels: Vec<&str> = text
        .lines()
        .filter_map(|line| line.split_once("{connection=\""))
        .filter_map(|(_, rest)| rest.split_once('"'))
        .map(|(name, _)| name)
        .collect();
    assert!(!labels.is_empty());
    assert!(labels.iter().all(|name| *name == "emulator"), "{text}");
    harness.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_shows_the_token_the_api_usage_and_closed_breakers() {
    let harness = start(UPSERT, one_minute_retries()).await;
    let before = harness.worker.status();
    let [connection] = &before.connections[..] else {
        panic!("one connection: {before:?}");
    };
    assert_eq!(connection.token.state, TokenState::NotFetched);
    assert_eq!(connection.api_usage, None);
    harness.enqueue_sends(3, "Upsert Lead", false).await;
    harness.worker.drain().await.expect("drain");

    let status = harness.worker.status();
    let [connection] = &status.connections[..] else {
        panic!("one connection: {status:?}");
    };
    assert_eq!(connection.name, "emulator");
    assert_eq!(connection.instance_url, harness.emulator.base_url);
    assert_eq!(
        connection.token_url,
        format!("{}/services/oauth2/token", harness.emulator.base_url)
    );
    assert_eq!(connection.token.state, TokenState::Fresh, "{connection:?}");
    assert_eq!(connection.token.fetches, 1);
    assert_eq!(connection.token.last_error, None);
    let usage = connection.api_usage.expect("a Sforce-Limit-Info reading");
    assert_eq!(usage.limit, 10_000_000);
    assert!(usage.used >= 3, "{usage:?}");
    assert_eq!(connection.resting_until, None);
    let [host] = &connection.hosts[..] else {
        panic!("one host: {connection:?}");
    };
    assert_eq!(host.host, "127.0.0.1");
    assert_eq!(host.breaker, BreakerState::Closed);
    assert_eq!(status.other_hosts, Vec::new());
    let printed = format!("{status:?}");
    assert!(!printed.contains(CLIENT_SECRET), "{printed}");
    harness.finish().await;
}
