//! `POST /campaigns/trigger/send` and `POST /canvas/trigger/send` over a real socket, with
//! the engine's journeys behind them.

mod common;

use common::{
    API_TRIGGERED_JOURNEYS, FULL_KEY, TRIGGER_KEY, fixture, listen, trigger_config, with_journeys,
};
use leadwire_core::queue::Task;
use leadwire_core::track::UserIdentifier;
use leadwire_store::{JobPayload, Queue};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn trigger_sends_answer_201_with_a_dispatch_id_and_check_permissions() {
    let fixture = fixture(trigger_config()).await;
    let state = with_journeys(&fixture.state, API_TRIGGERED_JOURNEYS);
    let base = format!("http://{}", listen(state).await);
    let client = reqwest::Client::new();
    let post = |path: &str, key: &str, body: Value| {
        let request = client
            .post(format!("{base}{path}"))
            .bearer_auth(key)
            .json(&body);
        async move {
            let response = request.send().await.expect("request");
            let status = response.status();
            let body: Value = response.json().await.expect("JSON");
            (status, body)
        }
    };

    let campaign = json!({
        "campaign_id": "Welcome",
        "trigger_properties": {"coupon": "HELLO"},
        "recipients": [{"external_user_id": "ada", "send_to_existing_only": false,
                        "attributes": {"first_name": "Ada"}}]
    });
    let (status, body) = post("/campaigns/trigger/send", TRIGGER_KEY, campaign.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["message"], "success");
    assert!(
        body["dispatch_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    let store = &fixture.state.store;
    assert_eq!(store.pending_jobs(Queue::Sends).await.expect("pending"), 1);
    let ada = store
        .find_profile(&UserIdentifier::ExternalId("ada".into()))
        .await
        .expect("find")
        .expect("created by the trigger");
    assert_eq!(ada.standard["first_name"], json!("Ada"));

    let canvas = json!({"canvas_id": "onboarding", "context": {"source": "api"},
                        "recipients": [{"external_user_id": "ada"}]});
    let (status, body) = post("/canvas/trigger/send", TRIGGER_KEY, canvas).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let entries = store
        .canvas_entries(ada.id, Some("onboarding"))
        .await
        .expect("entries");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].state.entry_properties["source"], json!("api"));
    assert_eq!(store.pending_jobs(Queue::Canvas).await.expect("pending"), 1);

    let unknown = json!({"campaign_id": "nope", "recipients": [{"external_user_id": "ada"}]});
    let (status, body) = post("/campaigns/trigger/send", TRIGGER_KEY, unknown).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["message"], "Invalid Campaign ID");
    let (status, body) = post(
        "/campaigns/trigger/send",
        TRIGGER_KEY,
        json!({"campaign_id": "Welcome"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["errors"][0]["type"]
            .as_str()
            .is_some_and(|t| t.contains("recipients")),
        "{body}"
    );
    let (status, body) = post(
        "/campaigns/trigger/send",
        TRIGGER_KEY,
        json!({"campaign_id": "Welcome", "broadcast": true, "recipients": [{"external_user_id": "ada"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["errors"][0]["type"], "recipients cannot be included when broadcast is true",
        "{body}"
    );
    let (status, body) = post(
        "/canvas/trigger/send",
        TRIGGER_KEY,
        json!({"canvas_id": "onboarding", "broadcast": true}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        store
            .pending_jobs(Queue::Broadcasts)
            .await
            .expect("pending"),
        1,
        "a broadcast is carried out by the workers"
    );
    let (status, body) = post("/canvas/trigger/send", FULL_KEY, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["message"], "Access Denied");
    fixture.finish().await;
}

/// Posts `body` to `path` with the trigger key; the status and JSON answer.
async fn post_trigger(base: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(TRIGGER_KEY)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.expect("JSON"))
}

#[tokio::test]
async fn canvas_properties_under_both_names_merge_key_by_key_and_a_repeated_recipient_enters_once()
{
    let fixture = fixture(trigger_config()).await;
    let state = with_journeys(&fixture.state, API_TRIGGERED_JOURNEYS);
    let base = format!("http://{}", listen(state).await);
    let new_user = |id: &str| json!({"external_user_id": id, "send_to_existing_only": false, "attributes": {"first_name": id}});
    let mut ada = new_user("ada");
    ada["context"] = json!({"c": 3, "nested": {"x": 1}});
    let mut ada_again = new_user("ada");
    ada_again["context"] = json!({"c": 99});
    ada_again["attributes"] = json!({"last_name": "Lovelace"});
    let mut bob = new_user("bob");
    bob["canvas_entry_properties"] = json!({"a": 9});
    let body = json!({
        "canvas_id": "onboarding",
        "canvas_entry_properties": {"a": 1, "b": 1, "nested": {"x": 0, "y": 0}},
        "context": {"b": 2, "c": 2},
        "recipients": [ada, bob, ada_again],
    });
    let (status, body) = post_trigger(&base, "/canvas/trigger/send", body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let store = &fixture.state.store;
    let entry_properties = |id: &'static str| async move {
        let user = store
            .find_profile(&UserIdentifier::ExternalId(id.into()))
            .await
            .expect("find")
            .expect("created by the trigger");
        let entries = store
            .canvas_entries(user.id, Some("onboarding"))
            .await
            .expect("entries");
        assert_eq!(entries.len(), 1, "{id} enters once: {entries:#?}");
        (
            user,
            Value::Object(entries[0].state.entry_properties.clone()),
        )
    };
    let (ada, ada_properties) = entry_properties("ada").await;
    assert_eq!(
        ada_properties,
        json!({"a": 1, "b": 2, "c": 3, "nested": {"x": 1}}),
        "context wins over canvas_entry_properties; the first recipient's own keys replace the request's whole"
    );
    assert_eq!(
        ada.standard["last_name"],
        json!("Lovelace"),
        "a repeated recipient's attributes still apply"
    );
    let (_, bob_properties) = entry_properties("bob").await;
    assert_eq!(
        bob_properties,
        json!({"a": 9, "b": 2, "c": 2, "nested": {"x": 0, "y": 0}})
    );
    assert_eq!(store.pending_jobs(Queue::Canvas).await.expect("pending"), 2);

    let (status, body) = post_trigger(
        &base,
        "/canvas/trigger/send",
        json!({"canvas_id": "onboarding", "context": "not an object", "recipients": [{"external_user_id": "ada"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["errors"][0]["type"], "context must be an object",
        "{body}"
    );
    fixture.finish().await;
}

#[tokio::test]
async fn campaign_trigger_properties_merge_key_by_key_and_a_repeated_recipient_gets_one_send() {
    let fixture = fixture(trigger_config()).await;
    let state = with_journeys(&fixture.state, API_TRIGGERED_JOURNEYS);
    let base = format!("http://{}", listen(state).await);
    let recipient = |id: &str, tier: Option<&str>| {
        let mut recipient = json!({"external_user_id": id, "send_to_existing_only": false, "attributes": {"first_name": id}});
        if let Some(tier) = tier {
            recipient["trigger_properties"] = json!({"tier": tier});
        }
        recipient
    };
    let body = json!({
        "campaign_id": "Welcome",
        "trigger_properties": {"coupon": "HELLO", "tier": "gold"},
        "recipients": [recipient("carl", Some("silver")), recipient("dora", None), recipient("carl", Some("bronze"))],
    });
    let (status, body) = post_trigger(&base, "/campaigns/trigger/send", body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let store = &fixture.state.store;
    let jobs = store
        .claim(
            Queue::Sends,
            chrono::Utc::now() + chrono::TimeDelta::days(1),
            std::time::Duration::from_secs(60),
            100,
        )
        .await
        .expect("claim");
    let mut sent: Vec<(String, Value)> = Vec::new();
    for job in jobs {
        let JobPayload::Task(Task::Send(send)) = job.payload else {
            panic!("a send job carries a send task");
        };
        let user = store
            .find_profile(&UserIdentifier::BrazeId(send.user_id))
            .await
            .expect("find")
            .expect("exists");
        let properties = send.api_trigger_properties.expect("API trigger properties");
        sent.push((user.external_id.expect("named"), Value::Object(properties)));
    }
    sent.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        sent,
        [
            (
                "carl".to_owned(),
                json!({"coupon": "HELLO", "tier": "silver"})
            ),
            (
                "dora".to_owned(),
                json!({"coupon": "HELLO", "tier": "gold"})
            ),
        ],
        "one send per user; the first entry naming carl decides its properties"
    );
    fixture.finish().await;
}
