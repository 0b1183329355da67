//! `/console/config` and the Salesforce card: the loaded configuration as a tree, `check`'s
//! warnings, the runtime settings, and each connection's live status after real sends to
//! a small Salesforce, on the configuration page and the overview. No secret on any page.

use std::path::PathBuf;

use reqwest::StatusCode;

use crate::salesforce_double::{
    CLIENT_ID, CLIENT_SECRET, CREATE_LEAD, SECRET_ENV, console_delivering, send_one, start,
};
use crate::support::{OPERATOR_KEY, READER_KEY, console, console_with};

const JOURNEYS: &str = r#"
[[api_keys]]
name = "forms"
key_env = "FORMS_KEY"
permissions = ["users.track"]

[[webhook_templates]]
name = "Hook"
url = "https://hooks.example.com/lead?api_key=inline-query-secret-000111"
method = "POST"
headers = { "X-Api-Key" = "inline-header-secret-000222" }
body.json = { stage = "{{custom_attribute.${lead_stage}}}" }
capture = [{ field = "id", save_to = "custom_attribute.hook_id" }]

[[campaigns]]
name = "Welcome"
template = "Hook"
delay = "1h"
triggers = [{ type = "perform_custom_event", event = "signed_up" }]

[[canvases]]
name = "Onboarding"
api_id = "onboarding"
entry_schedule = "api_triggered"

[[canvases.steps]]
name = "Wait a day"
type = "delay"
duration = "1d"
next = "Send hook"

[[canvases.steps]]
name = "Send hook"
type = "message"
template = "Hook"
"#;

#[tokio::test]
async fn the_page_shows_the_source_the_warnings_and_the_tree() {
    let app = console_with(JOURNEYS, |_, context| {
        context.config_file = Some(PathBuf::from("/etc/leadwire/leadwire.toml"));
        context.diagnostics = vec!["line 12: campaign `Welcome` has no audience".into()];
    })
    .await;
    let session = app.login(READER_KEY).await;
    let page = app.get("/console/config", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for text in [
        "<h1>Configuration</h1>",
        "/etc/leadwire/leadwire.toml",
        "line 12: campaign `Welcome` has no audience",
        // The key by name, permissions and where it comes from.
        "forms",
        "users.track",
        "environment variable <code>FORMS_KEY</code>",
        // The template: method and URL, header names, body fields, captures.
        "POST <code>https://hooks.example.com/lead?api_key=",
        "<code>X-Api-Key</code>",
        "JSON: <code>stage</code>",
        "<code>id</code> → custom_attribute.hook_id",
        // The campaign and the canvas with its steps.
        "Perform Custom Event <code>signed_up</code>",
        "<td>1h</td>",
        "API-triggered",
        "wait 1d",
        "Wait a day",
        "next → Send hook",
        "template Hook",
        // No delivery worker here.
        "No webhook templates are configured, so nothing is sent to Salesforce",
        "No delivery worker runs on this node",
        "Session idle timeout",
    ] {
        page.assert_contains(text);
    }
    for secret in ["inline-query-secret-000111", "inline-header-secret-000222"] {
        assert!(!page.body.contains(secret), "{secret} on the page");
    }
    assert!(!page.body.contains("leadwire check found nothing"));
    app.fixture.finish().await;
}

#[tokio::test]
async fn an_empty_config_says_what_to_add() {
    let app = console("").await;
    let session = app.login(READER_KEY).await;
    let page = app.get("/console/config", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for text in [
        "leadwire check found nothing to warn about",
        "none: the node runs on the compiled-in defaults",
        "No [[api_keys]] in the config",
        "No [[salesforce_connections]]",
        "No [[webhook_templates]]",
        "No [[campaigns]]",
        "No [[canvases]]",
    ] {
        page.assert_contains(text);
    }
    app.fixture.finish().await;
}

#[tokio::test]
async fn a_real_send_shows_the_api_usage_and_the_token_on_config_and_overview() {
    let salesforce = start().await;
    let (app, worker) = console_delivering(&salesforce.config(), CLIENT_SECRET).await;
    let session = app.login(OPERATOR_KEY).await;
    let before = app.get("/console/config", Some(&session)).await;
    before.assert_contains("not fetched");
    before.assert_contains("none seen yet");
    before.assert_contains(&format!("<code>{}</code>", salesforce.base));

    send_one(&worker, CREATE_LEAD).await;
    send_one(&worker, CREATE_LEAD).await;
    for path in ["/console/config", "/console/"] {
        let page = app.get(path, Some(&session)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for text in [
            r#"data-testid="connection-sales""#,
            "<span class=\"usage\">25 / 15000</span> (0.2 %), seen ",
            r#"<meter min="0" max="15000" value="25""#,
            r#"<span class="badge fresh">fresh</span> fetched "#,
            "1 request since start",
            r#"<span class="badge closed">sending</span> · floor 10% (1500 requests)"#,
            r#"data-host="127.0.0.1""#,
            r#"<span class="badge closed">closed</span>"#,
        ] {
            page.assert_contains(text);
        }
        assert!(!page.body.contains("token-error"), "{}", page.body);
    }
    let config = app.get("/console/config", Some(&session)).await;
    for text in [
        &format!("<code>{CLIENT_ID}</code>"),
        &format!("environment variable <code>{SECRET_ENV}</code>"),
        &format!("<code>{}/services/oauth2/token</code>", salesforce.base),
        r#"data-testid="delivery-settings""#,
        "30s, 1m, 3m, 8m, 18m",
    ] {
        config.assert_contains(text);
    }
    app.fixture.finish().await;
}

#[tokio::test]
async fn a_refused_token_shows_as_failing_with_salesforce_s_error() {
    let salesforce = start().await;
    let wrong = "a-wrong-secret-that-is-long-enough-00";
    let (app, worker) = console_delivering(&salesforce.config(), wrong).await;
    send_one(&worker, CREATE_LEAD).await;
    let session = app.login(READER_KEY).await;
    let page = app.get("/console/", Some(&session)).await;
    page.assert_contains(r#"<span class="badge failing">failing</span> fetched "#);
    page.assert_contains("invalid_client: invalid client credentials");
    page.assert_contains("none seen yet");
    assert!(!page.body.contains(wrong), "{}", page.body);
    app.fixture.finish().await;
}

#[tokio::test]
async fn no_secret_appears_on_any_page() {
    let salesforce = start().await;
    let inline_key = "lw-inline-key-in-the-file-0000000042";
    let config = format!(
        "{}\n[[api_keys]]\nname = \"inline\"\nkey = \"{inline_key}\"\npermissions = [\"users.track\"]\n\n[[api_keys]]\nname = \"ops\"\nkey_env = \"OPS_KEY\"\npermissions = [\"console.read\"]\n",
        salesforce.config()
    );
    let (app, worker) = console_delivering(&config, CLIENT_SECRET).await;
    send_one(&worker, CREATE_LEAD).await;
    let session = app.login(OPERATOR_KEY).await;
    for path in ["/console/config", "/console/"] {
        let page = app.get(path, Some(&session)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for secret in [
            CLIENT_SECRET,
            inline_key,
            OPERATOR_KEY,
            "console-test-token",
        ] {
            assert!(!page.body.contains(secret), "{secret} on {path}");
        }
    }
    let config = app.get("/console/config", Some(&session)).await;
    config.assert_contains("written in the file (hidden)");
    config.assert_contains("environment variable <code>OPS_KEY</code>");
    config.assert_contains("25 / 15000");
    app.fixture.finish().await;
}
