//! Campaigns: every trigger type, a profile write's triggers handled as one job, delays
//! with exception events, re-eligibility, the audience at send time, the rate limit, and
//! `/campaigns/trigger/send`.

use std::time::Duration;

use chrono::TimeDelta;
use leadwire_engine::journeys::JourneyError;
use leadwire_engine::journeys::api::{ApiTrigger, ApiTriggerError, trigger_campaign};
use leadwire_store::{ClaimedJob, Queue, StoreError};
use serde_json::json;

use crate::harness::Harness;

const TRIGGERS: &str = r#"
[[webhook_templates]]
name = "Hook"
url = "https://example.com/hook"
method = "POST"

[[campaigns]]
name = "On email"
template = "Hook"
triggers = [{ type = "add_email_address" }]

[[campaigns]]
name = "On stage"
template = "Hook"
triggers = [{ type = "change_custom_attribute_value", attribute = "stage", value = "MQL" }]
reeligible_after = "1h"

[[campaigns]]
name = "On big cart"
template = "Hook"
triggers = [{ type = "perform_custom_event", event = "cart", property_filters = [{ property = "value", op = "greater_than", value = 100 }] }]
audience = [{ attribute = "country", op = "equals", value = "FR" }]

[[campaigns]]
name = "On purchase"
template = "Hook"
triggers = [{ type = "make_purchase", product_id = "pro" }]
"#;

async fn campaigns_sent(h: &Harness) -> Vec<String> {
    let mut names: Vec<String> = h
        .deliver()
        .await
        .into_iter()
        .map(|send| match send.source {
            leadwire_core::activity::MessageSource::Campaign { campaign } => campaign,
            other => format!("{other:?}"),
        })
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn each_trigger_type_sends_once_and_reeligibility_counts_seconds() {
    let mut h = Harness::new(TRIGGERS).await;
    h.track(json!({"attributes": [{"external_id": "u1", "email": "a@example.com", "stage": "MQL", "country": "FR"}]}))
        .await;
    h.track(json!({
        "events": [
            {"external_id": "u1", "name": "cart", "properties": {"value": 150}},
            {"external_id": "u1", "name": "cart", "properties": {"value": 50}}
        ],
        "purchases": [
            {"external_id": "u1", "product_id": "pro", "currency": "USD", "price": 5},
            {"external_id": "u1", "product_id": "basic", "currency": "USD", "price": 1}
        ]
    }))
    .await;
    h.run().await;
    assert_eq!(
        campaigns_sent(&h).await,
        vec!["On big cart", "On email", "On purchase", "On stage"]
    );

    // Once by default; "On stage" is re-eligible after an hour.
    h.advance(TimeDelta::minutes(30));
    h.track(json!({"attributes": [{"external_id": "u1", "stage": "Lead"}]}))
        .await;
    h.track(json!({"attributes": [{"external_id": "u1", "stage": "MQL"}]}))
        .await;
    h.track(json!({"purchases": [{"external_id": "u1", "product_id": "pro", "currency": "USD", "price": 5}]}))
        .await;
    h.run().await;
    assert!(campaigns_sent(&h).await.is_empty(), "not re-eligible yet");
    h.advance(TimeDelta::minutes(31));
    h.track(json!({"attributes": [{"external_id": "u1", "stage": "Lead"}]}))
        .await;
    h.track(json!({"attributes": [{"external_id": "u1", "stage": "MQL"}]}))
        .await;
    h.run().await;
    assert_eq!(campaigns_sent(&h).await, vec!["On stage"]);

    // Outside the audience at send time: no send.
    h.track(json!({"attributes": [{"external_id": "u2", "country": "DE"}]}))
        .await;
    h.track(
        json!({"events": [{"external_id": "u2", "name": "cart", "properties": {"value": 500}}]}),
    )
    .await;
    h.run().await;
    assert!(campaigns_sent(&h).await.is_empty());
    h.finish().await;
}

#[tokio::test]
async fn a_profile_writes_triggers_are_one_job_that_commits_or_rolls_back_whole() {
    let h = Harness::new(TRIGGERS).await;
    h.track(
        json!({"attributes": [{"external_id": "u1", "email": "a@example.com", "stage": "MQL"}]}),
    )
    .await;
    let pending_triggers = || async {
        h.store
            .pending_jobs(Queue::Triggers)
            .await
            .expect("pending")
    };
    assert_eq!(
        pending_triggers().await,
        1,
        "one job for the write's two triggers"
    );
    let job = h
        .store
        .claim(Queue::Triggers, h.now, Duration::from_secs(60), 10)
        .await
        .expect("claim")
        .pop()
        .expect("the trigger job");
    assert_eq!(job.payload.triggers().map(<[_]>::len), Some(2), "{job:?}");
    let journeys = h.workers.journeys();

    // The job's completion fails last, after both triggers scheduled their sends.
    let lost_lease = ClaimedJob {
        lease_token: uuid::Uuid::new_v4(),
        ..job.clone()
    };
    let error = journeys
        .handle(&lost_lease, h.now)
        .await
        .expect_err("the lease is not held");
    assert!(
        matches!(error, JourneyError::Store(StoreError::LeaseLost { .. })),
        "{error:?}"
    );
    assert_eq!(
        h.store.pending_jobs(Queue::Sends).await.expect("pending"),
        0,
        "both triggers' sends roll back"
    );
    assert_eq!(pending_triggers().await, 1);

    // A second completion of the job would find its lease gone and fail the handling.
    journeys
        .handle(&job, h.now)
        .await
        .expect("both triggers handled, the job completed once");
    assert_eq!(campaigns_sent(&h).await, vec!["On email", "On stage"]);
    assert_eq!(pending_triggers().await, 0);
    h.finish().await;
}

const DELAYED: &str = r#"
[[webhook_templates]]
name = "Hook"
url = "https://example.com/hook"
method = "POST"

[[campaigns]]
name = "Abandoned cart"
template = "Hook"
triggers = [{ type = "perform_custom_event", event = "cart" }]
delay = "1h"
exception_events = [{ type = "make_purchase" }]
audience = [{ attribute = "opted_out", op = "does_not_exist" }]
"#;

#[tokio::test]
async fn a_delayed_send_waits_and_an_exception_event_cancels_it() {
    let mut h = Harness::new(DELAYED).await;
    h.track(json!({"events": [
        {"external_id": "buyer", "name": "cart", "properties": {"sku": "A"}},
        {"external_id": "browser", "name": "cart", "properties": {"sku": "B"}},
        {"external_id": "leaver", "name": "cart"}
    ]}))
    .await;
    h.run().await;
    assert!(h.deliver().await.is_empty(), "the delay holds the sends");
    h.advance(TimeDelta::minutes(30));
    h.track(json!({"purchases": [{"external_id": "buyer", "product_id": "A", "currency": "USD", "price": 9}]}))
        .await;
    h.track(json!({"attributes": [{"external_id": "leaver", "opted_out": true}]}))
        .await;
    h.run().await;
    h.advance(TimeDelta::minutes(30));
    h.run().await;
    let sends = h.deliver().await;
    assert_eq!(
        sends.len(),
        1,
        "only the browser still qualifies: {sends:?}"
    );
    assert_eq!(sends[0].user_id, h.profile("browser").await.id);
    assert_eq!(
        sends[0].event_properties,
        json!({"sku": "B"}).as_object().cloned()
    );

    // The buyer's cancelled send does not count as received: the next trigger sends.
    h.track(json!({"events": [{"external_id": "buyer", "name": "cart"}]}))
        .await;
    h.run().await;
    h.advance(TimeDelta::hours(1));
    h.run().await;
    assert_eq!(h.deliver().await.len(), 1);
    h.finish().await;
}

const LIMITED: &str = r#"
[[webhook_templates]]
name = "Hook"
url = "https://example.com/hook"
method = "POST"

[[campaigns]]
name = "Limited"
template = "Hook"
triggers = [{ type = "perform_custom_event", event = "go" }]
rate_limit_per_minute = 10
"#;

#[tokio::test]
async fn the_rate_limit_defers_sends_to_the_next_minute() {
    let mut h = Harness::new(LIMITED).await;
    let events: Vec<_> = (0..15)
        .map(|n| json!({"external_id": format!("u{n}"), "name": "go"}))
        .collect();
    h.track(json!({ "events": events })).await;
    h.run().await;
    assert_eq!(h.deliver().await.len(), 10);
    h.advance(TimeDelta::seconds(61));
    h.run().await;
    assert_eq!(h.deliver().await.len(), 5);
    h.finish().await;
}

const GATED: &str = r#"
[[webhook_templates]]
name = "Gated"
url = "https://example.com/hook"
method = "POST"
body.raw = "{% if custom_attribute.${ready} %}go{% else %}{% abort_message('not ready') %}{% endif %}"

[[campaigns]]
name = "Gate"
template = "Gated"
triggers = [{ type = "perform_custom_event", event = "go" }]
rate_limit_per_minute = 10
"#;

#[tokio::test]
async fn an_aborted_send_is_not_received_and_gives_back_its_rate_limit_slot() {
    let h = Harness::new(GATED).await;
    let go = |n: usize| {
        let events: Vec<_> = (0..n)
            .map(|i| json!({"external_id": format!("u{i}"), "name": "go"}))
            .collect();
        json!({ "events": events })
    };
    h.track(go(10)).await;
    h.run().await;
    // While the sends are in flight they count as received: "once" holds.
    h.track(go(10)).await;
    h.run().await;
    let summary = h.deliver_for_real().await;
    assert_eq!((summary.aborted, summary.delivered), (10, 0));

    // Aborted: not received, so the next trigger sends again, and in the same minute,
    // because the aborted sends gave their rate-limit slots back.
    let ready: Vec<_> = (0..10)
        .map(|i| json!({"external_id": format!("u{i}"), "ready": true}))
        .collect();
    h.track(json!({ "attributes": ready })).await;
    h.track(go(10)).await;
    h.run().await;
    assert_eq!(h.deliver().await.len(), 10, "every user sends again");

    // Those sends finished without a release (delivered): once means once.
    h.track(go(10)).await;
    h.run().await;
    assert!(h.deliver().await.is_empty());
    h.finish().await;
}

const REFUSED: &str = r#"
[[webhook_templates]]
name = "Internal"
url = "http://127.0.0.1:9/hook"
method = "POST"

[[campaigns]]
name = "Refused"
template = "Internal"
triggers = [{ type = "perform_custom_event", event = "go" }]
"#;

#[tokio::test]
async fn a_send_refused_at_send_time_is_not_received() {
    let h = Harness::new(REFUSED).await;
    h.track(json!({"events": [{"external_id": "u", "name": "go"}]}))
        .await;
    h.run().await;
    let summary = h.deliver_for_real().await;
    assert_eq!(summary.failed, 1, "a loopback URL is refused: {summary:?}");
    let user = h.profile("u").await;
    let receipt = h
        .store
        .campaign_receipt(user.id, "Refused")
        .await
        .expect("receipt");
    assert_eq!(receipt.last_received_at, None);
    h.track(json!({"events": [{"external_id": "u", "name": "go"}]}))
        .await;
    h.run().await;
    assert_eq!(h.deliver().await.len(), 1, "the user qualifies again");
    h.finish().await;
}

const API: &str = r#"
[[webhook_templates]]
name = "Hook"
url = "https://example.com/hook"
method = "POST"

[[campaigns]]
name = "Welcome"
api_id = "welcome-api"
template = "Hook"
delivery = "api_triggered"
audience = [{ attribute = "plan", op = "equals", value = "pro" }]
"#;

#[tokio::test]
async fn api_triggered_campaigns_apply_attributes_first_and_carry_trigger_properties() {
    let h = Harness::new(API).await;
    h.track(json!({"attributes": [{"external_id": "known", "plan": "free"}]}))
        .await;
    let body = json!({
        "campaign_id": "welcome-api",
        "trigger_properties": {"coupon": "TOP"},
        "recipients": [
            {"external_user_id": "known", "attributes": {"plan": "pro"}},
            {"external_user_id": "new", "send_to_existing_only": false,
             "attributes": {"plan": "pro"}, "trigger_properties": {"coupon": "NEW"}},
            {"external_user_id": "unknown"}
        ]
    });
    let request = ApiTrigger::parse(
        body.as_object().expect("object"),
        "campaign_id",
        "trigger_properties",
    )
    .expect("valid");
    let dispatch = trigger_campaign(h.workers.journeys(), &request, h.now)
        .await
        .expect("trigger");
    assert_eq!((dispatch.accepted, dispatch.skipped), (2, 1));
    assert!(!dispatch.dispatch_id.is_empty());
    let mut coupons: Vec<_> = h
        .deliver()
        .await
        .into_iter()
        .map(|send| send.api_trigger_properties.expect("properties")["coupon"].clone())
        .collect();
    coupons.sort_by_key(|coupon| coupon.to_string());
    assert_eq!(coupons, vec![json!("NEW"), json!("TOP")]);
    assert_eq!(h.profile("new").await.custom["plan"], json!("pro"));

    let wrong = json!({"campaign_id": "nope", "recipients": [{"external_user_id": "known"}]});
    let request = ApiTrigger::parse(
        wrong.as_object().expect("object"),
        "campaign_id",
        "trigger_properties",
    )
    .expect("valid shape");
    let error = trigger_campaign(h.workers.journeys(), &request, h.now).await;
    assert!(
        matches!(error, Err(ApiTriggerError::InvalidId(_))),
        "{error:?}"
    );

    for (body, needle) in [
        (json!({"recipients": []}), "campaign_id"),
        (
            json!({"campaign_id": "welcome-api", "recipients": []}),
            "at least one",
        ),
        (
            json!({"campaign_id": "welcome-api", "broadcast": true, "recipients": [{"external_user_id": "a"}]}),
            "recipients cannot be included when broadcast is true",
        ),
        (
            json!({"campaign_id": "welcome-api"}),
            "broadcast must be set to true if recipients is omitted",
        ),
        (
            json!({"campaign_id": "welcome-api", "broadcast": "yes"}),
            "broadcast must be true or false",
        ),
        (
            json!({"campaign_id": "welcome-api", "recipients": [{"external_user_id": "a", "email": "b@c.d"}]}),
            "exactly one",
        ),
        (
            json!({"campaign_id": "welcome-api", "recipients": [{"external_user_id": "a", "send_to_existing_only": false}]}),
            "needs attributes",
        ),
    ] {
        let error = ApiTrigger::parse(
            body.as_object().expect("object"),
            "campaign_id",
            "trigger_properties",
        )
        .expect_err("invalid");
        assert!(
            error.to_string().contains(needle),
            "{error} should mention {needle}"
        );
    }
    h.finish().await;
}
