//! The `/users/track` write path over a real store.

use std::sync::Arc;

use chrono::Utc;
use leadwire_core::attributes::AttributeLimits;
use leadwire_core::profile::UserAlias;
use leadwire_core::track::UserIdentifier;
use leadwire_core::trigger::{TriggerEvent, TriggerInterest, UserTrigger};
use leadwire_store::ingest::{InputArray, TrackOutcome, TrackRequest, track};
use leadwire_store::{JobPayload, Store};
use serde_json::{Value, json};

use crate::harness::{drain_trigger_jobs, drain_triggers};

async fn send(store: &Arc<dyn Store>, body: Value) -> TrackOutcome {
    let array = |key: &str| body.get(key).and_then(Value::as_array).cloned();
    let request = TrackRequest {
        attributes: array("attributes"),
        events: array("events"),
        purchases: array("purchases"),
    };
    track(
        store.as_ref(),
        &request,
        &AttributeLimits::default(),
        Utc::now(),
    )
    .await
    .expect("the store accepts the request")
}

async fn user_id(store: &Arc<dyn Store>, external_id: &str) -> uuid::Uuid {
    store
        .find_profile(&UserIdentifier::ExternalId(external_id.into()))
        .await
        .expect("find")
        .expect("the profile exists")
        .id
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

pub async fn track_applies_valid_objects_and_reports_rejected_ones(store: Arc<dyn Store>) {
    let outcome = send(
        &store,
        json!({"attributes": [
            {"external_id": "u1", "lead_score": 10, "tags": ["a"]},
            {"external_id": "u2", "lead_score": 5, "tags": {"add": [null]}},
            "not an object",
            {"external_id": "u1", "lead_score": {"inc": 5}, "tags": {"add": ["b"]}},
        ]}),
    )
    .await;
    assert_eq!(outcome.attributes_processed, Some(2));
    assert_eq!(outcome.events_processed, None);
    let errors: Vec<(usize, &str)> = outcome
        .errors
        .iter()
        .map(|e| (e.index, e.field.as_str()))
        .collect();
    assert_eq!(errors, vec![(1, "tags.add[0]"), (2, "")]);
    assert!(
        outcome
            .errors
            .iter()
            .all(|e| e.input_array == InputArray::Attributes)
    );
    let u1 = custom(&store, "u1").await.expect("u1 exists");
    assert_eq!(u1.get("lead_score"), Some(&json!(15)));
    assert_eq!(u1.get("tags"), Some(&json!(["a", "b"])));
    assert_eq!(
        custom(&store, "u2").await,
        None,
        "a rejected object writes nothing, not even a new user"
    );
}

pub async fn track_writes_triggers_for_changes_only(store: Arc<dyn Store>) {
    send(
        &store,
        json!({"attributes": [
            {"external_id": "t1", "email": "t1@example.com", "stage": "lead"},
            {"external_id": "t1", "stage": "mql"},
        ]}),
    )
    .await;
    let triggers = drain_triggers(&store).await;
    assert_eq!(triggers.len(), 2, "{triggers:?}");
    assert!(
        matches!(&triggers[..], [a, b] if matches!(a.event, TriggerEvent::EmailAdded { .. }) || matches!(b.event, TriggerEvent::EmailAdded { .. }))
    );
    let change = triggers.iter().find_map(|t| match &t.event {
        TriggerEvent::CustomAttributeChanged { old, new, .. } => Some((old.clone(), new.clone())),
        _ => None,
    });
    assert_eq!(
        change,
        Some((None, json!("mql"))),
        "two updates in one request fold into one change"
    );

    send(
        &store,
        json!({"attributes": [
            {"external_id": "t1", "stage": "mql", "email": "other@example.com"},
            {"external_id": "t1", "unused": null},
        ]}),
    )
    .await;
    assert!(
        drain_triggers(&store).await.is_empty(),
        "same value, email change and null fire nothing"
    );
}

pub async fn a_profile_write_is_one_trigger_job_of_its_triggers_in_order(store: Arc<dyn Store>) {
    send(
        &store,
        json!({"attributes": [
            {"external_id": "many", "stage": "lead", "email": "many@example.com", "score": 1},
            {"external_id": "one", "stage": "lead"},
        ]}),
    )
    .await;
    let (many, one) = (user_id(&store, "many").await, user_id(&store, "one").await);
    let changed = |user_id, name: &str, new: Value| UserTrigger {
        user_id,
        event: TriggerEvent::CustomAttributeChanged {
            name: name.into(),
            old: None,
            new,
        },
    };
    let jobs = drain_trigger_jobs(&store).await;
    assert_eq!(jobs.len(), 2, "one job per profile write: {jobs:?}");
    assert!(
        jobs.contains(&JobPayload::Triggers(vec![
            UserTrigger {
                user_id: many,
                event: TriggerEvent::EmailAdded {
                    email: "many@example.com".into(),
                },
            },
            changed(many, "stage", json!("lead")),
            changed(many, "score", json!(1)),
        ])),
        "the email first, then the changes in their order: {jobs:?}"
    );
    assert!(
        jobs.contains(&JobPayload::Trigger(changed(one, "stage", json!("lead")))),
        "a write of one trigger keeps the single-trigger payload: {jobs:?}"
    );
}

/// Events and purchases follow the attributes' `_update_existing_only` rule: an unknown user
/// with the flag (or named by `user_alias` without it) is skipped, counted, and not created;
/// `false` with `user_alias` creates an alias-only user.
pub async fn update_existing_only_on_events_and_purchases(store: Arc<dyn Store>) {
    let alias = json!({"alias_name": "anon-2", "alias_label": "web"});
    let event = |extra: Value| {
        let mut event = json!({"name": "visit", "time": "2024-05-01T00:00:00Z"});
        if let (Some(event), Some(extra)) = (event.as_object_mut(), extra.as_object()) {
            event.extend(extra.clone());
        }
        event
    };
    let purchase = json!({"external_id": "ghost-p", "_update_existing_only": true,
        "product_id": "p", "currency": "USD", "price": 1, "time": "2024-05-01T00:00:00Z"});
    let outcome = send(
        &store,
        json!({
            "events": [
                event(json!({"external_id": "ghost-e", "_update_existing_only": true})),
                event(json!({"user_alias": alias})),
                event(json!({"external_id": "made", "_update_existing_only": false})),
            ],
            "purchases": [purchase],
        }),
    )
    .await;
    assert!(outcome.errors.is_empty(), "{outcome:?}");
    assert_eq!(outcome.events_processed, Some(3));
    assert_eq!(outcome.purchases_processed, Some(1));
    for ghost in ["ghost-e", "ghost-p"] {
        let found = store
            .find_profile(&UserIdentifier::ExternalId(ghost.into()))
            .await
            .expect("find");
        assert!(found.is_none(), "{ghost} was created");
    }
    let alias_id = UserIdentifier::Alias(UserAlias {
        alias_name: "anon-2".into(),
        alias_label: "web".into(),
    });
    assert!(store.find_profile(&alias_id).await.expect("find").is_none());
    let made = user_id(&store, "made").await;
    let since = Utc::now() - chrono::TimeDelta::days(3650);
    assert_eq!(
        store
            .event_summaries(made, since)
            .await
            .expect("summaries")
            .len(),
        1
    );

    let outcome = send(
        &store,
        json!({"events": [event(json!({"user_alias": alias, "_update_existing_only": false}))]}),
    )
    .await;
    assert!(outcome.errors.is_empty(), "{outcome:?}");
    let aliased = store
        .find_profile(&alias_id)
        .await
        .expect("find")
        .expect("an alias-only user was created");
    assert_eq!(aliased.external_id, None);
    assert_eq!(
        store
            .event_summaries(aliased.id, since)
            .await
            .expect("summaries")[0]
            .count,
        1
    );
}

pub async fn update_existing_only_and_identifier_rules(store: Arc<dyn Store>) {
    let alias = json!({"alias_name": "anon-1", "alias_label": "web"});
    let outcome = send(
        &store,
        json!({"attributes": [
            {"external_id": "ghost", "_update_existing_only": true, "x": 1},
            {"user_alias": alias, "x": 1},
            {"braze_id": "00000000-0000-0000-0000-000000000000", "x": 1},
            {"user_alias": alias, "_update_existing_only": false, "x": 2},
            {"email": "New@Example.com", "x": 3},
            {"user_alias": alias, "x": 4},
        ]}),
    )
    .await;
    let errors: Vec<(usize, &str)> = outcome
        .errors
        .iter()
        .map(|e| (e.index, e.field.as_str()))
        .collect();
    assert_eq!(
        errors,
        vec![(2, "braze_id")],
        "an update-only object for an unknown user is skipped without an error, as Braze does"
    );
    assert_eq!(outcome.attributes_processed, Some(5));
    assert_eq!(custom(&store, "ghost").await, None);
    let aliased = store
        .find_profile(&UserIdentifier::Alias(UserAlias {
            alias_name: "anon-1".into(),
            alias_label: "web".into(),
        }))
        .await
        .expect("find")
        .expect("an alias-only user was created");
    assert_eq!(aliased.custom.get("x"), Some(&json!(4)));
    assert_eq!(aliased.external_id, None);
    let by_email = store
        .find_profile(&UserIdentifier::Email("new@example.com".into()))
        .await
        .expect("find")
        .expect("an email-only user was created");
    assert_eq!(by_email.email(), Some("New@Example.com"));
    assert!(by_email.aliases.is_empty());
    let braze_id = by_email.id.to_string();
    let outcome = send(
        &store,
        json!({"attributes": [{"braze_id": braze_id, "x": 5}]}),
    )
    .await;
    assert!(outcome.errors.is_empty(), "{outcome:?}");
    let emails = drain_triggers(&store)
        .await
        .into_iter()
        .filter(|t| matches!(t.event, TriggerEvent::EmailAdded { .. }))
        .count();
    assert_eq!(emails, 1, "creating an email-only user adds an email");
}

pub async fn events_and_purchases_create_users_and_history(store: Arc<dyn Store>) {
    let outcome = send(&store, json!({
        "events": [
            {"external_id": "e1", "name": "demo_requested", "time": "2024-05-01T10:00:00Z", "properties": {"plan": "pro"}},
            {"external_id": "e1", "name": "demo_requested", "time": "2024-05-02T10:00:00Z"},
            {"external_id": "e1", "time": "2024-05-02T10:00:00Z"},
            {"user_alias": {"alias_name": "nobody", "alias_label": "x"}, "name": "n", "time": "2024-05-02"},
        ],
        "purchases": [
            {"external_id": "e1", "product_id": "seat", "currency": "USD", "price": 12.5, "quantity": 2, "time": "2024-05-03T00:00:00Z"},
            {"external_id": "e1", "product_id": "seat", "currency": "USD", "price": "free", "time": "2024-05-03T00:00:00Z"},
        ],
    }))
    .await;
    assert_eq!(outcome.attributes_processed, None);
    assert_eq!(
        outcome.events_processed,
        Some(3),
        "the unknown alias is update-only: skipped, counted, not an error"
    );
    assert_eq!(outcome.purchases_processed, Some(1));
    let errors: Vec<(InputArray, usize, &str)> = outcome
        .errors
        .iter()
        .map(|e| (e.input_array, e.index, e.field.as_str()))
        .collect();
    assert_eq!(
        errors,
        vec![
            (InputArray::Events, 2, "name"),
            (InputArray::Purchases, 1, "price")
        ]
    );
    let user = store
        .find_profile(&UserIdentifier::ExternalId("e1".into()))
        .await
        .expect("find")
        .expect("an event creates its user");
    let since = chrono::DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
        .expect("literal")
        .to_utc();
    assert_eq!(
        store
            .count_events_since(user.id, "demo_requested", since)
            .await
            .expect("count"),
        1
    );
    let purchases = store
        .purchase_summaries(user.id, since)
        .await
        .expect("purchases");
    assert_eq!(purchases[0].count, 2);
    let triggers = drain_triggers(&store).await;
    assert_eq!(
        triggers
            .iter()
            .filter(|t| matches!(t.event, TriggerEvent::CustomEventPerformed { .. }))
            .count(),
        2
    );
    let purchase = triggers.iter().find_map(|t| match &t.event {
        TriggerEvent::PurchaseMade {
            product_id,
            quantity,
            price,
            ..
        } => Some((product_id.clone(), *quantity, *price)),
        _ => None,
    });
    assert_eq!(purchase, Some(("seat".to_owned(), 2, 12.5)));
}

pub async fn changed_identifiers_are_written_beside_unchanged_ones(store: Arc<dyn Store>) {
    // Trigger jobs on: the profile rows and their jobs then go to the store together.
    store.set_trigger_interest(TriggerInterest::all());
    send(
        &store,
        json!({"attributes": [
            {"external_id": "moves", "email": "old@example.com", "phone": "+15550001"},
            {"external_id": "stays", "email": "stays@example.com", "n": 1},
        ]}),
    )
    .await;
    drain_triggers(&store).await;
    send(
        &store,
        json!({"attributes": [
            {"external_id": "stays", "n": 2},
            {"external_id": "moves", "email": "new@example.com", "phone": "+15550002"},
            {"external_id": "fresh", "email": "fresh@example.com"},
        ]}),
    )
    .await;
    let by = |identifier: UserIdentifier| {
        let store = store.clone();
        async move {
            store
                .find_profile(&identifier)
                .await
                .expect("find")
                .and_then(|profile| profile.external_id)
        }
    };
    let email = |address: &str| UserIdentifier::Email(address.into());
    let phone = |number: &str| UserIdentifier::Phone(number.into());
    assert_eq!(by(email("new@example.com")).await.as_deref(), Some("moves"));
    assert_eq!(by(phone("+15550002")).await.as_deref(), Some("moves"));
    assert_eq!(by(email("old@example.com")).await, None);
    assert_eq!(by(phone("+15550001")).await, None);
    assert_eq!(
        by(email("stays@example.com")).await.as_deref(),
        Some("stays")
    );
    assert_eq!(
        by(email("fresh@example.com")).await.as_deref(),
        Some("fresh")
    );
    let stays = custom(&store, "stays").await.expect("stays exists");
    assert_eq!(stays.get("n"), Some(&json!(2)));
    let triggers = drain_triggers(&store).await;
    assert!(
        triggers.iter().any(|trigger| matches!(
            &trigger.event,
            TriggerEvent::CustomAttributeChanged { name, new, .. } if name == "n" && *new == json!(2)
        )),
        "{triggers:?}"
    );
    assert!(
        triggers.iter().any(|trigger| matches!(
            &trigger.event,
            TriggerEvent::EmailAdded { email, .. } if email == "fresh@example.com"
        )),
        "{triggers:?}"
    );
}
