//! Campaign and Canvas runtime state: canvas entries, campaign receipts, rate windows, and
//! completing a job inside the transaction of its effects.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use leadwire_core::campaign::RateWindow;
use leadwire_core::canvas::{CanvasUserState, ExitReason, Position, TimedEvent};
use leadwire_core::profile::Profile;
use leadwire_core::trigger::TriggerEvent;
use leadwire_store::{CampaignReceipt, CanvasEntry, Queue, Store, StoreError};
use serde_json::{Map, json};
use uuid::Uuid;

/// Now, at the stored precision (microseconds).
fn now_micros() -> chrono::DateTime<Utc> {
    chrono::DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).expect("a valid time")
}

fn state(canvas: &str, step: &str, entered_at: chrono::DateTime<Utc>) -> CanvasUserState {
    let mut entry_properties = Map::new();
    entry_properties.insert("source".into(), json!("webinar"));
    CanvasUserState {
        canvas: canvas.into(),
        entered_at,
        position: Position::AtStep { step: step.into() },
        arrived_at: entered_at,
        entry_properties,
        event_properties: None,
        exit_requested: false,
        history: Vec::new(),
    }
}

pub async fn canvas_entries_round_trip_and_track_activity(store: Arc<dyn Store>) {
    let user = Uuid::now_v7();
    let now = now_micros();
    let mut first = CanvasEntry::new(user, state("scoring", "Score", now));
    first.awaiting_action = true;
    first.actions.push(TimedEvent {
        time: now,
        event: TriggerEvent::EmailAdded {
            email: "ada@example.com".into(),
        },
    });
    let second = CanvasEntry::new(user, state("scoring", "Score", now + TimeDelta::seconds(5)));
    let other = CanvasEntry::new(user, state("welcome", "Send", now + TimeDelta::seconds(1)));
    let mut tx = store.begin().await.expect("begin");
    for entry in [&first, &second, &other] {
        tx.save_canvas_entry(entry).await.expect("save entry");
    }
    tx.commit().await.expect("commit");

    let mut tx = store.begin().await.expect("begin");
    let loaded = tx.canvas_entry(first.id).await.expect("load");
    assert_eq!(loaded.as_ref(), Some(&first));
    assert_eq!(tx.canvas_entry(Uuid::now_v7()).await.expect("load"), None);
    let active = tx.active_canvas_entries(user).await.expect("active");
    assert_eq!(
        active.iter().map(|entry| entry.id).collect::<Vec<_>>(),
        vec![first.id, other.id, second.id],
        "oldest first"
    );
    assert_eq!(
        tx.last_canvas_entry_at(user, "unknown")
            .await
            .expect("last entry"),
        None
    );

    let mut exited = first.clone();
    exited
        .state
        .exit(ExitReason::PathEnded, now + TimeDelta::minutes(1));
    exited.awaiting_action = false;
    exited.actions.clear();
    tx.save_canvas_entry(&exited).await.expect("update entry");
    tx.commit().await.expect("commit");

    let mut tx = store.begin().await.expect("begin");
    let active = tx.active_canvas_entries(user).await.expect("active");
    assert_eq!(active.len(), 2, "the exited entry is no longer active");
    drop(tx);
    let all = store
        .canvas_entries(user, Some("scoring"))
        .await
        .expect("entries");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], exited, "the update replaced the row");
    let every = store.canvas_entries(user, None).await.expect("entries");
    assert_eq!(every.len(), 3);
}

pub async fn campaign_receipts_and_rate_windows_are_kept(store: Arc<dyn Store>) {
    let user = Uuid::now_v7();
    let now = now_micros();
    let empty = store
        .campaign_receipt(user, "new-lead")
        .await
        .expect("receipt");
    assert_eq!(empty, CampaignReceipt::default());
    let pending = Uuid::now_v7();
    let receipt = CampaignReceipt {
        last_received_at: Some(now),
        last_exception_at: None,
        pending_send_id: Some(pending),
        previous_received_at: Some(now - TimeDelta::hours(1)),
    };
    let mut tx = store.begin().await.expect("begin");
    tx.save_campaign_receipt(user, "new-lead", &receipt)
        .await
        .expect("save receipt");
    let window = RateWindow {
        minute_start: Some(now),
        sent: 7,
    };
    assert_eq!(
        tx.rate_window("new-lead").await.expect("window"),
        RateWindow::default()
    );
    tx.save_rate_window("new-lead", &window)
        .await
        .expect("save window");
    tx.commit().await.expect("commit");

    let mut tx = store.begin().await.expect("begin");
    let read = tx
        .campaign_receipt(user, "new-lead")
        .await
        .expect("receipt");
    assert_eq!(
        read.last_received_at.map(|t| t.timestamp_micros()),
        Some(now.timestamp_micros())
    );
    assert_eq!(read.pending_send_id, Some(pending));
    assert_eq!(read.previous_received_at, receipt.previous_received_at);
    let updated = CampaignReceipt {
        last_exception_at: Some(now + TimeDelta::seconds(3)),
        ..read
    };
    tx.save_campaign_receipt(user, "new-lead", &updated)
        .await
        .expect("update receipt");
    let read_window = tx.rate_window("new-lead").await.expect("window");
    assert_eq!(read_window.sent, 7);
    tx.commit().await.expect("commit");
    let stored = store
        .campaign_receipt(user, "new-lead")
        .await
        .expect("receipt");
    assert_eq!(stored, updated);
    let other_user = store
        .campaign_receipt(Uuid::now_v7(), "new-lead")
        .await
        .expect("receipt");
    assert_eq!(other_user, CampaignReceipt::default());
}

pub async fn reentry_claims_are_atomic(store: Arc<dyn Store>) {
    let user = Uuid::now_v7();
    let now = now_micros();
    let mut tx = store.begin().await.expect("begin");
    assert!(
        tx.claim_canvas_entry(user, "once", now, None)
            .await
            .expect("claim"),
        "a first entry is always claimed"
    );
    // A second claim starts while the first is uncommitted: it waits for it (the row lock
    // on PostgreSQL, the single writer on SQLite) and then finds the mark.
    let racer = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut tx = store.begin().await.expect("begin");
            let claimed = tx
                .claim_canvas_entry(user, "once", now + TimeDelta::seconds(1), None)
                .await
                .expect("claim");
            tx.commit().await.expect("commit");
            claimed
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    tx.commit().await.expect("commit");
    assert!(!racer.await.expect("the racer finishes"), "once means once");

    let mut tx = store.begin().await.expect("begin");
    let later = now + TimeDelta::minutes(10);
    let window = TimeDelta::minutes(5);
    assert!(
        !tx.claim_canvas_entry(user, "once", later, None)
            .await
            .expect("claim")
    );
    assert!(
        tx.claim_canvas_entry(user, "windowed", now, Some(now - window))
            .await
            .expect("claim")
    );
    assert!(
        !tx.claim_canvas_entry(
            user,
            "windowed",
            now + TimeDelta::minutes(4),
            Some(now - TimeDelta::minutes(1))
        )
        .await
        .expect("claim"),
        "inside the re-entry window"
    );
    assert!(
        tx.claim_canvas_entry(user, "windowed", later, Some(later - window))
            .await
            .expect("claim"),
        "after the window"
    );
    assert_eq!(
        tx.last_canvas_entry_at(user, "windowed")
            .await
            .expect("last entry"),
        Some(later)
    );
    assert_eq!(
        tx.last_canvas_entry_at(user, "once")
            .await
            .expect("last entry"),
        Some(now)
    );
    assert_eq!(
        tx.last_canvas_entry_at(Uuid::now_v7(), "once")
            .await
            .expect("last entry"),
        None
    );
    tx.commit().await.expect("commit");
}

pub async fn exited_entries_are_pruned_and_profiles_paged(store: Arc<dyn Store>) {
    let user = Uuid::now_v7();
    let now = now_micros();
    let waiting = CanvasEntry::new(user, state("scoring", "Score", now));
    let mut old = CanvasEntry::new(user, state("scoring", "Score", now));
    old.state
        .exit(ExitReason::PathEnded, now - TimeDelta::days(40));
    let mut recent = CanvasEntry::new(user, state("scoring", "Score", now));
    recent
        .state
        .exit(ExitReason::PathEnded, now - TimeDelta::days(1));
    let mut tx = store.begin().await.expect("begin");
    for entry in [&waiting, &old, &recent] {
        tx.save_canvas_entry(entry).await.expect("save entry");
    }
    tx.commit().await.expect("commit");
    let pruned = store
        .prune_canvas_entries(now - TimeDelta::days(30), 100)
        .await
        .expect("prune");
    assert_eq!(pruned, 1);
    let left: Vec<Uuid> = store
        .canvas_entries(user, None)
        .await
        .expect("entries")
        .iter()
        .map(|entry| entry.id)
        .collect();
    assert_eq!(left, vec![waiting.id, recent.id]);

    let mut ids: Vec<Uuid> = (0..5).map(|_| Uuid::new_v4()).collect();
    let profiles: Vec<Profile> = ids.iter().map(|id| Profile::new(*id, now)).collect();
    crate::harness::save_profiles(&store, &profiles).await;
    ids.sort_by_key(|id| id.to_string());
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = store.profile_ids_after(after, 2).await.expect("page");
        assert!(page.len() <= 2);
        let Some(last) = page.last() else { break };
        after = Some(*last);
        paged.extend(page);
    }
    assert_eq!(paged, ids, "every profile once, in id order");
}

pub async fn a_job_completes_with_its_transaction(store: Arc<dyn Store>) {
    let now = now_micros();
    let mut tx = store.begin().await.expect("begin");
    tx.enqueue(&crate::harness::new_task(Queue::Canvas, 1, now))
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    let lease = Duration::from_secs(30);
    let job = store
        .claim(Queue::Canvas, now, lease, 1)
        .await
        .expect("claim")
        .pop()
        .expect("a ready job");

    let mut tx = store.begin().await.expect("begin");
    tx.complete_job(&job).await.expect("complete in tx");
    drop(tx);
    assert_eq!(
        store.pending_jobs(Queue::Canvas).await.expect("pending"),
        1,
        "a rolled-back completion leaves the job"
    );

    let mut tx = store.begin().await.expect("begin");
    tx.complete_job(&job).await.expect("complete in tx");
    tx.commit().await.expect("commit");
    assert_eq!(store.pending_jobs(Queue::Canvas).await.expect("pending"), 0);

    let mut tx = store.begin().await.expect("begin");
    let again = tx.complete_job(&job).await;
    assert!(
        matches!(again, Err(StoreError::LeaseLost { job_id }) if job_id == job.id),
        "{again:?}"
    );
}

pub async fn deleting_a_profile_removes_its_journey_state(store: Arc<dyn Store>) {
    let user = Uuid::now_v7();
    let now = now_micros();
    let entry = CanvasEntry::new(user, state("scoring", "Score", now));
    let mut tx = store.begin().await.expect("begin");
    tx.save_canvas_entry(&entry).await.expect("save entry");
    let receipt = CampaignReceipt {
        last_received_at: Some(now),
        ..CampaignReceipt::default()
    };
    tx.save_campaign_receipt(user, "new-lead", &receipt)
        .await
        .expect("save receipt");
    tx.commit().await.expect("commit");
    let mut tx = store.begin().await.expect("begin");
    tx.delete_profile(user).await.expect("delete");
    tx.commit().await.expect("commit");
    assert!(
        store
            .canvas_entries(user, None)
            .await
            .expect("entries")
            .is_empty()
    );
    assert_eq!(
        store
            .campaign_receipt(user, "new-lead")
            .await
            .expect("receipt"),
        CampaignReceipt::default()
    );
}
