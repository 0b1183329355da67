//! Braze's send ids: registrations up to a daily limit (alone and concurrently), and a
//! tracked send's figures per day read back from the activity log.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use leadwire_core::activity::{ActivityEntry, ActivityType};
use leadwire_store::{
    ActivityQuery, DayCount, SendIdOutcome, SendIdRegistration, Store, TrackedSendCount,
    TrackedSendQuery,
};
use uuid::Uuid;

use crate::activity::{campaign, entry, record};

fn noon(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, 12, 0, 0)
        .single()
        .expect("a valid time")
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, day).expect("a valid date")
}

async fn register(
    store: &Arc<dyn Store>,
    campaign_id: &str,
    send_id: &str,
    now: DateTime<Utc>,
) -> SendIdRegistration {
    store
        .register_send_id(campaign_id, send_id, 3, now)
        .await
        .expect("register")
}

fn outcome(outcome: SendIdOutcome, created_today: u32) -> SendIdRegistration {
    SendIdRegistration {
        outcome,
        created_today,
    }
}

pub async fn send_ids_are_registered_up_to_a_daily_limit(store: Arc<dyn Store>) {
    use SendIdOutcome::{AlreadyRegistered, Created, OverDailyLimit};
    let today = noon(3);
    assert_eq!(
        register(&store, "spring", "a", today).await,
        outcome(Created, 1)
    );
    assert_eq!(
        register(&store, "spring", "b", today).await,
        outcome(Created, 2)
    );
    // The same send id under another campaign is another pair.
    assert_eq!(
        register(&store, "autumn", "a", today).await,
        outcome(Created, 3)
    );
    assert_eq!(
        register(&store, "spring", "a", today).await,
        outcome(AlreadyRegistered, 3),
        "a pair registered again is free"
    );
    assert_eq!(
        register(&store, "spring", "c", today).await,
        outcome(OverDailyLimit, 3)
    );
    assert_eq!(
        register(&store, "spring", "c", today).await,
        outcome(OverDailyLimit, 3),
        "a refused pair was not kept"
    );
    let tomorrow = today + TimeDelta::days(1);
    assert_eq!(
        register(&store, "spring", "c", tomorrow).await,
        outcome(Created, 1),
        "the limit is per UTC day"
    );
    assert_eq!(
        register(&store, "spring", "c", tomorrow).await,
        outcome(AlreadyRegistered, 1)
    );
}

pub async fn concurrent_registrations_never_pass_the_limit(store: Arc<dyn Store>) {
    let now = noon(4);
    let mut tasks = Vec::new();
    for n in 0..12 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .register_send_id("spring", &format!("send-{n}"), 5, now)
                .await
                .expect("register")
        }));
    }
    let mut created = 0;
    for task in tasks {
        let registration = task.await.expect("joined");
        assert!(registration.created_today <= 5, "{registration:?}");
        created += usize::from(registration.outcome == SendIdOutcome::Created);
    }
    assert_eq!(created, 5, "exactly the limit is registered");
}

fn tracked(
    time: DateTime<Utc>,
    kind: ActivityType,
    campaign_name: &str,
    send_id: Option<&str>,
    user: Uuid,
) -> ActivityEntry {
    let mut entry = entry(time, kind, campaign(campaign_name), user);
    entry.tracking_send_id = send_id.map(str::to_owned);
    entry
}

pub async fn a_tracked_send_is_counted_per_day(store: Arc<dyn Store>) {
    let (ada, bob) = (Uuid::new_v4(), Uuid::new_v4());
    let spring = Some("spring-1");
    record(
        &store,
        &[
            // Day 1: ada's send failed, then went through; bob's was aborted.
            tracked(noon(1), ActivityType::WebhookError, "Spring", spring, ada),
            tracked(
                noon(1) + TimeDelta::minutes(5),
                ActivityType::Success,
                "Spring",
                spring,
                ada,
            ),
            tracked(noon(1), ActivityType::AbortedMessage, "Spring", spring, bob),
            // Day 2: bob's went through.
            tracked(noon(2), ActivityType::Success, "Spring", spring, bob),
            // Not this send: another send id, another campaign, untracked, out of range.
            tracked(
                noon(1),
                ActivityType::Success,
                "Spring",
                Some("spring-2"),
                bob,
            ),
            tracked(noon(1), ActivityType::Success, "Autumn", spring, bob),
            tracked(noon(1), ActivityType::Success, "Spring", None, bob),
            tracked(noon(3), ActivityType::Success, "Spring", spring, bob),
        ],
    )
    .await;
    let query = TrackedSendQuery {
        campaign: "Spring".into(),
        send_id: "spring-1".into(),
        since: noon(1) - TimeDelta::hours(12),
        until: noon(2) + TimeDelta::hours(12),
    };
    let series = store.tracked_send_series(&query).await.expect("series");
    let count = |day, activity_type, count| TrackedSendCount {
        day: date(day),
        activity_type,
        count,
    };
    let mut counts = series.counts.clone();
    counts.sort_by_key(|count| (count.day, count.activity_type.as_str()));
    assert_eq!(
        counts,
        [
            count(1, ActivityType::AbortedMessage, 1),
            count(1, ActivityType::Success, 1),
            count(1, ActivityType::WebhookError, 1),
            count(2, ActivityType::Success, 1),
        ]
    );
    assert_eq!(
        series.recipients,
        [
            DayCount {
                day: date(1),
                count: 1
            },
            DayCount {
                day: date(2),
                count: 1
            },
        ],
        "ada once on day 1 (an aborted message reached nobody), bob on day 2"
    );
    let page = store
        .activity(&ActivityQuery {
            user: Some(ada.to_string()),
            ..ActivityQuery::default()
        })
        .await
        .expect("activity");
    assert!(
        page.entries
            .iter()
            .all(|entry| entry.tracking_send_id.as_deref() == Some("spring-1")),
        "an entry keeps its tracking send id"
    );
    let nothing = TrackedSendQuery {
        send_id: "never-sent".into(),
        ..query
    };
    let empty = store.tracked_send_series(&nothing).await.expect("series");
    assert!(empty.counts.is_empty() && empty.recipients.is_empty());
}
