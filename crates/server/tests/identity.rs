//! The identity endpoints over a real socket: `/users/alias/update`, `/users/identify`,
//! `/users/merge`, `/users/external_ids/rename` and `/users/external_ids/remove`.

mod common;

use common::{Running, TRACK_KEY, config, serve};
use leadwire_core::permission::Permission;
use leadwire_server::{ApiKeyConfig, ServerConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

const KEY: &str = "lw-identity-key-000000000000004";

fn identity_config() -> ServerConfig {
    let mut config = config();
    config.api_keys.push(ApiKeyConfig {
        name: "identity".into(),
        key: KEY.into(),
        permissions: vec![
            Permission::UsersTrack,
            Permission::UsersExportIds,
            Permission::UsersDelete,
            Permission::UsersAliasNew,
            Permission::UsersAliasUpdate,
            Permission::UsersIdentify,
            Permission::UsersMerge,
            Permission::UsersExternalIdsRename,
            Permission::UsersExternalIdsRemove,
        ],
    });
    config
}

async fn post(api: &Running, path: &str, key: &str, body: &Value) -> (StatusCode, Value) {
    let response = api
        .client
        .post(format!("{}{path}", api.base))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.expect("JSON"))
}

async fn track(api: &Running, attributes: Value) {
    let (status, body) = post(
        api,
        "/users/track",
        KEY,
        &json!({"attributes": [attributes]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// The exported user named by `identifier` (`{"external_ids": [...]}` or
/// `{"user_aliases": [...]}`), or `Null`.
async fn export(api: &Running, identifier: Value) -> Value {
    let (status, body) = post(api, "/users/export/ids", KEY, &identifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["users"].get(0).cloned().unwrap_or(Value::Null)
}

fn by_id(id: &str) -> Value {
    json!({"external_ids": [id]})
}

fn by_alias(label: &str, name: &str) -> Value {
    json!({"user_aliases": [{"alias_label": label, "alias_name": name}]})
}

fn alias_user(label: &str, name: &str, attributes: Value) -> Value {
    let mut object = json!({"user_alias": {"alias_label": label, "alias_name": name}, "_update_existing_only": false});
    if let (Some(object), Some(extra)) = (object.as_object_mut(), attributes.as_object()) {
        object.extend(extra.clone());
    }
    object
}

/// Every endpoint answers 403 to a key without its permission.
async fn refused_without_permission(api: &Running, path: &str, permission: &str) {
    let (status, body) = post(api, path, TRACK_KEY, &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    assert!(
        body["errors"][0]["type"]
            .as_str()
            .is_some_and(|t| t.contains(permission))
    );
}

#[tokio::test]
async fn identify_takes_the_id_or_merges_into_its_holder() {
    let api = serve(identity_config()).await;
    refused_without_permission(&api, "/users/identify", "users.identify").await;
    track(&api, alias_user("crm", "a1", json!({"score": 5}))).await;
    let identify = |items: Value| json!({"aliases_to_identify": items});
    let (status, body) = post(
        &api,
        "/users/identify",
        KEY,
        &identify(json!([{"external_id": "u1", "user_alias": {"alias_label": "crm", "alias_name": "a1"}}])),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body, json!({"aliases_processed": 1, "message": "success"}));
    let u1 = export(&api, by_id("u1")).await;
    assert_eq!(
        u1["custom_attributes"]["score"], 5,
        "the anonymous user took the id: {u1}"
    );

    track(&api, json!({"external_id": "u2", "plan": "pro"})).await;
    track(
        &api,
        alias_user("web", "a2", json!({"plan": "free", "seats": 3})),
    )
    .await;
    let (status, _) = post(
        &api,
        "/users/identify",
        KEY,
        &identify(json!([{"external_id": "u2", "user_alias": {"alias_label": "web", "alias_name": "a2"}}])),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let u2 = export(&api, by_id("u2")).await;
    assert_eq!(
        u2["custom_attributes"],
        json!({"plan": "pro", "seats": 3}),
        "merged: {u2}"
    );
    assert_eq!(
        export(&api, by_alias("web", "a2")).await["external_id"],
        "u2"
    );

    // u2 holds a `web` alias now: another `web` alias-only user is not combined with it.
    track(&api, alias_user("web", "a3", json!({"seats": 9}))).await;
    post(
        &api,
        "/users/identify",
        KEY,
        &identify(json!([{"external_id": "u2", "user_alias": {"alias_label": "web", "alias_name": "a3"}}])),
    )
    .await;
    let a3 = export(&api, by_alias("web", "a3")).await;
    assert!(a3.get("external_id").is_none(), "left alone: {a3}");

    // An email-only (anonymous) user, picked by prioritization.
    track(
        &api,
        alias_user(
            "app",
            "e1",
            json!({"email": "eve@example.com", "tier": "gold"}),
        ),
    )
    .await;
    let (status, body) = post(
        &api,
        "/users/identify",
        KEY,
        &json!({"emails_to_identify": [{"external_id": "u2", "email": "eve@example.com", "prioritization": ["unidentified", "most_recently_updated"]}]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        export(&api, by_id("u2")).await["custom_attributes"]["tier"],
        "gold"
    );
    api.fixture.finish().await;
}

#[tokio::test]
async fn identify_refuses_bad_requests() {
    let api = serve(identity_config()).await;
    let (status, body) = post(&api, "/users/identify", KEY, &json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["errors"][0]["type"]
            .as_str()
            .is_some_and(|t| t.contains("aliases_to_identify"))
    );
    let item = json!({"external_id": "u", "user_alias": {"alias_label": "l", "alias_name": "n"}});
    let (status, body) = post(
        &api,
        "/users/identify",
        KEY,
        &json!({"aliases_to_identify": vec![item.clone(); 26], "emails_to_identify": vec![json!({}); 25]}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "51 across the arrays: {body}"
    );
    let (status, body) = post(
        &api,
        "/users/identify",
        KEY,
        &json!({"aliases_to_identify": [item, {"user_alias": {}}], "phone_numbers_to_identify": [{"external_id": "u", "phone": "+1555"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["aliases_processed"], 1);
    assert_eq!(body["errors"][0]["index"], 1);
    assert_eq!(
        body["errors"][1]["input_array"],
        "phone_numbers_to_identify"
    );
    assert!(
        body["errors"][1]["type"]
            .as_str()
            .is_some_and(|t| t.contains("prioritization"))
    );
    let (status, _) = post(
        &api,
        "/users/identify",
        KEY,
        &json!({"aliases_to_identify": [], "merge_behavior": "drop"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    api.fixture.finish().await;
}

#[tokio::test]
async fn merge_folds_one_user_into_another() {
    let api = serve(identity_config()).await;
    refused_without_permission(&api, "/users/merge", "users.merge").await;
    track(
        &api,
        json!({"external_id": "keep", "first_name": "Ada", "plan": "pro"}),
    )
    .await;
    track(
        &api,
        json!({"external_id": "gone", "first_name": "Bob", "last_name": "Lovelace", "seats": 2}),
    )
    .await;
    let (status, body) = post(
        &api,
        "/users/merge",
        KEY,
        &json!({"merge_updates": [{"identifier_to_merge": {"external_id": "gone"}, "identifier_to_keep": {"external_id": "keep"}}]}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body, json!({"message": "success"}));
    let kept = export(&api, by_id("keep")).await;
    assert_eq!(kept["first_name"], "Ada");
    assert_eq!(kept["last_name"], "Lovelace");
    assert_eq!(
        kept["custom_attributes"],
        json!({"plan": "pro", "seats": 2})
    );
    assert_eq!(export(&api, by_id("gone")).await, Value::Null);

    // Different kinds of identifier: an email (with prioritization) into an alias.
    track(&api, alias_user("crm", "k", json!({"a": 1}))).await;
    track(
        &api,
        alias_user("web", "m", json!({"email": "m@example.com", "b": 2})),
    )
    .await;
    let (status, _) = post(
        &api,
        "/users/merge",
        KEY,
        &json!({"merge_updates": [{"identifier_to_merge": {"email": "m@example.com", "prioritization": ["unidentified", "most_recently_updated"]}, "identifier_to_keep": {"user_alias": {"alias_label": "crm", "alias_name": "k"}}}]}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let kept = export(&api, by_alias("crm", "k")).await;
    assert_eq!(kept["custom_attributes"], json!({"a": 1, "b": 2}));
    api.fixture.finish().await;
}

#[tokio::test]
async fn merge_answers_brazes_400_texts() {
    let api = serve(identity_config()).await;
    let update = json!({"identifier_to_merge": {"external_id": "a"}, "identifier_to_keep": {"external_id": "b"}});
    let cases = [
        (json!({}), "'merge_updates' must be an array of objects"),
        (
            json!({"merge_updates": [1]}),
            "'merge_updates' must be an array of objects",
        ),
        (
            json!({"merge_updates": vec![update.clone(); 51]}),
            "a single request may not contain more than 50 merge updates",
        ),
        (
            json!({"merge_updates": [{"identifier_to_merge": {"external_id": 7}, "identifier_to_keep": {"external_id": "b"}}]}),
            "identifiers must be objects with an 'external_id' property that is a string, 'user_alias' property that is an object, 'email' property that is a string, or 'phone' property that is a string",
        ),
        (
            json!({"merge_updates": [{"identifier_to_merge": {"email": "a@example.com"}, "identifier_to_keep": {"external_id": "b"}}]}),
            "identifiers must be objects with an 'external_id' property that is a string, 'user_alias' property that is an object, 'email' property that is a string, or 'phone' property that is a string",
        ),
        (
            json!({"merge_updates": [{"identifier_to_merge": {"external_id": "a"}, "identifier_to_keep": {"external_id": "b"}, "extra": 1}]}),
            "'merge_updates' must only have 'identifier_to_merge' and 'identifier_to_keep'",
        ),
    ];
    for (request, message) in cases {
        let (status, body) = post(&api, "/users/merge", KEY, &request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{request}");
        assert_eq!(body["message"], message, "{request}");
    }
    let (status, _) = post(
        &api,
        "/users/merge",
        KEY,
        &json!({"merge_updates": vec![update; 50]}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "50 is allowed; unknown users merge nothing"
    );
    api.fixture.finish().await;
}

#[tokio::test]
async fn alias_update_renames_within_the_label() {
    let api = serve(identity_config()).await;
    refused_without_permission(&api, "/users/alias/update", "users.alias.update").await;
    track(&api, json!({"external_id": "u1"})).await;
    track(&api, alias_user("crm", "taken", json!({}))).await;
    post(
        &api,
        "/users/alias/new",
        KEY,
        &json!({"user_aliases": [{"external_id": "u1", "alias_label": "crm", "alias_name": "old"}]}),
    )
    .await;
    let update = |old: &str, new: &str| json!({"alias_label": "crm", "old_alias_name": old, "new_alias_name": new});
    let (status, body) = post(
        &api,
        "/users/alias/update",
        KEY,
        &json!({"alias_updates": [update("old", "new"), update("nobody", "x"), update("new", "taken"), {"alias_label": "crm"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["message"], "success");
    let errors = body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2, "{body}");
    assert_eq!(errors[0]["index"], 2);
    assert_eq!(errors[0]["field"], "new_alias_name");
    assert_eq!(errors[1]["index"], 3);
    assert_eq!(
        export(&api, by_alias("crm", "new")).await["external_id"],
        "u1"
    );
    assert_eq!(export(&api, by_alias("crm", "old")).await, Value::Null);

    let (status, _) = post(&api, "/users/alias/update", KEY, &json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = post(
        &api,
        "/users/alias/update",
        KEY,
        &json!({"alias_updates": vec![update("a", "b"); 51]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    api.fixture.finish().await;
}

#[tokio::test]
async fn a_renamed_external_id_stays_usable_until_removed() {
    let api = serve(identity_config()).await;
    refused_without_permission(
        &api,
        "/users/external_ids/rename",
        "users.external_ids.rename",
    )
    .await;
    refused_without_permission(
        &api,
        "/users/external_ids/remove",
        "users.external_ids.remove",
    )
    .await;
    track(&api, json!({"external_id": "old", "plan": "pro"})).await;
    track(&api, json!({"external_id": "other"})).await;
    let rename =
        |current: &str, new: &str| json!({"current_external_id": current, "new_external_id": new});
    let (status, body) = post(
        &api,
        "/users/external_ids/rename",
        KEY,
        &json!({"external_id_renames": [rename("old", "new"), rename("old", "newer"), rename("other", "new"), rename("ghost", "g2"), rename("other", "other"), {"current_external_id": 5}]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["message"], "success");
    assert_eq!(body["external_ids"], json!(["old"]));
    let indexes: Vec<&Value> = body["rename_errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|error| &error[0])
        .collect();
    assert_eq!(
        indexes,
        vec![&json!(1), &json!(2), &json!(3), &json!(4), &json!(5)]
    );
    assert!(
        body["rename_errors"][0][1]
            .as_str()
            .is_some_and(|t| t.contains("deprecated"))
    );

    // The deprecated id still names the user: /users/track, exports.
    track(&api, json!({"external_id": "old", "seats": 4})).await;
    let user = export(&api, by_id("new")).await;
    assert_eq!(
        user["custom_attributes"],
        json!({"plan": "pro", "seats": 4})
    );
    assert_eq!(export(&api, by_id("old")).await["external_id"], "new");

    let (status, body) = post(
        &api,
        "/users/external_ids/remove",
        KEY,
        &json!({"external_ids": ["new", "old", "ghost"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["removed_ids"], json!(["old"]));
    assert_eq!(body["removal_errors"][0][0], 0);
    assert!(
        body["removal_errors"][0][1]
            .as_str()
            .is_some_and(|t| t.contains("primary"))
    );
    assert_eq!(body["removal_errors"][1][0], 2);
    assert_eq!(export(&api, by_id("old")).await, Value::Null);

    // /users/delete with a deprecated id deletes the whole profile.
    post(
        &api,
        "/users/external_ids/rename",
        KEY,
        &json!({"external_id_renames": [rename("other", "other2")]}),
    )
    .await;
    let (status, body) = post(
        &api,
        "/users/delete",
        KEY,
        &json!({"external_ids": ["other"]}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["deleted"], 1);
    assert_eq!(export(&api, by_id("other2")).await, Value::Null);

    for (path, key) in [
        ("/users/external_ids/rename", "external_id_renames"),
        ("/users/external_ids/remove", "external_ids"),
    ] {
        let (status, _) = post(&api, path, KEY, &json!({key: []})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} empty");
        let (status, _) = post(&api, path, KEY, &json!({key: vec![json!("x"); 51]})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} over 50");
    }
    api.fixture.finish().await;
}
