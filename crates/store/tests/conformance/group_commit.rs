//! Group commit through [`Ingestor`]: concurrent requests share transactions, yet each
//! keeps its own outcome, its own trigger jobs, and its own failure.

use std::sync::Arc;

use chrono::Utc;
use leadwire_core::attributes::AttributeLimits;
use leadwire_core::track::UserIdentifier;
use leadwire_core::trigger::TriggerEvent;
use leadwire_store::ingest::{Ingestor, TrackOutcome, TrackRequest};
use leadwire_store::{Store, StoreError, StoreResult};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::harness::{Harness, drain_triggers};

const REQUESTS: usize = 12;

fn attributes(objects: Vec<Value>) -> TrackRequest {
    TrackRequest {
        attributes: Some(objects),
        ..TrackRequest::default()
    }
}

/// Sends every request at once; the outcomes come back in request order.
async fn send_all(
    ingestor: &Arc<Ingestor>,
    requests: Vec<TrackRequest>,
) -> Vec<StoreResult<TrackOutcome>> {
    let mut tasks = JoinSet::new();
    for (index, request) in requests.into_iter().enumerate() {
        let ingestor = ingestor.clone();
        tasks.spawn(async move { (index, ingestor.track(request, Utc::now()).await) });
    }
    let mut outcomes: Vec<_> = tasks.join_all().await;
    outcomes.sort_by_key(|(index, _)| *index);
    outcomes.into_iter().map(|(_, outcome)| outcome).collect()
}

async fn custom(
    store: &Arc<dyn Store>,
    external_id: &str,
) -> Option<serde_json::Map<String, Value>> {
    store
        .find_profile(&UserIdentifier::ExternalId(external_id.into()))
        .await
        .expect("find")
        .map(|profile| profile.custom)
}

pub async fn concurrent_requests_keep_their_own_outcomes_and_triggers(store: Arc<dyn Store>) {
    let ingestor = Arc::new(Ingestor::new(store.clone(), AttributeLimits::default()));
    let requests = (0..REQUESTS)
        .map(|index| {
            let mut objects = vec![
                json!({"external_id": "shared", "score": {"inc": 1}}),
                json!({"external_id": format!("own-{index}"), "stage": format!("s{index}")}),
            ];
            if index % 2 == 1 {
                objects.push(json!({"external_id": "bad", "tags": {"add": [null]}}));
            }
            attributes(objects)
        })
        .collect();
    let outcomes = send_all(&ingestor, requests).await;

    for (index, outcome) in outcomes.iter().enumerate() {
        let outcome = outcome.as_ref().expect("every request is written");
        assert_eq!(outcome.attributes_processed, Some(2), "request {index}");
        let errors: Vec<(usize, &str)> = outcome
            .errors
            .iter()
            .map(|error| (error.index, error.field.as_str()))
            .collect();
        let expected = if index % 2 == 1 {
            vec![(2, "tags.add[0]")]
        } else {
            vec![]
        };
        assert_eq!(errors, expected, "request {index}");
        let own = custom(&store, &format!("own-{index}"))
            .await
            .expect("written");
        assert_eq!(own.get("stage"), Some(&json!(format!("s{index}"))));
    }
    let shared = custom(&store, "shared").await.expect("written");
    assert_eq!(shared.get("score"), Some(&json!(REQUESTS)));
    assert_eq!(
        custom(&store, "bad").await,
        None,
        "a rejected object writes nothing"
    );

    let mut score_changes: Vec<(Option<Value>, Value)> = drain_triggers(&store)
        .await
        .into_iter()
        .filter_map(|trigger| match trigger.event {
            TriggerEvent::CustomAttributeChanged { name, old, new, .. } if name == "score" => {
                Some((old, new))
            }
            _ => None,
        })
        .collect();
    score_changes.sort_by_key(|(_, new)| new.as_u64());
    let expected: Vec<(Option<Value>, Value)> = (1..=REQUESTS)
        .map(|score| ((score > 1).then(|| json!(score - 1)), json!(score)))
        .collect();
    assert_eq!(
        score_changes, expected,
        "each request's change is its own trigger, even when requests share a transaction"
    );
}

/// A request that meets a store error fails alone: the requests written beside it succeed,
/// and none of its own objects are written.
pub async fn a_failing_request_leaves_the_others_alone(harness: &Harness) {
    let store = harness.store.clone();
    let ingestor = Arc::new(Ingestor::new(store.clone(), AttributeLimits::default()));
    let created = ingestor
        .track(
            attributes(vec![json!({"external_id": "broken", "x": 1})]),
            Utc::now(),
        )
        .await
        .expect("created");
    assert_eq!(created.attributes_processed, Some(1));
    harness
        .execute("UPDATE profiles SET document = '{' WHERE external_id = 'broken'")
        .await;

    let requests = (0..REQUESTS)
        .map(|index| {
            if index == REQUESTS / 2 {
                attributes(vec![
                    json!({"external_id": "victim-new", "x": 1}),
                    json!({"external_id": "broken", "x": 2}),
                ])
            } else {
                attributes(vec![
                    json!({"external_id": format!("fine-{index}"), "x": index}),
                ])
            }
        })
        .collect();
    let outcomes = send_all(&ingestor, requests).await;

    for (index, outcome) in outcomes.iter().enumerate() {
        if index == REQUESTS / 2 {
            assert!(
                matches!(outcome, Err(StoreError::Corrupt { .. })),
                "the request naming the unreadable profile fails: {outcome:?}"
            );
        } else {
            assert_eq!(
                outcome
                    .as_ref()
                    .expect("the others succeed")
                    .attributes_processed,
                Some(1)
            );
            let fine = custom(&store, &format!("fine-{index}"))
                .await
                .expect("written");
            assert_eq!(fine.get("x"), Some(&json!(index)));
        }
    }
    assert_eq!(
        custom(&store, "victim-new").await,
        None,
        "nothing of the failed request is written"
    );
}

/// Once the store is closed, the writer answers the request it holds with the error and
/// ends, so whoever watches the ingestor learns that ingestion stopped.
pub async fn a_writer_ends_when_its_store_is_closed(store: Arc<dyn Store>) {
    let ingestor = Arc::new(Ingestor::new(store.clone(), AttributeLimits::default()));
    let request = || attributes(vec![json!({"external_id": "late", "x": 1})]);
    ingestor
        .track(request(), Utc::now())
        .await
        .expect("written while the store is open");
    store.close().await;
    let refused = ingestor.track(request(), Utc::now()).await;
    assert!(matches!(refused, Err(StoreError::Closed)), "{refused:?}");
    let ended = ingestor.writer_ended().await.expect("no panic");
    assert!(matches!(ended, Err(StoreError::Closed)), "{ended:?}");
}
