//! The Users pages: finding a user by each kind of identifier, and a profile with its
//! attributes, events, canvas entries, campaigns and activity.

use chrono::{TimeDelta, Utc};
use leadwire_core::activity::{ActivityEntry, ActivityType, MessageSource};
use leadwire_core::canvas::{CanvasUserState, ExitReason, Transition};
use leadwire_core::config::Config;
use leadwire_core::track::UserIdentifier;
use leadwire_store::{CampaignReceipt, CanvasEntry, Store};
use reqwest::StatusCode;
use serde_json::{Map, json};
use uuid::Uuid;

use crate::support::{ConsoleApp, OPERATOR_KEY, Session, console};

const JOURNEYS: &str = r#"
[[webhook_templates]]
name = "Update Lead"
url = "https://example.com/lead"
method = "PATCH"

[[campaigns]]
name = "New lead"
api_id = "new-lead"
template = "Update Lead"
triggers = [{ type = "add_email_address" }]

[[campaigns]]
name = "Never sent"
template = "Update Lead"
delivery = "api_triggered"

[[canvases]]
name = "Lead Scoring"
api_id = "lead-scoring"
entry_schedule = "api_triggered"

[[canvases.steps]]
name = "Wait a day"
type = "delay"
duration = "1d"
next = "Mark as MQL"

[[canvases.steps]]
name = "Mark as MQL"
type = "message"
template = "Update Lead"
"#;

/// The id of the user `identifier` names.
async fn user_id(app: &ConsoleApp, identifier: UserIdentifier) -> Uuid {
    app.fixture
        .state
        .store
        .find_profile(&identifier)
        .await
        .expect("read")
        .expect("the user exists")
        .id
}

/// Searches for `q`; returns the profile it redirects to, if any, and the page.
async fn search(app: &ConsoleApp, session: &Session, q: &str) -> (Option<String>, String) {
    let path = format!("/console/users?q={}", urlencode(q));
    let page = app.get(&path, Some(session)).await;
    match page.status {
        StatusCode::SEE_OTHER => (Some(page.location().to_owned()), page.body),
        StatusCode::OK => (None, page.text()),
        other => panic!("{other} for {q}: {}", page.body),
    }
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn users_are_found_by_each_kind_of_identifier() {
    let app = console("").await;
    app.track(json!({"attributes": [
        {"external_id": "00Q5e00000AbCdEFGH", "email": "Ada@Example.com", "phone": "+14155550100"},
        {"user_alias": {"alias_label": "crm", "alias_name": "42"}, "_update_existing_only": false, "first_name": "Grace"},
        {"external_id": "legacy@accounts", "first_name": "Looks like an email"},
    ]}))
    .await;
    let session = app.login(OPERATOR_KEY).await;
    let ada = user_id(
        &app,
        UserIdentifier::ExternalId("00Q5e00000AbCdEFGH".into()),
    )
    .await;
    let ada_page = Some(format!("/console/users/{ada}"));
    for q in [
        "00Q5e00000AbCdEFGH",
        "ada@example.com",
        " +14155550100 ",
        &ada.to_string(),
    ] {
        assert_eq!(search(&app, &session, q).await.0, ada_page, "{q}");
    }
    let (grace, _) = search(&app, &session, "crm:42").await;
    let grace = grace.expect("the alias finds Grace");
    assert_ne!(Some(grace.clone()), ada_page);
    app.get(&grace, Some(&session))
        .await
        .assert_contains("crm:42");
    let legacy = user_id(&app, UserIdentifier::ExternalId("legacy@accounts".into())).await;
    assert_eq!(
        search(&app, &session, "legacy@accounts").await.0,
        Some(format!("/console/users/{legacy}")),
        "an email that finds no one is tried as an external_id"
    );

    let (found, page) = search(&app, &session, "nobody@example.com").await;
    assert_eq!(found, None);
    assert!(
        page.contains(
            "No user has email `nobody@example.com`, then external_id `nobody@example.com`."
        ),
        "{page}"
    );
    let empty = app.get("/console/users", Some(&session)).await;
    assert_eq!(empty.status, StatusCode::OK);
    empty.assert_contains("label:name");
    empty.assert_contains("name=\"q\"");
    app.fixture.finish().await;
}

#[tokio::test]
async fn a_profile_shows_attributes_events_journeys_and_activity() {
    let app = console(JOURNEYS).await;
    app.track(json!({
        "attributes": [{"external_id": "u-1", "first_name": "Ada", "email": "ada@example.com",
            "address": {"city": "London", "zip": "N1"}}],
        "events": [
            {"external_id": "u-1", "name": "webinar_registered", "time": "2024-05-01T10:00:00Z", "properties": {"webinar": "Pipelines"}},
            {"external_id": "u-1", "name": "demo_requested", "time": "2024-05-02T10:00:00Z"},
        ],
        "purchases": [{"external_id": "u-1", "product_id": "seat", "currency": "EUR", "price": 10, "quantity": 3, "time": "2024-05-03T10:00:00Z"}],
    }))
    .await;
    let id = user_id(&app, UserIdentifier::ExternalId("u-1".into())).await;
    let entry = seed_journeys(app.fixture.state.store.as_ref(), id).await;
    let session = app.login(OPERATOR_KEY).await;
    let page = app
        .get(&format!("/console/users/{id}"), Some(&session))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let text = page.text();
    for shown in [
        "User u-1",
        "ada@example.com",
        "first_name",
        "\"city\": \"London\"",
        "Pipelines",
        "seat",
        // The canvas entry waiting at a step, and the one that left.
        "href=\"/console/canvases/lead-scoring\"",
        "href=\"/console/canvases/lead-scoring/steps/Mark%20as%20MQL\"",
        "exited: they performed an exit event",
        // Campaigns: one received, one never.
        "href=\"/console/campaigns/new-lead\"",
        "never",
        // Activity.
        &format!("href=\"/console/log/{entry}\""),
        &format!("href=\"/console/log?user={id}\""),
        "Required fields are missing",
    ] {
        assert!(text.contains(shown), "{shown} on the profile:\n{text}");
    }
    let newest = text.find("demo_requested").expect("an event");
    let older = text.find("webinar_registered").expect("an event");
    assert!(newest < older, "events are newest first");
    app.fixture.finish().await;
}

/// Two canvas entries (one at a step, one exited), a campaign receipt and a failed send of
/// `user`; returns the activity entry's id.
async fn seed_journeys(store: &dyn Store, user: Uuid) -> Uuid {
    let config: Config = toml::from_str(JOURNEYS).expect("valid");
    let canvas = &config.canvases[0];
    let now = Utc::now();
    let mut waiting = CanvasUserState::enter(canvas, now - TimeDelta::hours(2), Map::new());
    let next = Transition {
        path: "next".into(),
        next: Some("Mark as MQL".into()),
        event_properties: None,
    };
    waiting.follow(canvas, next, now - TimeDelta::hours(1));
    let mut exited = CanvasUserState::enter(canvas, now - TimeDelta::days(3), Map::new());
    exited.exit(ExitReason::ExitCriteria, now - TimeDelta::days(2));
    let entry = ActivityEntry {
        id: Uuid::now_v7(),
        time: now,
        activity_type: ActivityType::WebhookError,
        source: MessageSource::Campaign {
            campaign: "New lead".into(),
        },
        user_id: user,
        external_id: Some("u-1".into()),
        template: "Update Lead".into(),
        message: "Required fields are missing: [Company]".into(),
        attempt: 1,
        status: Some(400),
        duration_ms: 12,
        request: None,
        response: None,
        send_id: Uuid::new_v4(),
        trigger_properties: None,
        tracking_send_id: None,
    };
    let mut tx = store.begin().await.expect("begin");
    for state in [exited, waiting] {
        tx.save_canvas_entry(&CanvasEntry::new(user, state))
            .await
            .expect("entry");
    }
    let receipt = CampaignReceipt {
        last_received_at: Some(now - TimeDelta::minutes(5)),
        ..CampaignReceipt::default()
    };
    tx.save_campaign_receipt(user, "new-lead", &receipt)
        .await
        .expect("receipt");
    tx.record_activity(std::slice::from_ref(&entry))
        .await
        .expect("activity");
    tx.commit().await.expect("commit");
    entry.id
}

#[tokio::test]
async fn an_unknown_user_is_a_404_page() {
    let app = console("").await;
    let session = app.login(OPERATOR_KEY).await;
    for path in [
        format!("/console/users/{}", Uuid::new_v4()),
        "/console/users/not-a-uuid".to_owned(),
    ] {
        let page = app.get(&path, Some(&session)).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        page.assert_contains("there is no such user");
    }
    app.fixture.finish().await;
}
