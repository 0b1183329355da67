//! Braze fidelity over a real socket: nested attributes and arrays of objects through
//! `/users/track`, `_update_existing_only`, `"message": "success"` on every 2xx answer,
//! every documented `fields_to_export` value, and the answer of endpoints leadwire does not
//! serve.

mod common;

use common::{
    API_TRIGGERED_JOURNEYS, FULL_KEY, TRACK_KEY, TRIGGER_KEY, fixture, listen, trigger_config,
    with_journeys,
};
use leadwire_core::canvas::HistoryEntry;
use leadwire_core::track::UserIdentifier;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Every `fields_to_export` value Braze documents (reference §8).
const DOCUMENTED_FIELDS: &[&str] = &[
    "apps",
    "attributed_campaign",
    "attributed_source",
    "attributed_adgroup",
    "attributed_ad",
    "braze_id",
    "country",
    "created_at",
    "custom_attributes",
    "custom_events",
    "devices",
    "dob",
    "email",
    "email_subscribe",
    "external_id",
    "first_name",
    "gender",
    "home_city",
    "language",
    "last_coordinates",
    "last_name",
    "phone",
    "purchases",
    "push_subscribe",
    "push_tokens",
    "random_bucket",
    "time_zone",
    "total_revenue",
    "uninstalled_at",
    "user_aliases",
    "campaigns_received",
    "canvases_received",
    "cards_clicked",
    "push_opted_in_at",
];

struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let response = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.json().await.expect("every answer is JSON"))
    }

    async fn post(&self, path: &str, key: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, key, body).await
    }

    async fn export(&self, external_id: &str, fields: &[&str]) -> Value {
        let (status, body) = self
            .post(
                "/users/export/ids",
                FULL_KEY,
                json!({"external_ids": [external_id], "fields_to_export": fields}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["message"], "success");
        body["users"][0].clone()
    }
}

#[tokio::test]
async fn nested_objects_arrays_of_objects_and_update_only_objects() {
    let fixture = fixture(trigger_config()).await;
    let api = Api {
        base: format!("http://{}", listen(fixture.state.clone()).await),
        client: reqwest::Client::new(),
    };
    let track =
        |attributes: Value| api.post("/users/track", TRACK_KEY, json!({"attributes": attributes}));
    let (status, body) = track(json!([{"external_id": "ada",
        "account": {"plan": {"name": "pro", "seats": 3}, "region": "eu"},
        "pets": [{"id": 1, "type": "dog"}, {"id": 2, "type": "cat"}]}]))
    .await;
    assert_eq!(
        (status, &body["message"]),
        (StatusCode::CREATED, &json!("success")),
        "{body}"
    );
    track(json!([{"external_id": "ada", "_merge_objects": true,
        "account": {"plan": {"seats": 5}, "renews": {"$time": "2025-01-01"}},
        "pets": {"$update": [{"$identifier_key": "id", "$identifier_value": 2, "$new_object": {"name": "Tom"}}],
                 "$add": [{"id": 3, "type": "fish"}]}}]))
    .await;
    track(json!([{"external_id": "ada",
        "pets": {"$remove": [{"$identifier_key": "type", "$identifier_value": "dog"}]}}]))
    .await;
    let user = api.export("ada", &["custom_attributes"]).await;
    assert_eq!(
        user["custom_attributes"],
        json!({"account": {"plan": {"name": "pro", "seats": 5}, "region": "eu",
                           "renews": "2025-01-01T00:00:00.000Z"},
               "pets": [{"id": 2, "type": "cat", "name": "Tom"}, {"id": 3, "type": "fish"}]})
    );

    for body in [
        json!({"attributes": [{"external_id": "ghost", "_update_existing_only": true, "x": 1}]}),
        json!({"events": [{"external_id": "ghost", "_update_existing_only": true,
                           "name": "visit", "time": "2024-05-01T00:00:00Z"}]}),
        json!({"purchases": [{"user_alias": {"alias_name": "a", "alias_label": "web"},
                              "product_id": "p", "currency": "USD", "price": 1,
                              "time": "2024-05-01T00:00:00Z"}]}),
    ] {
        let (status, answer) = api.post("/users/track", TRACK_KEY, body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}: {answer}");
        assert_eq!(answer["message"], "success");
        assert!(answer.get("errors").is_none(), "{answer}");
    }
    let (_, body) = api
        .post(
            "/users/export/ids",
            FULL_KEY,
            json!({"external_ids": ["ghost"]}),
        )
        .await;
    assert_eq!(
        body["invalid_user_ids"],
        json!(["ghost"]),
        "nothing was created"
    );
    let (status, body) = track(
        json!([{"user_alias": {"alias_name": "a", "alias_label": "web"},
        "_update_existing_only": false, "x": 1}]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let alias = UserIdentifier::Alias(leadwire_core::profile::UserAlias {
        alias_name: "a".into(),
        alias_label: "web".into(),
    });
    let created = fixture
        .state
        .store
        .find_profile(&alias)
        .await
        .expect("find");
    assert!(created.is_some_and(|profile| profile.external_id.is_none()));

    let (status, body) = api
        .post(
            "/users/delete",
            FULL_KEY,
            json!({"external_ids": ["ada", "nobody"]}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body, json!({"deleted": 1, "message": "success"}));
    fixture.finish().await;
}

#[tokio::test]
async fn every_documented_field_exports_and_received_messages_are_real() {
    let fixture = fixture(trigger_config()).await;
    let state = with_journeys(&fixture.state, API_TRIGGERED_JOURNEYS);
    let api = Api {
        base: format!("http://{}", listen(state).await),
        client: reqwest::Client::new(),
    };
    let (status, body) = api
        .post(
            "/users/track",
            FULL_KEY,
            json!({"attributes": [{"external_id": "ada", "first_name": "Ada",
                                   "current_location": {"longitude": 2.35, "latitude": 48.86}}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for (path, id_key, id) in [
        ("/campaigns/trigger/send", "campaign_id", "Welcome"),
        ("/canvas/trigger/send", "canvas_id", "onboarding"),
    ] {
        let (status, body) = api
            .post(
                path,
                TRIGGER_KEY,
                json!({id_key: id, "recipients": [{"external_user_id": "ada"}]}),
            )
            .await;
        assert!(status.is_success(), "{path}: {body}");
        assert_eq!(body["message"], "success");
    }
    let store = &fixture.state.store;
    let ada = store
        .find_profile(&UserIdentifier::ExternalId("ada".into()))
        .await
        .expect("find")
        .expect("ada exists");
    let mut entry = store
        .canvas_entries(ada.id, Some("onboarding"))
        .await
        .expect("entries")
        .remove(0);
    let at = entry.state.entered_at;
    entry.state.history.push(HistoryEntry {
        step: "Hook".into(),
        arrived_at: at,
        left_at: at,
        path: "next".into(),
    });
    let mut tx = store.begin().await.expect("begin");
    tx.save_canvas_entry(&entry).await.expect("save");
    tx.commit().await.expect("commit");

    let user = api.export("ada", DOCUMENTED_FIELDS).await;
    for absent in [
        "apps",
        "attributed_campaign",
        "devices",
        "cards_clicked",
        "push_opted_in_at",
        "uninstalled_at",
        "total_revenue",
        "last_name",
    ] {
        assert!(user.get(absent).is_none(), "{absent} is left out: {user}");
    }
    assert_eq!(user["first_name"], "Ada");
    assert_eq!(user["last_coordinates"], json!([2.35, 48.86]));
    let campaign = &user["campaigns_received"][0];
    assert_eq!(campaign["name"], "Welcome");
    assert_eq!(campaign["api_campaign_id"], "Welcome");
    assert_eq!(campaign["converted"], false);
    assert!(campaign["last_received"].as_str().is_some(), "{user}");
    let canvas = &user["canvases_received"][0];
    assert_eq!(canvas["name"], "Onboarding");
    assert_eq!(canvas["api_canvas_id"], "onboarding");
    assert_eq!(canvas["in_control"], false);
    assert!(canvas["last_entered"].as_str().is_some(), "{user}");
    assert_eq!(canvas["steps_received"][0]["name"], "Hook");
    assert_eq!(
        canvas["last_received_message"],
        canvas["steps_received"][0]["last_received"]
    );
    fixture.finish().await;
}

#[tokio::test]
async fn endpoints_leadwire_does_not_serve_say_so() {
    let fixture = fixture(trigger_config()).await;
    let api = Api {
        base: format!("http://{}", listen(fixture.state.clone()).await),
        client: reqwest::Client::new(),
    };
    for (method, path) in [
        (reqwest::Method::POST, "/email/status"),
        (reqwest::Method::GET, "/catalogs/shoes/items/42"),
        (reqwest::Method::POST, "/subscription/status/set"),
        (reqwest::Method::GET, "/templates/email/list"),
        (reqwest::Method::GET, "/kpi/dau/data_series"),
    ] {
        let (status, body) = api.send(method.clone(), path, TRACK_KEY, json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(
            message.ends_with("is not supported by leadwire"),
            "{path}: {body}"
        );
        let why = body["errors"][0]["type"].as_str().unwrap_or_default();
        assert!(why.contains("leadwire does not serve"), "{path}: {body}");
    }
    let (status, body) = api.post("/no/such/path", TRACK_KEY, json!({})).await;
    assert_eq!(
        (status, &body["message"]),
        (StatusCode::NOT_FOUND, &json!("Not Found"))
    );
    let response = api
        .client
        .post(format!("{}/email/status", api.base))
        .send()
        .await
        .expect("request");
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "a key is still required"
    );
    fixture.finish().await;
}
