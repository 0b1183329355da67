//! `/content_blocks/create`, `/update`, `/list` and `/info` over a real socket: Braze's
//! answers and error texts, config blocks read-only, inclusions from the templates, and
//! blocks kept in the store (on PostgreSQL too when `LEADWIRE_TEST_DATABASE_URL` is set).

mod common;

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use common::{FULL_KEY, Fixture, config, listen};
use leadwire_core::permission::Permission;
use leadwire_server::{ApiKeyConfig, DomainConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

const BLOCKS_KEY: &str = "lw-content-blocks-key-000000000004";

const DOMAIN: &str = r#"
[[content_blocks]]
name = "signature"
content = "-- {{${first_name}}}"
description = "Sales signature"
tags = ["sales"]
content_type = "text"

[[webhook_templates]]
name = "Hook"
url = "https://example.com/hook"
method = "POST"
body.json = { note = "{{content_blocks.${footer}}}" }

[[campaigns]]
name = "Welcome"
template = "Hook"
delivery = "api_triggered"
"#;

struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    async fn post(&self, path: &str, key: &str, body: Value) -> (StatusCode, Value) {
        let request = self.client.post(format!("{}{path}", self.base));
        let response = request.bearer_auth(key).json(&body).send().await;
        read(response.expect("request")).await
    }

    async fn get(&self, path_and_query: &str) -> (StatusCode, Value) {
        let request = self.client.get(format!("{}{path_and_query}", self.base));
        read(
            request
                .bearer_auth(BLOCKS_KEY)
                .send()
                .await
                .expect("request"),
        )
        .await
    }
}

async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.expect("JSON"))
}

async fn api(fixture: &Fixture) -> Api {
    let domain = DomainConfig {
        config: toml::from_str(DOMAIN).expect("valid config"),
        file: Some(PathBuf::from("/etc/leadwire/leadwire.toml")),
        loaded_at: Utc
            .with_ymd_and_hms(2026, 12, 1, 0, 0, 0)
            .single()
            .expect("time"),
    };
    let state = fixture.state.clone().with_domain(domain);
    Api {
        base: format!("http://{}", listen(state).await),
        client: reqwest::Client::new(),
    }
}

fn server_config() -> leadwire_server::ServerConfig {
    let mut config = config();
    config.api_keys.push(ApiKeyConfig {
        name: "blocks".into(),
        key: BLOCKS_KEY.into(),
        permissions: vec![
            Permission::ContentBlocksList,
            Permission::ContentBlocksInfo,
            Permission::ContentBlocksCreate,
            Permission::ContentBlocksUpdate,
        ],
    });
    config
}

/// The `message` of a refused create with `body`.
async fn refused(api: &Api, body: Value) -> String {
    let (status, answer) = api.post("/content_blocks/create", BLOCKS_KEY, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["errors"][0]["type"].is_string(), "{answer}");
    answer["message"].as_str().expect("a message").to_owned()
}

async fn create_update_list_and_info(fixture: &Fixture) {
    let api = api(fixture).await;
    let body = json!({"name": "footer", "content": "Bye {{content_blocks.${signature}}}",
                      "description": "Lead footer", "tags": ["lead"]});
    let (status, _) = api
        .post("/content_blocks/create", FULL_KEY, body.clone())
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the key needs content_blocks.create"
    );
    let (status, created) = api.post("/content_blocks/create", BLOCKS_KEY, body).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["message"], "success");
    assert_eq!(created["liquid_tag"], "{{content_blocks.${footer}}}");
    let id = created["content_block_id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert!(
        created["created_at"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z'))
    );

    let (status, info) = api
        .get(&format!(
            "/content_blocks/info?content_block_id={id}&include_inclusion_data=true"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(info["name"], "footer");
    assert_eq!(info["content"], "Bye {{content_blocks.${signature}}}");
    assert_eq!(info["description"], "Lead footer");
    assert_eq!(info["content_type"], "html");
    assert_eq!(info["tags"], json!(["lead"]));
    assert_eq!(
        info["inclusion_count"], 1,
        "the Welcome campaign's template"
    );
    assert_eq!(info["inclusion_data"][0]["campaign_id"], "Welcome");
    assert_eq!(info["message"], "success");

    let update = json!({"content_block_id": id, "content": "See you {{${first_name}}}"});
    let (status, updated) = api.post("/content_blocks/update", BLOCKS_KEY, update).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["content_block_id"], id);
    assert_eq!(updated["created_at"], created["created_at"]);

    let (status, list) = api.get("/content_blocks/list").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["count"], 2);
    let names: Vec<&str> = list["content_blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .filter_map(|block| block["name"].as_str())
        .collect();
    assert_eq!(names, vec!["signature", "footer"], "config blocks first");
    let signature = &list["content_blocks"][0];
    assert_eq!(signature["content_type"], "text");
    assert_eq!(signature["liquid_tag"], "{{content_blocks.${signature}}}");
    assert_eq!(
        signature["inclusion_count"], 0,
        "the footer no longer includes it"
    );
    assert_eq!(signature["last_edited"], "2026-12-01T00:00:00.000Z");

    let (_, page) = api.get("/content_blocks/list?limit=1&offset=1").await;
    assert_eq!(page["count"], 1);
    assert_eq!(page["content_blocks"][0]["name"], "footer");
    let (_, recent) = api
        .get("/content_blocks/list?modified_after=2026-12-02T00:00:00Z")
        .await;
    assert_eq!(recent["count"], 1, "only the API block was edited since");
    let (_, old) = api
        .get("/content_blocks/list?modified_before=2026-12-01")
        .await;
    assert_eq!(old["count"], 1, "only the config block");
}

async fn every_refusal_has_brazes_text(fixture: &Fixture) {
    let api = api(fixture).await;
    let content = json!("Hi");
    for (body, message) in [
        (
            json!({"content": content}),
            "Content Block name cannot be blank",
        ),
        (
            json!({"name": "a b", "content": content}),
            "Content Block name can only contain alphanumeric characters",
        ),
        (
            json!({"name": "a".repeat(100), "content": content}),
            "Content Block name must be shorter than 100 characters",
        ),
        (json!({"name": "x"}), "Content cannot be blank"),
        (
            json!({"name": "x", "content": 5}),
            "Content must be a string",
        ),
        (
            json!({"name": "x", "content": "y".repeat(50 * 1024)}),
            "Content must be smaller than 50kb",
        ),
        (
            json!({"name": "x", "content": "{% if a %}open"}),
            "Content contains malformed liquid",
        ),
        (
            json!({"name": "x", "content": "{{content_blocks.${x}}}"}),
            "Content Block cannot be referenced within itself",
        ),
        (
            json!({"name": "x", "content": content, "description": ""}),
            "Content Block description cannot be blank",
        ),
        (
            json!({"name": "x", "content": content, "description": 1}),
            "Content Block description must be a string",
        ),
        (
            json!({"name": "x", "content": content, "description": "d".repeat(250)}),
            "Content Block description must be shorter than 250 characters",
        ),
        (
            json!({"name": "x", "content": content, "state": "archived"}),
            "Content Block state must be either active or draft",
        ),
        (
            json!({"name": "x", "content": content, "tags": "a"}),
            "Tags must be an array",
        ),
        (
            json!({"name": "x", "content": content, "tags": [1]}),
            "All tags must be strings",
        ),
        (
            json!({"name": "signature", "content": content}),
            "Content Block with this name already exists",
        ),
    ] {
        assert_eq!(refused(&api, body.clone()).await, message, "{body}");
    }

    let (_, draft) = api
        .post(
            "/content_blocks/create",
            BLOCKS_KEY,
            json!({"name": "draft_one", "content": "d", "state": "draft"}),
        )
        .await;
    let draft_id = draft["content_block_id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let (_, active) = api
        .post(
            "/content_blocks/create",
            BLOCKS_KEY,
            json!({"name": "live", "content": "l"}),
        )
        .await;
    let active_id = active["content_block_id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let (status, _) = api
        .post(
            "/content_blocks/update",
            BLOCKS_KEY,
            json!({"content_block_id": draft_id, "name": "renamed", "state": "active"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a draft may be renamed and activated"
    );
    let signature_id = leadwire_core::content_block::config_block_id("signature");
    for (body, message) in [
        (json!({"content": "x"}), "Content Block ID cannot be blank"),
        (
            json!({"content_block_id": "nope"}),
            "Content Block ID is invalid for this workspace",
        ),
        (
            json!({"content_block_id": active_id, "name": "other"}),
            "Content Block name cannot be updated for active Content Blocks",
        ),
        (
            json!({"content_block_id": active_id, "state": "draft"}),
            "Active Content Block can not be updated to Draft. Create a new Content Block.",
        ),
        (
            json!({"content_block_id": signature_id, "content": "x"}),
            "Content Block is declared in the config file and cannot be updated through the API",
        ),
    ] {
        let (status, answer) = api.post("/content_blocks/update", BLOCKS_KEY, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["message"], message, "{answer}");
        if message.contains("config file") {
            let fix = answer["errors"][0]["type"].as_str().expect("a fix");
            assert!(fix.contains("/etc/leadwire/leadwire.toml"), "{fix}");
        }
    }

    for (query, message) in [
        ("modified_after=yesterday", "Modified after time is invalid"),
        ("modified_before=soon", "Modified before time is invalid"),
        (
            "modified_after=2026-12-02&modified_before=2026-12-01",
            "Modified after time must be earlier than or the same as modified before time.",
        ),
        ("limit=many", "Content Block number limit is invalid"),
        (
            "limit=0",
            "Content Block number limit must be greater than 0",
        ),
        (
            "limit=1001",
            "Content Block number limit exceeds maximum of 1000",
        ),
        ("offset=x", "Offset is invalid"),
        ("offset=-1", "Offset must be greater than 0"),
    ] {
        let (status, answer) = api.get(&format!("/content_blocks/list?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {answer}");
        assert_eq!(answer["message"], message, "{query}");
    }
    for (query, message) in [
        ("", "Content Block ID cannot be blank"),
        (
            "content_block_id=nope",
            "Content Block ID is invalid for this workspace",
        ),
        (
            &format!("content_block_id={signature_id}&include_inclusion_data=yes") as &str,
            "Include Inclusion Data—error",
        ),
    ] {
        let (status, answer) = api.get(&format!("/content_blocks/info?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {answer}");
        assert_eq!(answer["message"], message, "{query}");
    }
}

#[tokio::test]
async fn blocks_are_created_updated_listed_and_described_on_sqlite() {
    let fixture = common::fixture(server_config()).await;
    create_update_list_and_info(&fixture).await;
    fixture.finish().await;
}

#[tokio::test]
async fn blocks_are_created_updated_listed_and_described_on_postgres() {
    let Some(fixture) = common::postgres_fixture(server_config()).await else {
        return;
    };
    create_update_list_and_info(&fixture).await;
    fixture.finish().await;
}

#[tokio::test]
async fn every_refusal_answers_brazes_error_text() {
    let fixture = common::fixture(server_config()).await;
    every_refusal_has_brazes_text(&fixture).await;
    fixture.finish().await;
}
