//! A group of requests in one transaction against a real SQLite store: each request sees
//! what the ones before it wrote, as it would if each were committed alone.

use std::path::PathBuf;

use chrono::Utc;
use leadwire_core::attributes::AttributeLimits;
use leadwire_core::track::UserIdentifier;
use serde_json::{Value, json};

use super::{TrackRequest, track_in};
use crate::repository::Store;
use crate::sql::sqlite::SqliteStore;
use leadwire_core::queue::Queue;
use leadwire_core::trigger::TriggerInterest;
use leadwire_core::trigger::{TriggerEvent, UserTrigger};

struct TempStore {
    store: SqliteStore,
    path: PathBuf,
}

impl Drop for TempStore {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut file = self.path.clone().into_os_string();
            file.push(suffix);
            std::fs::remove_file(file).ok();
        }
    }
}

async fn temp_store() -> TempStore {
    let path = std::env::temp_dir().join(format!("leadwire-group-{}.db", uuid::Uuid::new_v4()));
    let store = SqliteStore::open(&path, 2).await.expect("open SQLite");
    store.set_trigger_interest(TriggerInterest::all());
    TempStore { store, path }
}

fn request(body: Value) -> TrackRequest {
    let array = |key: &str| body.get(key).and_then(Value::as_array).cloned();
    TrackRequest {
        attributes: array("attributes"),
        events: array("events"),
        purchases: array("purchases"),
    }
}

/// Applies `requests` as one group and commits.
async fn write_group(store: &dyn Store, requests: &[TrackRequest]) {
    let now = Utc::now();
    let requests: Vec<_> = requests.iter().map(|request| (request, now)).collect();
    let mut tx = store.begin().await.expect("begin");
    let outcomes = track_in(tx.as_mut(), &requests, &AttributeLimits::default())
        .await
        .expect("group");
    tx.commit().await.expect("commit");
    for outcome in outcomes {
        assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    }
}

/// The triggers of the trigger queue, in job order.
async fn triggers(store: &dyn Store) -> Vec<UserTrigger> {
    let mut jobs = store
        .claim(
            Queue::Triggers,
            Utc::now(),
            std::time::Duration::from_secs(60),
            100,
        )
        .await
        .expect("claim");
    jobs.sort_by_key(|job| job.id);
    jobs.iter()
        .flat_map(|job| {
            job.payload
                .triggers()
                .unwrap_or_else(|| panic!("a task on the trigger queue: {:?}", job.payload))
                .to_vec()
        })
        .collect()
}

#[tokio::test]
async fn a_lookup_by_email_sees_the_user_an_earlier_request_of_the_group_created() {
    let temp = temp_store().await;
    let store: &dyn Store = &temp.store;
    write_group(
        store,
        &[
            request(json!({"attributes": [{"external_id": "ada", "email": "ada@example.com"}]})),
            request(json!({"attributes": [{"email": "ada@example.com", "lead_stage": "MQL"}]})),
        ],
    )
    .await;
    let by_email = store
        .find_profile(&UserIdentifier::Email("ada@example.com".into()))
        .await
        .expect("find")
        .expect("a profile has the email");
    assert_eq!(
        by_email.external_id.as_deref(),
        Some("ada"),
        "no second user"
    );
    assert_eq!(by_email.custom.get("lead_stage"), Some(&json!("MQL")));
}

#[tokio::test]
async fn trigger_jobs_keep_the_order_lone_requests_give_them() {
    let temp = temp_store().await;
    let store: &dyn Store = &temp.store;
    write_group(
        store,
        &[
            request(json!({
                "attributes": [{"external_id": "ada", "step": 1}],
                "events": [{"external_id": "ada", "name": "visited", "time": "2026-11-29T10:00:00Z"}],
            })),
            request(json!({"attributes": [{"external_id": "ada", "step": 2}]})),
        ],
    )
    .await;
    let order: Vec<String> = triggers(store)
        .await
        .into_iter()
        .map(|trigger| match trigger.event {
            TriggerEvent::CustomAttributeChanged { name, new, .. } => format!("{name}={new}"),
            TriggerEvent::CustomEventPerformed { name, .. } => format!("event {name}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(order, ["step=1", "event visited", "step=2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heavy_request_is_written_in_parts_with_the_outcome_of_a_whole_one() {
    let path = std::env::temp_dir().join(format!("leadwire-parts-{}.db", uuid::Uuid::new_v4()));
    let store: std::sync::Arc<dyn Store> =
        std::sync::Arc::new(SqliteStore::open(&path, 2).await.expect("open SQLite"));
    let ingestor = super::Ingestor::new(store.clone(), AttributeLimits::default());
    let text = "p".repeat(200);
    let mut attributes: Vec<Value> = (0..75)
        .map(|n| {
            let mut object = json!({"external_id": format!("heavy-{n}"), "step": {"inc": 1}});
            for key in 0..20 {
                object[format!("field_{key}")] = json!(text);
            }
            object
        })
        .collect();
    attributes[70] = json!({"external_id": "heavy-70", "bad": "b".repeat(300)});
    let events = vec![
        json!({"external_id": "heavy-1", "name": "seen", "time": "2026-11-29T10:00:00Z"}),
        json!({"external_id": "heavy-2", "time": "2026-11-29T10:00:00Z"}),
    ];
    let request = TrackRequest {
        attributes: Some(attributes),
        events: Some(events),
        purchases: None,
    };
    assert!(
        request.weight() > 4 * super::PART_WEIGHT,
        "the request is cut"
    );
    let outcome = ingestor.track(request, Utc::now()).await.expect("written");
    assert_eq!(outcome.attributes_processed, Some(74));
    assert_eq!(outcome.events_processed, Some(1));
    assert_eq!(outcome.purchases_processed, None);
    let places: Vec<(&str, usize)> = outcome
        .errors
        .iter()
        .map(|error| (error.input_array.as_str(), error.index))
        .collect();
    assert_eq!(places, [("attributes", 70), ("events", 1)]);
    for n in [0, 40, 74] {
        let profile = store
            .find_profile(&UserIdentifier::ExternalId(format!("heavy-{n}")))
            .await
            .expect("find")
            .expect("every valid object was written");
        assert_eq!(profile.custom.get("field_19"), Some(&json!(text)));
    }
    drop(ingestor);
    store.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        std::fs::remove_file(file).ok();
    }
}
