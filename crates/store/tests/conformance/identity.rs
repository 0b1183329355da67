//! Identity changes: merging one profile into another (attributes, history, canvas state,
//! receipts, pending jobs, counters), deprecated external ids, alias renames, profiles
//! sharing an email.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use leadwire_core::canvas::{CanvasUserState, Position};
use leadwire_core::profile::{Profile, UserAlias};
use leadwire_core::queue::CampaignTask;
use leadwire_core::track::UserIdentifier;
use leadwire_store::{
    CampaignReceipt, CanvasEntry, JobPayload, NewEvent, NewPurchase, NewTask, Queue, Store,
    StoreError, Task,
};
use serde_json::{Map, json};
use uuid::Uuid;

use crate::harness::save_profiles;

fn micros(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(time.timestamp_micros()).expect("a valid time")
}

fn alias(label: &str, name: &str) -> UserAlias {
    UserAlias {
        alias_name: name.into(),
        alias_label: label.into(),
    }
}

fn profile(external_id: Option<&str>) -> Profile {
    let mut profile = Profile::new(Uuid::now_v7(), micros(Utc::now()));
    profile.external_id = external_id.map(str::to_owned);
    profile
}

fn state(canvas: &str, step: &str, at: DateTime<Utc>) -> CanvasUserState {
    CanvasUserState {
        canvas: canvas.into(),
        entered_at: at,
        position: Position::AtStep { step: step.into() },
        arrived_at: at,
        entry_properties: Map::new(),
        event_properties: None,
        exit_requested: false,
        history: Vec::new(),
    }
}

fn event(user_id: Uuid, time: DateTime<Utc>) -> NewEvent {
    NewEvent {
        user_id,
        name: "demo".into(),
        time,
        app_id: None,
        properties: Map::new(),
    }
}

async fn find(store: &Arc<dyn Store>, identifier: UserIdentifier) -> Option<Profile> {
    store.find_profile(&identifier).await.expect("find")
}

fn external(id: &str) -> UserIdentifier {
    UserIdentifier::ExternalId(id.into())
}

pub async fn a_merge_folds_the_profile_its_history_and_journeys_into_the_kept_one(
    store: Arc<dyn Store>,
) {
    let t = micros(Utc::now()) - TimeDelta::days(1);
    let hours = TimeDelta::hours;
    let mut keep = profile(Some("keep"));
    keep.standard.insert("first_name".into(), json!("Ada"));
    keep.custom.insert("plan".into(), json!("pro"));
    keep.aliases.push(alias("crm", "k"));
    let mut gone = profile(Some("gone"));
    gone.standard.insert("first_name".into(), json!("Bob"));
    gone.standard
        .insert("email".into(), json!("bob@example.com"));
    gone.custom.insert("plan".into(), json!("free"));
    gone.custom.insert("score".into(), json!(7));
    gone.aliases.push(alias("crm", "g"));
    gone.aliases.push(alias("web", "g"));
    save_profiles(&store, &[keep.clone(), gone.clone()]).await;

    let kept_entry = CanvasEntry::new(keep.id, state("shared", "A", t));
    let dropped = CanvasEntry::new(gone.id, state("shared", "B", t + hours(1)));
    let moved = CanvasEntry::new(gone.id, state("theirs", "A", t + hours(2)));
    let mut tx = store.begin().await.expect("begin");
    tx.record_events(&[event(keep.id, t + hours(3)), event(keep.id, t + hours(4))])
        .await
        .expect("events");
    tx.record_events(&[event(gone.id, t), event(gone.id, t + hours(5))])
        .await
        .expect("events");
    tx.record_purchases(&[NewPurchase {
        user_id: gone.id,
        product_id: "seat".into(),
        currency: "USD".into(),
        price: 10.0,
        quantity: 2,
        time: t + hours(1),
        app_id: None,
        properties: Map::new(),
    }])
    .await
    .expect("purchase");
    for entry in [&kept_entry, &dropped, &moved] {
        tx.claim_canvas_entry(entry.user_id, entry.canvas(), entry.state.entered_at, None)
            .await
            .expect("claim");
        tx.save_canvas_entry(entry).await.expect("save entry");
    }
    let receipt = |received: DateTime<Utc>, pending: Option<Uuid>| CampaignReceipt {
        last_received_at: Some(received),
        last_exception_at: None,
        pending_send_id: pending,
        previous_received_at: None,
    };
    let pending = Uuid::now_v7();
    tx.save_campaign_receipt(keep.id, "both", &receipt(t + hours(1), None))
        .await
        .expect("receipt");
    tx.save_campaign_receipt(gone.id, "both", &receipt(t + hours(2), Some(pending)))
        .await
        .expect("receipt");
    tx.save_campaign_receipt(gone.id, "theirs", &receipt(t, None))
        .await
        .expect("receipt");
    let task = CampaignTask {
        campaign: "theirs".into(),
        user_id: gone.id,
        triggered_at: t,
        scheduled_at: t,
        event_properties: None,
        api_trigger_properties: None,
        tracking_send_id: None,
    };
    tx.enqueue(&NewTask::new(task, t)).await.expect("enqueue");
    tx.commit().await.expect("commit");
    let before = store.canvas_counts("shared").await.expect("counts");
    assert_eq!(before.steps.iter().map(|s| s.present).sum::<u64>(), 2);

    let mut tx = store.begin().await.expect("begin");
    let now = micros(Utc::now());
    assert!(
        tx.merge_profiles(keep.id, gone.id, now)
            .await
            .expect("merge")
    );
    assert!(
        !tx.merge_profiles(keep.id, gone.id, now)
            .await
            .expect("again")
    );
    tx.commit().await.expect("commit");

    assert_eq!(find(&store, external("gone")).await, None);
    let merged = find(&store, external("keep")).await.expect("kept");
    assert_eq!(merged.id, keep.id);
    assert_eq!(merged.standard["first_name"], json!("Ada"), "kept wins");
    assert_eq!(
        merged.standard["email"],
        json!("bob@example.com"),
        "gap filled"
    );
    assert_eq!(merged.custom["plan"], json!("pro"));
    assert_eq!(merged.custom["score"], json!(7));
    assert_eq!(merged.aliases, vec![alias("crm", "k"), alias("web", "g")]);
    let by_alias = find(&store, UserIdentifier::Alias(alias("web", "g"))).await;
    assert_eq!(by_alias.map(|p| p.id), Some(keep.id));
    assert_eq!(
        find(&store, UserIdentifier::Alias(alias("crm", "g"))).await,
        None
    );
    assert_eq!(
        find(&store, UserIdentifier::Email("bob@example.com".into()))
            .await
            .map(|p| p.id),
        Some(keep.id)
    );

    let summaries = store
        .event_summaries(keep.id, t - hours(1))
        .await
        .expect("summaries");
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].count, 4, "counts add up");
    assert_eq!(summaries[0].first, t, "first is the earlier");
    assert_eq!(summaries[0].last, t + hours(5), "last is the later");
    let purchases = store
        .purchase_summaries(keep.id, t - hours(1))
        .await
        .expect("purchases");
    assert_eq!(purchases.len(), 1);
    assert_eq!(purchases[0].count, 2);

    let entries = store.canvas_entries(keep.id, None).await.expect("entries");
    let ids: Vec<Uuid> = entries.iter().map(|entry| entry.id).collect();
    assert_eq!(
        ids,
        vec![kept_entry.id, moved.id],
        "the kept user's journey wins"
    );
    assert!(
        store
            .canvas_entries(gone.id, None)
            .await
            .expect("entries")
            .is_empty()
    );
    let after = store.canvas_counts("shared").await.expect("counts");
    let present = |counts: &leadwire_store::CanvasCounts, step: &str| {
        counts
            .steps
            .iter()
            .find(|s| s.step == step)
            .map_or(0, |s| s.present)
    };
    assert_eq!(present(&after, "A"), 1);
    assert_eq!(present(&after, "B"), 0, "the dropped entry left its step");
    let mut tx = store.begin().await.expect("begin");
    assert_eq!(
        tx.last_canvas_entry_at(keep.id, "theirs")
            .await
            .expect("mark"),
        Some(t + hours(2))
    );
    assert_eq!(
        tx.last_canvas_entry_at(keep.id, "shared")
            .await
            .expect("mark"),
        Some(t + hours(1)),
        "the later entry time"
    );
    tx.rollback().await.expect("rollback");

    let both = store
        .campaign_receipt(keep.id, "both")
        .await
        .expect("receipt");
    assert_eq!(both.last_received_at, Some(t + hours(2)));
    assert_eq!(both.pending_send_id, Some(pending));
    let theirs = store
        .campaign_receipt(keep.id, "theirs")
        .await
        .expect("receipt");
    assert_eq!(theirs.last_received_at, Some(t));
    assert_eq!(
        store
            .campaign_receipt(gone.id, "both")
            .await
            .expect("receipt"),
        CampaignReceipt::default()
    );

    let jobs = store
        .claim(
            Queue::Campaigns,
            now + hours(1),
            Duration::from_secs(60),
            10,
        )
        .await
        .expect("claim");
    assert_eq!(jobs.len(), 1, "the pending job is kept");
    match &jobs[0].payload {
        JobPayload::Task(Task::Campaign(task)) => assert_eq!(task.user_id, keep.id),
        other => panic!("a campaign task: {other:?}"),
    }
}

pub async fn a_merge_takes_over_a_claimed_job_of_the_merged_user(store: Arc<dyn Store>) {
    let keep = profile(Some("keep"));
    let gone = profile(None);
    save_profiles(&store, &[keep.clone(), gone.clone()]).await;
    let now = micros(Utc::now());
    let task = CampaignTask {
        campaign: "c".into(),
        user_id: gone.id,
        triggered_at: now,
        scheduled_at: now,
        event_properties: None,
        api_trigger_properties: None,
        tracking_send_id: None,
    };
    let mut tx = store.begin().await.expect("begin");
    tx.enqueue(&NewTask::new(task, now)).await.expect("enqueue");
    tx.commit().await.expect("commit");
    let lease = Duration::from_secs(600);
    let claimed = store
        .claim(Queue::Campaigns, now, lease, 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    let mut tx = store.begin().await.expect("begin");
    assert!(
        tx.merge_profiles(keep.id, gone.id, now)
            .await
            .expect("merge")
    );
    tx.commit().await.expect("commit");
    assert!(
        matches!(
            store.complete(&claimed[0]).await,
            Err(StoreError::LeaseLost { .. })
        ),
        "the worker that held it loses its lease"
    );
    let again = store
        .claim(Queue::Campaigns, now, lease, 10)
        .await
        .expect("claim");
    assert_eq!(again.len(), 1, "the job runs again");
    assert_eq!(again[0].payload.user_id(), Some(keep.id));
}

pub async fn a_renamed_external_id_names_its_user_until_removed(store: Arc<dyn Store>) {
    let ada = profile(Some("old"));
    save_profiles(&store, std::slice::from_ref(&ada)).await;
    let mut tx = store.begin().await.expect("begin");
    tx.rename_external_id(ada.id, "new").await.expect("rename");
    tx.commit().await.expect("commit");
    for id in ["old", "new"] {
        let found = find(&store, external(id)).await.expect("found");
        assert_eq!(found.id, ada.id, "by {id}");
        assert_eq!(found.external_id.as_deref(), Some("new"));
    }
    let mut tx = store.begin().await.expect("begin");
    assert_eq!(
        tx.find_profile(&external("old"))
            .await
            .expect("find")
            .map(|p| p.id),
        Some(ada.id)
    );
    assert_eq!(
        tx.deprecated_external_id_owners(&["old", "new", "none"])
            .await
            .expect("owners"),
        vec![("old".to_owned(), ada.id)]
    );
    assert!(
        tx.find_profiles_by_external_id(&["old"])
            .await
            .expect("bulk")
            .is_empty()
    );
    assert!(
        !tx.remove_deprecated_external_id("new")
            .await
            .expect("remove")
    );
    assert!(
        tx.remove_deprecated_external_id("old")
            .await
            .expect("remove")
    );
    tx.commit().await.expect("commit");
    assert_eq!(find(&store, external("old")).await, None);
    assert_eq!(
        find(&store, external("new")).await.map(|p| p.id),
        Some(ada.id)
    );

    let mut tx = store.begin().await.expect("begin");
    tx.rename_external_id(ada.id, "newer")
        .await
        .expect("rename");
    tx.delete_profile(ada.id).await.expect("delete");
    tx.commit().await.expect("commit");
    let mut tx = store.begin().await.expect("begin");
    assert!(
        tx.deprecated_external_id_owners(&["new"])
            .await
            .expect("owners")
            .is_empty(),
        "deleting a user drops its deprecated ids"
    );
    tx.rollback().await.expect("rollback");
}

pub async fn aliases_are_renamed_within_their_label(store: Arc<dyn Store>) {
    let mut ada = profile(None);
    ada.aliases.push(alias("crm", "a"));
    let mut bob = profile(None);
    bob.aliases.push(alias("crm", "b"));
    save_profiles(&store, &[ada.clone(), bob.clone()]).await;
    let mut tx = store.begin().await.expect("begin");
    tx.rename_alias(ada.id, &alias("crm", "a"), "a2")
        .await
        .expect("rename");
    let taken = tx.rename_alias(ada.id, &alias("crm", "a2"), "b").await;
    assert!(
        matches!(taken, Err(StoreError::AliasTaken { .. })),
        "{taken:?}"
    );
    tx.commit().await.expect("commit");
    assert_eq!(
        find(&store, UserIdentifier::Alias(alias("crm", "a"))).await,
        None
    );
    let found = find(&store, UserIdentifier::Alias(alias("crm", "a2")))
        .await
        .expect("renamed");
    assert_eq!(found.id, ada.id);
    assert_eq!(found.aliases, vec![alias("crm", "a2")]);
}

pub async fn every_profile_sharing_an_email_is_found(store: Arc<dyn Store>) {
    let mut profiles = Vec::new();
    for external_id in [None, None, Some("x")] {
        let mut shared = profile(external_id);
        shared
            .standard
            .insert("email".into(), json!("Same@Example.com"));
        profiles.push(shared);
    }
    save_profiles(&store, &profiles).await;
    let mut tx = store.begin().await.expect("begin");
    let found = tx
        .find_profiles(&UserIdentifier::Email("same@example.COM".into()))
        .await
        .expect("find");
    let mut expected: Vec<Uuid> = profiles.iter().map(|p| p.id).collect();
    expected.sort();
    assert_eq!(found.iter().map(|p| p.id).collect::<Vec<_>>(), expected);
    let one = tx.find_profiles(&external("x")).await.expect("find");
    assert_eq!(one.len(), 1);
    tx.rollback().await.expect("rollback");
}
