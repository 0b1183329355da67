//! The API over a real socket (port 0) with a real HTTP client.

mod common;

use common::{FULL_KEY, Running, TRACK_KEY, config, serve};
use leadwire_server::ServerConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

impl Running {
    async fn post(
        &self,
        path: &str,
        key: Option<&str>,
        body: &Value,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut request = self.client.post(format!("{}{path}", self.base)).json(body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.json().await.expect("every response is JSON");
        (status, headers, body)
    }
}

#[tokio::test]
async fn missing_unknown_and_underprivileged_keys() {
    let api = serve(config()).await;
    let body = json!({"attributes": []});
    let (status, headers, error) = api.post("/users/track", None, &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["message"], "Unauthorized");
    assert!(
        error["errors"][0]["type"]
            .as_str()
            .is_some_and(|t| t.contains("Bearer") && t.contains("[[api_keys]]")),
        "the error names the config key that holds API keys: {error}"
    );
    assert!(
        headers.contains_key("x-ratelimit-remaining"),
        "rate-limit headers on every response"
    );
    let (status, _, _) = api
        .post("/users/track", Some("lw-not-a-configured-key-000"), &body)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, error) = api
        .post(
            "/users/delete",
            Some(TRACK_KEY),
            &json!({"external_ids": ["x"]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error["message"], "Access Denied");
    assert!(
        error["errors"][0]["type"]
            .as_str()
            .is_some_and(|t| t.contains("users.delete") && t.contains("[[api_keys]]")),
        "{error}"
    );
    let (status, _, error) = api.post("/nowhere", Some(FULL_KEY), &body).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["message"], "Not Found");
    api.fixture.finish().await;
}

#[tokio::test]
async fn track_success_partial_success_and_total_failure() {
    let api = serve(config()).await;
    let (status, headers, body) = api
        .post(
            "/users/track",
            Some(TRACK_KEY),
            &json!({
                "attributes": [{"external_id": "u1", "first_name": "Ada", "lead_score": 10}, {"external_id": "u2", "plan": "pro"}],
                "events": [{"external_id": "u1", "name": "demo_requested", "time": "2024-05-01T10:00:00Z"}],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        body,
        json!({"message": "success", "attributes_processed": 2, "events_processed": 1})
    );
    let limit: u64 = headers["x-ratelimit-limit"]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("limit header");
    let remaining: u64 = headers["x-ratelimit-remaining"]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("remaining");
    assert!(remaining < limit);
    assert!(headers.contains_key("x-ratelimit-reset"));

    let (status, _, body) = api
        .post(
            "/users/track",
            Some(TRACK_KEY),
            &json!({"attributes": [{"external_id": "u3", "email": "nope"}, {"external_id": "u4", "x": 1}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["message"], "success");
    assert_eq!(body["attributes_processed"], 1);
    assert_eq!(body["errors"][0]["input_array"], "attributes");
    assert_eq!(body["errors"][0]["index"], 0);
    assert_eq!(body["errors"][0]["field"], "email");

    let (status, _, body) = api
        .post(
            "/users/track",
            Some(TRACK_KEY),
            &json!({"purchases": [{"external_id": "u1", "product_id": "p"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["message"], "Bad Request");
    assert_eq!(body["errors"][0]["input_array"], "purchases");
    assert_eq!(body["errors"][0]["field"], "currency");
    api.fixture.finish().await;
}

#[tokio::test]
async fn limits_malformed_bodies_and_the_75_object_cap() {
    let api = serve(ServerConfig {
        max_body_bytes: 16 * 1024,
        ..config()
    })
    .await;
    let attributes: Vec<Value> = (0..76)
        .map(|n| json!({"external_id": format!("u{n}"), "n": n}))
        .collect();
    let (status, _, body) = api
        .post(
            "/users/track",
            Some(TRACK_KEY),
            &json!({"attributes": attributes}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["message"], "Max Input Length Exceeded");
    assert_eq!(body["errors"][0]["input_array"], "attributes");

    let response = api
        .client
        .post(format!("{}/users/track", api.base))
        .bearer_auth(TRACK_KEY)
        .header("content-type", "application/json")
        .body("{\"attributes\": [")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("JSON error");
    assert!(
        body["errors"][0]["type"]
            .as_str()
            .is_some_and(|t| t.contains("not valid JSON"))
    );

    let big = json!({"attributes": [{"external_id": "u", "bio": "x".repeat(20 * 1024)}]});
    let (status, _, body) = api.post("/users/track", Some(TRACK_KEY), &big).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["errors"][0]["type"]
            .as_str()
            .is_some_and(|t| t.contains("larger than 16384 bytes"))
    );

    let (status, _, body) = api
        .post(
            "/users/track",
            Some(TRACK_KEY),
            &json!({"attributes": {"external_id": "u"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["field"], "attributes");
    api.fixture.finish().await;
}

#[tokio::test]
async fn export_alias_and_delete() {
    let api = serve(config()).await;
    api.post(
        "/users/track",
        Some(FULL_KEY),
        &json!({
            "attributes": [{"external_id": "lead-1", "first_name": "Ada", "email": "ada@example.com", "trial_ends": "2024-06-01", "stage": "mql"}],
            "events": [{"external_id": "lead-1", "name": "visit", "time": "2999-01-01T00:00:00Z"}],
        }),
    )
    .await;
    let (status, _, body) = api
        .post(
            "/users/export/ids",
            Some(FULL_KEY),
            &json!({"external_ids": ["lead-1", "ghost"], "fields_to_export": ["external_id", "first_name", "custom_attributes", "custom_events", "last_name"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "success");
    assert_eq!(body["invalid_user_ids"], json!(["ghost"]));
    let user = &body["users"][0];
    assert_eq!(user["external_id"], "lead-1");
    assert_eq!(user["first_name"], "Ada");
    assert!(user.get("last_name").is_none(), "empty fields are left out");
    assert!(
        user.get("email").is_none(),
        "fields not asked for are left out"
    );
    assert_eq!(
        user["custom_attributes"],
        json!({"trial_ends": "2024-06-01T00:00:00.000Z", "stage": "mql"})
    );
    assert_eq!(user["custom_events"][0]["name"], "visit");
    assert_eq!(user["custom_events"][0]["count"], 1);

    let (status, _, body) = api
        .post(
            "/users/export/ids",
            Some(FULL_KEY),
            &json!({"external_ids": ["lead-1"], "fields_to_export": ["shoe_size"]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["field"], "fields_to_export[0]");
    let many: Vec<String> = (0..51).map(|n| format!("u{n}")).collect();
    let (status, _, body) = api
        .post(
            "/users/export/ids",
            Some(FULL_KEY),
            &json!({"external_ids": many}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "The max number of external_ids and aliases per request was exceeded"
    );

    let (status, _, body) = api
        .post(
            "/users/alias/new",
            Some(FULL_KEY),
            &json!({"user_aliases": [
                {"external_id": "lead-1", "alias_name": "sf-00Q1", "alias_label": "salesforce"},
                {"alias_name": "anon-9", "alias_label": "web"},
                {"external_id": "ghost", "alias_name": "g", "alias_label": "web"},
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["aliases_processed"], 2);
    assert_eq!(body["errors"][0]["index"], 2);
    let (_, _, body) = api
        .post("/users/export/ids", Some(FULL_KEY), &json!({"user_aliases": [{"alias_name": "sf-00Q1", "alias_label": "salesforce"}], "fields_to_export": ["external_id", "user_aliases"]}))
        .await;
    assert_eq!(body["users"][0]["external_id"], "lead-1");
    assert_eq!(
        body["users"][0]["user_aliases"],
        json!([{"alias_name": "sf-00Q1", "alias_label": "salesforce"}])
    );
    let (_, _, body) = api
        .post(
            "/users/export/ids",
            Some(FULL_KEY),
            &json!({"email_address": "ada@example.com", "fields_to_export": ["braze_id"]}),
        )
        .await;
    assert!(body["users"][0]["braze_id"].as_str().is_some());

    let (status, _, body) = api
        .post(
            "/users/delete",
            Some(FULL_KEY),
            &json!({"external_ids": ["lead-1", "ghost"]}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body, json!({"deleted": 1, "message": "success"}));
    let (status, _, body) = api
        .post(
            "/users/delete",
            Some(FULL_KEY),
            &json!({"email_addresses": [{"email": "a@example.com"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["errors"][0]["field"],
        "email_addresses[0].prioritization"
    );
    let (_, _, body) = api
        .post(
            "/users/export/ids",
            Some(FULL_KEY),
            &json!({"external_ids": ["lead-1"]}),
        )
        .await;
    assert_eq!(body["users"], json!([]));
    api.fixture.finish().await;
}

#[tokio::test]
async fn delete_by_email_deletes_the_one_user_its_prioritization_picks() {
    let api = serve(config()).await;
    for attributes in [
        json!({"email": "dup@example.com", "first_name": "Anon"}),
        json!({"external_id": "dup-known", "email": "dup@example.com"}),
    ] {
        let (status, _, body) = api
            .post(
                "/users/track",
                Some(FULL_KEY),
                &json!({"attributes": [attributes]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let delete = |prioritization: Value| json!({"email_addresses": [{"email": "dup@example.com", "prioritization": prioritization}]});
    let (status, _, body) = api
        .post(
            "/users/delete",
            Some(FULL_KEY),
            &delete(json!(["identified", "unidentified"])),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, body) = api
        .post(
            "/users/delete",
            Some(FULL_KEY),
            &delete(json!(["unidentified"])),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body, json!({"deleted": 1, "message": "success"}));
    let (_, _, body) = api
        .post(
            "/users/export/ids",
            Some(FULL_KEY),
            &json!({"email_address": "dup@example.com", "fields_to_export": ["external_id", "first_name"]}),
        )
        .await;
    assert_eq!(
        body["users"],
        json!([{"external_id": "dup-known"}]),
        "{body}"
    );
    api.fixture.finish().await;
}

#[tokio::test]
async fn reserved_names_control_characters_and_oversized_arrays_are_per_object_errors() {
    let api = serve(config()).await;
    let too_many: Vec<usize> = (0..=leadwire_core::attributes::MAX_ARRAY_VALUE_ITEMS).collect();
    let (status, _, body) = api
        .post(
            "/users/track",
            Some(TRACK_KEY),
            &json!({"attributes": [
                {"external_id": "u1", "$plan": "pro"},
                {"external_id": "u2", "email": "ada\u{0}@example.com"},
                {"email": "ada\u{0}@example.com", "plan": "pro"},
                {"external_id": "u3", "tags": {"add": too_many}},
                {"external_id": "u4", "account": {"$plan": "pro"}},
                {"external_id": "u5", "plan": "pro"},
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["attributes_processed"], 1);
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    let fields: Vec<(&str, u64)> = errors
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or(""),
                e["index"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("$plan", 0),
            ("email", 1),
            ("email", 2),
            ("tags.add", 3),
            ("account.$plan", 4)
        ]
    );
    let kind = |index: usize| errors[index]["type"].as_str().unwrap_or("").to_owned();
    assert_eq!(
        kind(0).replacen("$plan", "account.$plan", 1),
        kind(4),
        "top-level and nested `$` names get the same message"
    );
    assert!(kind(1).contains("not a valid email"), "{}", kind(1));
    assert!(kind(3).contains("at most 1000"), "{}", kind(3));

    let (status, _, body) = api
        .post(
            "/users/track",
            Some(TRACK_KEY),
            &json!({"attributes": [{"external_id": "u6", "$plan": "pro"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["field"], "$plan");
    api.fixture.finish().await;
}
