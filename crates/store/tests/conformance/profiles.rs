//! Profiles, identifiers, triggers in the write transaction, event history.

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use leadwire_core::attributes::{CustomAttributeChange, ProfileChanges};
use leadwire_core::profile::{Profile, UserAlias};
use leadwire_core::track::UserIdentifier;
use leadwire_core::trigger::{NameFilter, TriggerEvent, TriggerInterest, UserTrigger};
use leadwire_store::{NewEvent, NewPurchase, ProfileWrite, Queue, Store, StoreError};
use serde_json::{Map, json};
use uuid::Uuid;

use crate::harness::drain_triggers;

fn profile(external_id: Option<&str>, email: Option<&str>) -> Profile {
    let mut profile = Profile::new(Uuid::now_v7(), Utc::now());
    profile.external_id = external_id.map(str::to_owned);
    if let Some(email) = email {
        profile.standard.insert("email".into(), json!(email));
    }
    profile
}

async fn save(store: &Arc<dyn Store>, profiles: &[&Profile], changes: &ProfileChanges) {
    let mut tx = store.begin().await.expect("begin");
    let writes: Vec<ProfileWrite<'_>> = profiles
        .iter()
        .map(|profile| ProfileWrite { profile, changes })
        .collect();
    tx.save_profiles(&writes).await.expect("save profiles");
    tx.commit().await.expect("commit");
}

pub async fn profiles_are_found_by_every_identifier(store: Arc<dyn Store>) {
    let mut ada = profile(Some("ada"), Some("Ada@Example.com"));
    ada.standard.insert("phone".into(), json!("+15550001"));
    ada.aliases.push(UserAlias {
        alias_name: "a-1".into(),
        alias_label: "crm".into(),
    });
    ada.custom.insert("score".into(), json!(3));
    save(&store, &[&ada], &ProfileChanges::default()).await;

    let identifiers = [
        UserIdentifier::ExternalId("ada".into()),
        UserIdentifier::BrazeId(ada.id),
        UserIdentifier::Email("ada@example.COM".into()),
        UserIdentifier::Phone("+15550001".into()),
        UserIdentifier::Alias(UserAlias {
            alias_name: "a-1".into(),
            alias_label: "crm".into(),
        }),
    ];
    for identifier in &identifiers {
        let found = store.find_profile(identifier).await.expect("find");
        assert_eq!(found.as_ref(), Some(&ada), "by {identifier:?}");
        let mut tx = store.begin().await.expect("begin");
        let found = tx
            .find_profile(identifier)
            .await
            .expect("find in a transaction");
        assert_eq!(
            found.as_ref(),
            Some(&ada),
            "in a transaction by {identifier:?}"
        );
    }
    let missing = store
        .find_profile(&UserIdentifier::ExternalId("nobody".into()))
        .await;
    assert_eq!(missing.expect("find"), None);
    // No identifier holds a NUL, so one with a NUL names no one (PostgreSQL would refuse
    // to run the query).
    let with_nul = [
        UserIdentifier::ExternalId("ada\u{0}".into()),
        UserIdentifier::Email("ada\u{0}@example.com".into()),
        UserIdentifier::Phone("+1555\u{0}".into()),
        UserIdentifier::Alias(UserAlias {
            alias_name: "a-1\u{0}".into(),
            alias_label: "crm".into(),
        }),
    ];
    for identifier in &with_nul {
        let found = store.find_profile(identifier).await;
        assert_eq!(found.expect("a NUL names no one"), None, "{identifier:?}");
        let mut tx = store.begin().await.expect("begin");
        let found = tx.find_profile(identifier).await;
        assert_eq!(found.expect("a NUL names no one"), None, "{identifier:?}");
    }
    let mut tx = store.begin().await.expect("begin");
    let batch = tx
        .find_profiles_by_external_id(&["ada", "nobody", "ada\u{0}"])
        .await
        .expect("batch");
    assert_eq!(batch, vec![ada.clone()]);
}

pub async fn duplicate_emails_follow_brazes_rule(store: Arc<dyn Store>) {
    let now = Utc::now();
    let mut anonymous_newest = profile(None, Some("dup@example.com"));
    anonymous_newest.updated_at = now;
    let mut identified_old = profile(Some("old"), Some("dup@example.com"));
    identified_old.updated_at = now - TimeDelta::hours(2);
    let mut identified_recent = profile(Some("recent"), Some("DUP@example.com"));
    identified_recent.updated_at = now - TimeDelta::hours(1);
    save(
        &store,
        &[&anonymous_newest, &identified_old, &identified_recent],
        &ProfileChanges::default(),
    )
    .await;
    let found = store
        .find_profile(&UserIdentifier::Email("dup@example.com".into()))
        .await
        .expect("find");
    assert_eq!(found.map(|p| p.id), Some(identified_recent.id));

    let mut anonymous_old = profile(None, Some("anon@example.com"));
    anonymous_old.updated_at = now - TimeDelta::hours(1);
    let anonymous_new = profile(None, Some("anon@example.com"));
    save(
        &store,
        &[&anonymous_old, &anonymous_new],
        &ProfileChanges::default(),
    )
    .await;
    let found = store
        .find_profile(&UserIdentifier::Email("anon@example.com".into()))
        .await
        .expect("find");
    assert_eq!(found.map(|p| p.id), Some(anonymous_new.id));
}

fn changes() -> ProfileChanges {
    ProfileChanges {
        email_added: Some("t@example.com".into()),
        custom_changed: vec![
            CustomAttributeChange {
                name: "lead_score".into(),
                old: None,
                new: json!(10),
            },
            CustomAttributeChange {
                name: "stage".into(),
                old: Some(json!("new")),
                new: json!("mql"),
            },
        ],
    }
}

pub async fn triggers_commit_and_roll_back_with_the_profile(store: Arc<dyn Store>) {
    let rolled_back = profile(Some("rolled-back"), Some("t@example.com"));
    {
        let mut tx = store.begin().await.expect("begin");
        let changes = changes();
        tx.save_profiles(&[ProfileWrite {
            profile: &rolled_back,
            changes: &changes,
        }])
        .await
        .expect("save");
        // dropped without commit
    }
    assert_eq!(
        store
            .find_profile(&UserIdentifier::ExternalId("rolled-back".into()))
            .await
            .expect("find"),
        None
    );
    assert_eq!(
        store.pending_jobs(Queue::Triggers).await.expect("pending"),
        0
    );

    let committed = profile(Some("committed"), Some("t@example.com"));
    save(&store, &[&committed], &changes()).await;
    let triggers = drain_triggers(&store).await;
    assert_eq!(triggers.len(), 3, "{triggers:?}");
    let committed_trigger = |event| UserTrigger {
        user_id: committed.id,
        event,
    };
    assert!(
        triggers.contains(&committed_trigger(TriggerEvent::EmailAdded {
            email: "t@example.com".into()
        }))
    );
    assert!(
        triggers.contains(&committed_trigger(TriggerEvent::CustomAttributeChanged {
            name: "stage".into(),
            old: Some(json!("new")),
            new: json!("mql"),
        }))
    );
}

pub async fn the_interest_filter_limits_triggers(store: Arc<dyn Store>) {
    store.set_trigger_interest(TriggerInterest {
        email_added: false,
        custom_attributes: NameFilter::only(["stage"]),
        custom_events: NameFilter::only(["demo_requested"]),
        purchases: NameFilter::none(),
    });
    let user = profile(Some("filtered"), Some("t@example.com"));
    save(&store, &[&user], &changes()).await;
    let mut tx = store.begin().await.expect("begin");
    let event = |name: &str| NewEvent {
        user_id: user.id,
        name: name.into(),
        time: Utc::now(),
        app_id: None,
        properties: Map::new(),
    };
    tx.record_events(&[event("page_view"), event("demo_requested")])
        .await
        .expect("events");
    tx.record_purchases(&[NewPurchase {
        user_id: user.id,
        product_id: "plan".into(),
        currency: "USD".into(),
        price: 10.0,
        quantity: 1,
        time: Utc::now(),
        app_id: None,
        properties: Map::new(),
    }])
    .await
    .expect("purchases");
    tx.commit().await.expect("commit");
    let triggers = drain_triggers(&store).await;
    let names: Vec<&str> = triggers
        .iter()
        .map(|trigger| match &trigger.event {
            TriggerEvent::CustomAttributeChanged { name, .. }
            | TriggerEvent::CustomEventPerformed { name, .. } => name.as_str(),
            TriggerEvent::EmailAdded { .. } => "email",
            TriggerEvent::PurchaseMade { .. } => "purchase",
        })
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names.contains(&"stage") && names.contains(&"demo_requested"),
        "{names:?}"
    );
    assert_eq!(
        store
            .events(user.id, None, None)
            .await
            .expect("events")
            .len(),
        2,
        "history is kept whatever the filter"
    );
}

pub async fn event_history_counts_and_summaries(store: Arc<dyn Store>) {
    let user = profile(Some("history"), None);
    save(&store, &[&user], &ProfileChanges::default()).await;
    let now = Utc::now();
    let at = |days: i64| now - TimeDelta::days(days);
    let mut tx = store.begin().await.expect("begin");
    let events: Vec<NewEvent> = [(10, "visit"), (3, "visit"), (1, "visit"), (2, "demo")]
        .into_iter()
        .map(|(days, name)| NewEvent {
            user_id: user.id,
            name: name.into(),
            time: at(days),
            app_id: None,
            properties: json!({"days": days})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    tx.record_events(&events).await.expect("events");
    let purchase = |product: &str, quantity: u32, days: i64| NewPurchase {
        user_id: user.id,
        product_id: product.into(),
        currency: "EUR".into(),
        price: 5.5,
        quantity,
        time: at(days),
        app_id: None,
        properties: Map::new(),
    };
    tx.record_purchases(&[purchase("seat", 3, 4), purchase("seat", 1, 1)])
        .await
        .expect("purchases");
    tx.commit().await.expect("commit");

    assert_eq!(
        store
            .count_events_since(user.id, "visit", at(7))
            .await
            .expect("count"),
        2
    );
    assert_eq!(
        store
            .count_events_since(user.id, "visit", at(30))
            .await
            .expect("count"),
        3
    );
    assert_eq!(
        store
            .count_events_since(user.id, "demo", at(1))
            .await
            .expect("count"),
        0
    );
    let visits = store
        .events(user.id, Some("visit"), Some(at(5)))
        .await
        .expect("events");
    assert_eq!(visits.len(), 2);
    assert!(visits[0].time < visits[1].time);
    assert_eq!(visits[0].properties.get("days"), Some(&json!(3)));
    let summaries = store
        .event_summaries(user.id, at(90))
        .await
        .expect("summaries");
    assert_eq!(summaries.len(), 2);
    assert_eq!(summaries[1].name, "visit");
    assert_eq!(summaries[1].count, 3);
    assert_eq!(
        summaries[1].first.timestamp_micros(),
        at(10).timestamp_micros()
    );
    let purchases = store
        .purchase_summaries(user.id, at(90))
        .await
        .expect("purchases");
    assert_eq!(purchases.len(), 1);
    assert_eq!(purchases[0].count, 4);
    let recent = store.recent_events(user.id, 3).await.expect("recent");
    let days: Vec<_> = recent
        .iter()
        .map(|event| (event.name.as_str(), event.properties["days"].clone()))
        .collect();
    assert_eq!(
        days,
        [("visit", json!(1)), ("demo", json!(2)), ("visit", json!(3))],
        "newest first, at most the limit"
    );
    let other = Uuid::new_v4();
    assert!(
        store
            .recent_events(other, 3)
            .await
            .expect("none")
            .is_empty()
    );
}

pub async fn delete_removes_profile_aliases_and_history(store: Arc<dyn Store>) {
    let mut user = profile(Some("doomed"), None);
    user.aliases.push(UserAlias {
        alias_name: "d".into(),
        alias_label: "crm".into(),
    });
    save(&store, &[&user], &ProfileChanges::default()).await;
    let mut tx = store.begin().await.expect("begin");
    tx.record_events(&[NewEvent {
        user_id: user.id,
        name: "x".into(),
        time: Utc::now(),
        app_id: None,
        properties: Map::new(),
    }])
    .await
    .expect("event");
    assert!(tx.delete_profile(user.id).await.expect("delete"));
    assert!(!tx.delete_profile(user.id).await.expect("delete again"));
    tx.commit().await.expect("commit");
    assert_eq!(
        store
            .find_profile(&UserIdentifier::BrazeId(user.id))
            .await
            .expect("find"),
        None
    );
    let alias = UserIdentifier::Alias(UserAlias {
        alias_name: "d".into(),
        alias_label: "crm".into(),
    });
    assert_eq!(store.find_profile(&alias).await.expect("find"), None);
    assert!(
        store
            .events(user.id, None, None)
            .await
            .expect("events")
            .is_empty()
    );
}

pub async fn aliases_belong_to_one_user(store: Arc<dyn Store>) {
    let first = profile(Some("first"), None);
    let second = profile(Some("second"), None);
    save(&store, &[&first, &second], &ProfileChanges::default()).await;
    let alias = UserAlias {
        alias_name: "shared".into(),
        alias_label: "crm".into(),
    };
    let mut tx = store.begin().await.expect("begin");
    tx.add_alias(first.id, &alias).await.expect("add alias");
    tx.add_alias(first.id, &alias)
        .await
        .expect("adding it again is a no-op");
    let taken = tx.add_alias(second.id, &alias).await;
    assert!(
        matches!(taken, Err(StoreError::AliasTaken { .. })),
        "{taken:?}"
    );
    tx.commit().await.expect("commit");
    let found = store
        .find_profile(&UserIdentifier::Alias(alias.clone()))
        .await
        .expect("find");
    let found = found.expect("the alias names the first user");
    assert_eq!(found.id, first.id);
    assert_eq!(found.aliases, vec![alias]);
}
