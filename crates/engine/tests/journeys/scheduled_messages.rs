//! Scheduled messages (`/messages/schedule/create`) to a segment in each user's local time:
//! the first job pages through every profile when the time is first reached (UTC+14), and
//! each member gets the message at their own instant, across a restart, on SQLite and
//! PostgreSQL.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use leadwire_engine::journeys::schedules::create_message;
use serde_json::{Value, json};

use crate::harness::Harness;

const SEGMENTED: &str = r#"
[[segments]]
id = "seg-pro"
name = "Pro"
filters = [{ attribute = "plan", op = "equals", value = "pro" }]
"#;

/// More profiles than one broadcast page holds.
const USERS: usize = 600;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("a time")
}

/// Every third user is on the pro plan; every other one lives in Tokyo, the rest have no
/// time zone (UTC). Returns the number of pro users in Tokyo and in UTC.
async fn seed(h: &Harness) -> (usize, usize) {
    let (mut tokyo, mut utc) = (0, 0);
    let users: Vec<Value> = (0..USERS)
        .map(|n| {
            let pro = n % 3 == 0;
            let zone = if n % 2 == 0 {
                json!("Asia/Tokyo")
            } else {
                Value::Null
            };
            if pro && zone.is_null() {
                utc += 1;
            } else if pro {
                tokyo += 1;
            }
            json!({"external_id": format!("u{n}"), "plan": if pro { "pro" } else { "free" },
                   "time_zone": zone})
        })
        .collect();
    for chunk in users.chunks(75) {
        h.track(json!({ "attributes": chunk })).await;
    }
    (tokyo, utc)
}

async fn local_time_segment_message(mut h: Harness) {
    let (tokyo, utc) = seed(&h).await;
    h.now = at("2031-05-01T00:00:00Z");
    let body = json!({
        "segment_id": "seg-pro",
        "messages": {"webhook": {"url": "https://example.com/hook", "request_method": "POST"}},
        "schedule": {"time": "2031-06-01T12:00:00", "in_local_time": true}
    });
    let created = create_message(
        h.workers.journeys(),
        body.as_object().expect("object"),
        h.now,
    )
    .await
    .expect("scheduled");
    assert!(!created.schedule_id.is_empty());

    // Noon is first reached at UTC+14: the pages run, nobody is due yet.
    h.now = at("2031-05-31T22:00:00Z");
    assert!(h.run().await > 0);
    assert!(h.deliver().await.is_empty(), "nobody's noon yet");

    let mut h = h.restart().await;
    h.now = at("2031-06-01T03:00:00Z");
    h.run().await;
    let tokyo_sends = h.deliver().await;
    assert_eq!(tokyo_sends.len(), tokyo, "Tokyo's noon, every member there");

    h.now = at("2031-06-01T11:59:00Z");
    h.run().await;
    assert!(h.deliver().await.is_empty());
    h.now = at("2031-06-01T12:00:00Z");
    h.run().await;
    let utc_sends = h.deliver().await;
    assert_eq!(utc_sends.len(), utc, "no time zone: UTC noon");

    let users: HashSet<_> = tokyo_sends
        .iter()
        .chain(&utc_sends)
        .map(|send| send.user_id)
        .collect();
    assert_eq!(users.len(), tokyo + utc, "each member once");
    for send in &tokyo_sends {
        let profile = h
            .store
            .find_profile(&leadwire_core::track::UserIdentifier::BrazeId(send.user_id))
            .await
            .expect("find")
            .expect("profile");
        assert_eq!(profile.custom["plan"], "pro");
        assert_eq!(profile.standard["time_zone"], "Asia/Tokyo");
    }
    h.now = at("2031-06-03T00:00:00Z");
    h.run().await;
    assert!(h.deliver().await.is_empty(), "nothing more");
    h.finish().await;
}

#[tokio::test]
async fn a_local_time_segment_message_reaches_each_member_at_their_noon() {
    local_time_segment_message(Harness::new(SEGMENTED).await).await;
}

#[tokio::test]
async fn a_local_time_segment_message_reaches_each_member_at_their_noon_on_postgres() {
    if let Some(h) = Harness::postgres(SEGMENTED).await {
        local_time_segment_message(h).await;
    }
}
