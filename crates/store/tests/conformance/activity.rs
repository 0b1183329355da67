//! The message activity log: filters, pages, follow cursors, pruning, and job endings
//! written in the transaction that records them.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use leadwire_core::activity::{ActivityEntry, ActivityType, MessageSource, RecordedResponse};
use leadwire_store::{ActivityQuery, JobFinish, Queue, Store};
use uuid::Uuid;

pub fn entry(
    time: DateTime<Utc>,
    kind: ActivityType,
    source: MessageSource,
    user: Uuid,
) -> ActivityEntry {
    ActivityEntry {
        id: Uuid::now_v7(),
        time,
        activity_type: kind,
        source,
        user_id: user,
        external_id: Some(format!("ext-{user}")),
        template: "Create Lead".into(),
        message: "Required fields are missing: [Company]".into(),
        attempt: 1,
        status: Some(if kind == ActivityType::Success {
            201
        } else {
            400
        }),
        duration_ms: 12,
        request: None,
        response: Some(RecordedResponse {
            status: 400,
            headers: vec![("content-type".into(), "application/json".into())],
            body: "[]".into(),
        }),
        send_id: Uuid::new_v4(),
        trigger_properties: None,
        tracking_send_id: None,
    }
}

pub async fn record(store: &Arc<dyn Store>, entries: &[ActivityEntry]) {
    let mut tx = store.begin().await.expect("begin");
    tx.record_activity(entries).await.expect("record");
    tx.commit().await.expect("commit");
}

pub fn campaign(name: &str) -> MessageSource {
    MessageSource::Campaign {
        campaign: name.into(),
    }
}

pub async fn activity_is_filtered_and_paged_newest_first(store: Arc<dyn Store>) {
    let start = Utc::now() - TimeDelta::hours(1);
    let alice = Uuid::new_v4();
    let bob = Uuid::new_v4();
    let mut entries = Vec::new();
    for i in 0..5 {
        let time = start + TimeDelta::seconds(i);
        entries.push(entry(
            time,
            ActivityType::Success,
            campaign("new_lead"),
            alice,
        ));
        entries.push(entry(
            time,
            ActivityType::WebhookError,
            MessageSource::Canvas {
                canvas: "scoring".into(),
                step: "update".into(),
            },
            bob,
        ));
    }
    record(&store, &entries).await;

    let all = store
        .activity(&ActivityQuery::default())
        .await
        .expect("query");
    assert_eq!(all.entries.len(), 10);
    assert!(
        all.entries.windows(2).all(|w| w[0].time >= w[1].time),
        "newest first"
    );
    assert_eq!(all.next, None);
    let stored = entries
        .iter()
        .find(|e| e.id == all.entries[0].id)
        .expect("known id");
    assert_eq!(&all.entries[0], stored, "entries round-trip whole");

    let errors = ActivityQuery {
        activity_type: Some(ActivityType::WebhookError),
        ..Default::default()
    };
    let page = store.activity(&errors).await.expect("query");
    assert!(page.entries.iter().all(|e| e.user_id == bob));
    assert_eq!(page.entries.len(), 5);

    let by_step = ActivityQuery {
        canvas: Some("scoring".into()),
        step: Some("update".into()),
        status: Some(400),
        ..Default::default()
    };
    assert_eq!(
        store.activity(&by_step).await.expect("query").entries.len(),
        5
    );
    let by_campaign = ActivityQuery {
        campaign: Some("new_lead".into()),
        ..Default::default()
    };
    assert_eq!(
        store
            .activity(&by_campaign)
            .await
            .expect("query")
            .entries
            .len(),
        5
    );
    // No stored text holds a NUL, so a filter with one finds nothing (PostgreSQL would
    // refuse to run the query).
    for nul in [
        ActivityQuery {
            user: Some(format!("ext-{alice}\u{0}")),
            ..Default::default()
        },
        ActivityQuery {
            campaign: Some("\u{0}".into()),
            canvas: Some("scoring\u{0}".into()),
            step: Some("\u{0}".into()),
            ..Default::default()
        },
    ] {
        let page = store.activity(&nul).await.expect("a NUL matches nothing");
        assert!(page.entries.is_empty(), "{nul:?}");
    }
    for user in [alice.to_string(), format!("ext-{alice}")] {
        let by_user = ActivityQuery {
            user: Some(user),
            ..Default::default()
        };
        let found = store.activity(&by_user).await.expect("query").entries;
        assert_eq!(found.len(), 5);
        assert!(found.iter().all(|e| e.user_id == alice));
    }
    let since = ActivityQuery {
        since: Some(start + TimeDelta::seconds(3)),
        ..Default::default()
    };
    assert_eq!(
        store.activity(&since).await.expect("query").entries.len(),
        4
    );

    // Pages of 3 cover every entry once.
    let mut seen = Vec::new();
    let mut query = ActivityQuery {
        limit: 3,
        ..Default::default()
    };
    loop {
        let page = store.activity(&query).await.expect("page");
        seen.extend(page.entries.iter().map(|e| e.id));
        match page.next {
            Some(cursor) => query.before = Some(cursor),
            None => break,
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 10);

    // Following: entries after a cursor, oldest first.
    let newest = all.entries[0].clone();
    let later = entry(
        newest.time + TimeDelta::seconds(1),
        ActivityType::AbortedMessage,
        campaign("x"),
        alice,
    );
    record(&store, std::slice::from_ref(&later)).await;
    let follow = ActivityQuery {
        after: Some(leadwire_store::ActivityCursor::of(&newest)),
        ..Default::default()
    };
    let new = store.activity(&follow).await.expect("follow").entries;
    assert_eq!(new.iter().map(|e| e.id).collect::<Vec<_>>(), vec![later.id]);
    assert_eq!(
        store.activity_entry(later.id).await.expect("get"),
        Some(later)
    );
    assert_eq!(
        store.activity_entry(Uuid::new_v4()).await.expect("get"),
        None
    );
}

pub async fn old_activity_is_pruned(store: Arc<dyn Store>) {
    let now = Utc::now();
    let user = Uuid::new_v4();
    let at = |days: i64| {
        entry(
            now - TimeDelta::days(days),
            ActivityType::Success,
            campaign("c"),
            user,
        )
    };
    let tracked = |days: i64| ActivityEntry {
        tracking_send_id: Some("spring".into()),
        ..at(days)
    };
    let old = at(8);
    let fresh = at(1);
    let untracked_10_days = at(10);
    let tracked_10_days = tracked(10);
    let tracked_15_days = tracked(15);
    record(
        &store,
        &[
            old.clone(),
            fresh.clone(),
            untracked_10_days.clone(),
            tracked_10_days.clone(),
            tracked_15_days.clone(),
        ],
    )
    .await;
    let pruned = store
        .prune_activity(now - TimeDelta::days(7), now - TimeDelta::days(14))
        .await
        .expect("prune");
    assert_eq!(pruned, 3);
    for gone in [&old, &untracked_10_days, &tracked_15_days] {
        assert_eq!(store.activity_entry(gone.id).await.expect("get"), None);
    }
    for kept in [&fresh, &tracked_10_days] {
        assert!(store.activity_entry(kept.id).await.expect("get").is_some());
    }

    // A retention longer than Braze's days keeps tracked entries as long as the rest.
    let tracked_20_days = tracked(20);
    record(&store, std::slice::from_ref(&tracked_20_days)).await;
    let pruned = store
        .prune_activity(now - TimeDelta::days(30), now - TimeDelta::days(14))
        .await
        .expect("prune");
    assert_eq!(pruned, 0);
    assert!(
        store
            .activity_entry(tracked_20_days.id)
            .await
            .expect("get")
            .is_some()
    );
}

pub async fn jobs_end_in_the_transaction_that_records_them(store: Arc<dyn Store>) {
    let now = Utc::now();
    let mut tx = store.begin().await.expect("begin");
    for n in 0..4 {
        tx.enqueue(&crate::harness::new_task(Queue::Sends, n, now))
            .await
            .expect("enqueue");
    }
    tx.commit().await.expect("commit");
    let lease = Duration::from_secs(60);
    let jobs = store
        .claim(Queue::Sends, now, lease, 4)
        .await
        .expect("claim");
    assert_eq!(jobs.len(), 4);
    let user = Uuid::new_v4();

    // A rolled-back ending changes nothing.
    let mut tx = store.begin().await.expect("begin");
    assert!(
        tx.finish_job(&jobs[0], &JobFinish::Complete)
            .await
            .expect("finish")
    );
    tx.record_activity(&[entry(now, ActivityType::Success, campaign("c"), user)])
        .await
        .expect("record");
    drop(tx);
    assert_eq!(store.pending_jobs(Queue::Sends).await.expect("pending"), 4);
    assert!(
        store
            .activity(&ActivityQuery::default())
            .await
            .expect("q")
            .entries
            .is_empty()
    );

    let later = now + TimeDelta::minutes(5);
    let mut tx = store.begin().await.expect("begin");
    assert!(
        tx.finish_job(&jobs[0], &JobFinish::Complete)
            .await
            .expect("complete")
    );
    let retry = JobFinish::RetryAt {
        at: later,
        error: "HTTP 503".into(),
    };
    assert!(tx.finish_job(&jobs[1], &retry).await.expect("retry"));
    let defer = JobFinish::Defer {
        at: later,
        reason: "host paused".into(),
    };
    assert!(tx.finish_job(&jobs[2], &defer).await.expect("defer"));
    let fail = JobFinish::Fail {
        error: "HTTP 400".into(),
        now,
    };
    assert!(tx.finish_job(&jobs[3], &fail).await.expect("fail"));
    tx.enqueue(&crate::harness::new_task(Queue::Canvas, 1, now))
        .await
        .expect("follow-up");
    tx.record_activity(&[entry(now, ActivityType::Success, campaign("c"), user)])
        .await
        .expect("record");
    tx.commit().await.expect("commit");

    // The lease is gone: a second ending is refused without an error.
    let mut tx = store.begin().await.expect("begin");
    assert!(
        !tx.finish_job(&jobs[0], &JobFinish::Complete)
            .await
            .expect("stale")
    );
    tx.commit().await.expect("commit");

    assert_eq!(store.pending_jobs(Queue::Sends).await.expect("pending"), 2);
    assert_eq!(store.pending_jobs(Queue::Canvas).await.expect("pending"), 1);
    assert_eq!(
        store.failed_jobs(Queue::Sends).await.expect("failed").len(),
        1
    );
    let again = store
        .claim(Queue::Sends, later, lease, 10)
        .await
        .expect("claim");
    let mut attempts: Vec<(i64, u32)> = again.iter().map(|job| (job.id, job.attempts)).collect();
    attempts.sort();
    // The retried job counts both claims; the deferred one only its second.
    assert_eq!(attempts, vec![(jobs[1].id, 2), (jobs[2].id, 1)]);
    // Each claim hands back what the previous ending noted.
    let mut notes: Vec<(i64, Option<&str>)> = again
        .iter()
        .map(|job| (job.id, job.last_note.as_deref()))
        .collect();
    notes.sort();
    assert_eq!(
        notes,
        vec![
            (jobs[1].id, Some("HTTP 503")),
            (jobs[2].id, Some("host paused"))
        ]
    );
    assert!(jobs.iter().all(|job| job.last_note.is_none()), "{jobs:?}");
}

pub async fn test_sends_round_trip_and_count_toward_no_journey(store: Arc<dyn Store>) {
    let user = Uuid::new_v4();
    let test = entry(
        Utc::now(),
        ActivityType::Success,
        MessageSource::Test {
            operator: "operators".into(),
        },
        user,
    );
    let sent = entry(
        Utc::now(),
        ActivityType::Success,
        campaign("Hand-off"),
        user,
    );
    record(&store, &[test.clone(), sent]).await;
    assert_eq!(
        store.activity_entry(test.id).await.expect("get"),
        Some(test.clone()),
        "the test source is kept whole"
    );
    let of_user = ActivityQuery {
        user: Some(user.to_string()),
        ..Default::default()
    };
    assert_eq!(
        store.activity(&of_user).await.expect("query").entries.len(),
        2
    );
    let of_send = ActivityQuery {
        send_id: Some(test.send_id),
        ..Default::default()
    };
    let found = store.activity(&of_send).await.expect("query").entries;
    assert_eq!(found.iter().map(|e| e.id).collect::<Vec<_>>(), [test.id]);
    let by_campaign = ActivityQuery {
        campaign: Some("Hand-off".into()),
        ..Default::default()
    };
    let found = store.activity(&by_campaign).await.expect("query").entries;
    assert_eq!(found.len(), 1);
    assert!(
        !found[0].source.is_test(),
        "a test send counts toward no campaign"
    );
}
