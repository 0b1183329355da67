//! `POST /campaigns/trigger/send` and `POST /canvas/trigger/send` over a real socket, with
//! the engine's journeys behind them.

mod common;

use common::{
    API_TRIGGERED_JOURNEYS, FULL_KEY, TRIGGER_KEY, fixture, listen, trigger_config, with_journeys,
};
use leadwire_core::track::UserIdentifier;
use leadwire_store::Queue;
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
