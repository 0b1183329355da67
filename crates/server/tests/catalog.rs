//! Braze's export endpoints over a real socket: `/campaigns/list`, `/campaigns/details`,
//! `/campaigns/data_series`, `/canvas/list`, `/canvas/details`, `/canvas/data_series` and
//! `/canvas/data_summary` read the config, the registry's dates and the counters.

mod common;
#[path = "console/journey_data.rs"]
mod journey_data;

use chrono::{DateTime, TimeZone, Utc};
use common::{config, fixture, listen, with_journeys};
use journey_data::{
    JOURNEYS, campaign, canvas_step, journey, lead_scoring, outcomes, record, save,
};
use leadwire_core::config::Config;
use leadwire_core::permission::Permission;
use leadwire_server::{ApiKeyConfig, ServerConfig, register_config};
use reqwest::StatusCode;
use serde_json::{Value, json};

const READ_KEY: &str = "lw-export-read-key-0000000000004";
const SECRET: &str = "sk-literal-secret-0123456789";

fn read_config() -> ServerConfig {
    let mut config = config();
    config.api_keys.push(ApiKeyConfig {
        name: "exports".into(),
        key: READ_KEY.into(),
        permissions: vec![
            Permission::CampaignsList,
            Permission::CampaignsDetails,
            Permission::CampaignsDataSeries,
            Permission::CanvasList,
            Permission::CanvasDetails,
            Permission::CanvasDataSeries,
            Permission::CanvasDataSummary,
        ],
    });
    config
}

/// [`JOURNEYS`] with a literal secret in the Create Lead template's headers.
fn journeys() -> String {
    let method = "url = \"https://example.com/leads\"\nmethod = \"POST\"\n";
    assert_eq!(JOURNEYS.matches(method).count(), 1);
    JOURNEYS.replace(
        method,
        &format!("{method}headers = {{ Authorization = \"Bearer {SECRET}\", \"X-Lead\" = \"{{{{ ${{email_address}} }}}}\" }}\n"),
    )
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0)
        .single()
        .expect("a time")
}

struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.get_as(path, READ_KEY).await
    }

    async fn get_as(&self, path: &str, key: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(key)
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.json().await.expect("JSON"))
    }

    async fn ok(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(body["message"], "success", "{body}");
        body
    }

    /// A 400 naming `field`; returns its message.
    async fn bad(&self, path: &str, field: &str) -> String {
        let (status, body) = self.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{path}: {body}");
        body["message"].as_str().expect("a message").to_owned()
    }
}

async fn api(state: leadwire_server::AppState) -> Api {
    Api {
        base: format!("http://{}", listen(state).await),
        client: reqwest::Client::new(),
    }
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[tokio::test]
async fn lists_and_details_read_the_config_with_its_dates() {
    let fixture = fixture(read_config()).await;
    let source = journeys();
    let parsed: Config = toml::from_str(&source).expect("valid journeys");
    let store = fixture.state.store.clone();
    register_config(store.as_ref(), &parsed, at(1, 9))
        .await
        .expect("register");
    let api = api(with_journeys(&fixture.state, &source)).await;

    let list = api.ok("/campaigns/list").await;
    assert_eq!(
        ids(&list, "campaigns"),
        ["Welcome", "new_lead"],
        "same creation time: by id"
    );
    let welcome = &list["campaigns"][0];
    assert_eq!(welcome["name"], "Welcome");
    assert_eq!(welcome["is_api_campaign"], true);
    assert_eq!(welcome["last_edited"], "2026-11-01T09:00:00+00:00");
    assert_eq!(welcome["tags"], json!([]));
    assert_eq!(list["campaigns"][1]["is_api_campaign"], false);

    let details = api.ok("/campaigns/details?campaign_id=new_lead").await;
    assert_eq!(details["name"], "New lead to Salesforce");
    assert_eq!(details["created_at"], "2026-11-01T09:00:00+00:00");
    assert_eq!(details["schedule_type"], "action_based");
    assert_eq!(details["channels"], json!(["webhook"]));
    assert_eq!(details["first_sent"], Value::Null);
    let message = &details["messages"]["new_lead-webhook"];
    assert_eq!(message["channel"], "webhook", "{details}");
    assert_eq!(message["url"], "https://example.com/leads");
    assert_eq!(message["method"], "POST");
    assert_eq!(message["headers"]["Authorization"], "Bearer [redacted]");
    assert_eq!(message["headers"]["X-Lead"], "{{ ${email_address} }}");
    assert!(!details.to_string().contains(SECRET), "{details}");
    let welcome = api.ok("/campaigns/details?campaign_id=Welcome").await;
    assert_eq!(
        welcome["schedule_type"], "api_triggered",
        "named by its name"
    );
    assert_eq!(welcome["messages"]["Welcome-webhook"]["method"], "PATCH");

    let canvases = api.ok("/canvas/list").await;
    assert_eq!(ids(&canvases, "canvases"), ["lead_scoring"]);
    let canvas = api.ok("/canvas/details?canvas_id=lead_scoring").await;
    assert_eq!(canvas["name"], "Lead Scoring");
    assert_eq!(
        canvas["variants"],
        json!([{"name": "Variant 1", "id": "lead_scoring-variant", "first_step_ids": ["Qualify"], "first_step_id": "Qualify"}])
    );
    let steps = canvas["steps"].as_array().expect("steps");
    let step = |name: &str| {
        steps
            .iter()
            .find(|step| step["name"] == name)
            .expect("the step")
            .clone()
    };
    let qualify = step("Qualify");
    assert_eq!(qualify["type"], "audience_paths");
    assert_eq!(
        qualify["next_step_ids"],
        json!(["Create lead", "Wait for demo"])
    );
    assert_eq!(
        qualify["next_paths"],
        json!([{"name": "Hot", "next_step_id": "Create lead"}, {"name": "Warm", "next_step_id": "Wait for demo"}]),
        "Everyone Else exits, so it leads nowhere"
    );
    assert_eq!(
        step("Cool off")["next_paths"],
        json!([{"name": null, "next_step_id": "Create lead"}])
    );
    let create = step("Create lead");
    assert_eq!(create["channels"], json!(["webhook"]));
    assert_eq!(
        create["messages"]["Create lead-webhook"]["headers"]["Authorization"],
        "Bearer [redacted]"
    );
    assert_eq!(step("Cool off")["messages"], json!({}));

    // A changed campaign moves its last_edited; one removed is archived.
    let edited: Config =
        toml::from_str(&source.replace("delay = \"15m\"", "delay = \"20m\"")).expect("valid");
    register_config(store.as_ref(), &edited, at(2, 9))
        .await
        .expect("register");
    let after = api
        .ok("/campaigns/list?last_edit.time[gt]=2026-11-01T09:00:00")
        .await;
    assert_eq!(ids(&after, "campaigns"), ["new_lead"]);
    assert_eq!(
        after["campaigns"][0]["last_edited"],
        "2026-11-02T09:00:00+00:00"
    );
    let welcome = "[[campaigns]]\nname = \"Welcome\"\ntemplate = \"Update Lead\"\ndelivery = \"api_triggered\"\n";
    assert_eq!(source.matches(welcome).count(), 1);
    let fewer = source
        .replace("delay = \"15m\"", "delay = \"20m\"")
        .replace(welcome, "");
    let parsed: Config = toml::from_str(&fewer).expect("valid");
    register_config(store.as_ref(), &parsed, at(3, 9))
        .await
        .expect("register");
    let api = self::api(with_journeys(&fixture.state, &fewer)).await;
    assert_eq!(
        ids(&api.ok("/campaigns/list").await, "campaigns"),
        ["new_lead"]
    );
    let archived = api
        .ok("/campaigns/list?include_archived=true&sort_direction=desc")
        .await;
    assert_eq!(
        ids(&archived, "campaigns"),
        ["new_lead", "Welcome"],
        "{archived}"
    );
    assert_eq!(archived["campaigns"][1]["name"], "Welcome");
    let (status, body) = api.get("/campaigns/details?campaign_id=Welcome").await;
    assert_eq!(
        (status, &body["message"]),
        (StatusCode::BAD_REQUEST, &json!("Invalid Campaign ID"))
    );
    fixture.finish().await;
}

#[tokio::test]
async fn unknown_ids_bad_parameters_and_missing_permissions_are_refused() {
    let fixture = fixture(read_config()).await;
    let api = api(with_journeys(&fixture.state, &journeys())).await;
    for (path, message) in [
        ("/campaigns/details?campaign_id=nope", "Invalid Campaign ID"),
        (
            "/campaigns/data_series?campaign_id=nope&length=1",
            "Invalid Campaign ID",
        ),
        ("/canvas/details?canvas_id=nope", "Invalid Canvas ID"),
        (
            "/canvas/data_series?canvas_id=nope&length=1",
            "Invalid Canvas ID",
        ),
        (
            "/canvas/data_summary?canvas_id=nope&length=1",
            "Invalid Canvas ID",
        ),
    ] {
        let (status, body) = api.get(path).await;
        assert_eq!(
            (status, body["message"].as_str()),
            (StatusCode::BAD_REQUEST, Some(message)),
            "{path}: {body}"
        );
    }
    assert_eq!(
        api.bad("/campaigns/details", "campaign_id").await,
        "Bad Request"
    );
    api.bad("/canvas/details", "canvas_id").await;
    api.bad("/campaigns/list?page=-1", "page").await;
    api.bad("/canvas/list?sort_direction=sideways", "sort_direction")
        .await;
    api.bad("/canvas/list?include_archived=maybe", "include_archived")
        .await;
    api.bad(
        "/campaigns/list?last_edit.time[gt]=yesterday",
        "last_edit.time[gt]",
    )
    .await;
    api.bad("/campaigns/data_series?campaign_id=new_lead", "length")
        .await;
    api.bad(
        "/campaigns/data_series?campaign_id=new_lead&length=101",
        "length",
    )
    .await;
    api.bad(
        "/campaigns/data_series?campaign_id=new_lead&length=0",
        "length",
    )
    .await;
    api.bad(
        "/campaigns/data_series?campaign_id=new_lead&length=1&ending_at=soon",
        "ending_at",
    )
    .await;
    api.bad("/canvas/data_series?canvas_id=lead_scoring", "length")
        .await;
    api.bad(
        "/canvas/data_series?canvas_id=lead_scoring&length=15",
        "length",
    )
    .await;
    api.bad(
        "/canvas/data_summary?canvas_id=lead_scoring&starting_at=2026-11-01&ending_at=2026-11-15",
        "starting_at",
    )
    .await;
    api.bad(
        "/canvas/data_summary?canvas_id=lead_scoring&length=2&include_step_breakdown=yes",
        "include_step_breakdown",
    )
    .await;
    for path in [
        "/campaigns/list",
        "/campaigns/details?campaign_id=new_lead",
        "/canvas/data_summary?canvas_id=lead_scoring&length=1",
    ] {
        let (status, body) = api.get_as(path, common::FULL_KEY).await;
        assert_eq!(
            (status, &body["message"]),
            (StatusCode::FORBIDDEN, &json!("Access Denied")),
            "{path}"
        );
    }
    fixture.finish().await;
}

#[tokio::test]
async fn lists_page_a_hundred_at_a_time() {
    let fixture = fixture(read_config()).await;
    let mut source = String::from(
        "[[webhook_templates]]\nname = \"Hook\"\nurl = \"https://example.com/hook\"\nmethod = \"POST\"\n",
    );
    for index in 0..150 {
        source.push_str(&format!("\n[[campaigns]]\nname = \"c{index:03}\"\ntemplate = \"Hook\"\ndelivery = \"api_triggered\"\n"));
    }
    let api = api(with_journeys(&fixture.state, &source)).await;
    let first = api.ok("/campaigns/list").await;
    let first = ids(&first, "campaigns");
    assert_eq!(
        (first.len(), first[0].as_str(), first[99].as_str()),
        (100, "c000", "c099")
    );
    let second = ids(&api.ok("/campaigns/list?page=1").await, "campaigns");
    assert_eq!((second.len(), second[0].as_str()), (50, "c100"));
    assert!(ids(&api.ok("/campaigns/list?page=2").await, "campaigns").is_empty());
    let newest = ids(
        &api.ok("/campaigns/list?sort_direction=desc").await,
        "campaigns",
    );
    assert_eq!(newest[0], "c149");
    fixture.finish().await;
}

#[tokio::test]
async fn data_series_count_webhook_sends_and_canvas_entries_by_day() {
    let fixture = fixture(read_config()).await;
    let store = fixture.state.store.clone();
    let api = api(with_journeys(&fixture.state, &journeys())).await;
    let series =
        "/campaigns/data_series?campaign_id=new_lead&length=3&ending_at=2026-11-03T23:00:00Z";
    let before = api.ok(series).await;
    assert_eq!(
        before["data"][2],
        json!({"time": "2026-11-03", "messages": {"webhook": [{"variation_api_id": "new_lead-webhook", "sent": 0, "errors": 0}]}})
    );

    // Success, webhook error, Connected Content error, aborted: sent counts what went out.
    let new_lead = campaign("New lead to Salesforce");
    record(&store, &outcomes(at(3, 10), &new_lead, [3, 1, 1, 2])).await;
    record(&store, &outcomes(at(1, 23), &new_lead, [1, 0, 0, 0])).await;
    record(&store, &outcomes(at(4, 0), &new_lead, [5, 0, 0, 0])).await;
    let after = api.ok(series).await;
    let day = |index: usize| after["data"][index]["messages"]["webhook"][0].clone();
    assert_eq!(after["data"].as_array().map(Vec::len), Some(3));
    assert_eq!(after["data"][0]["time"], "2026-11-01");
    assert_eq!(
        (day(0)["sent"].as_u64(), day(0)["errors"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        (day(1)["sent"].as_u64(), day(1)["errors"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        (day(2)["sent"].as_u64(), day(2)["errors"].as_u64()),
        (Some(5), Some(2))
    );
    let details = api.ok("/campaigns/details?campaign_id=new_lead").await;
    assert_eq!(details["first_sent"], "2026-11-01T23:00:00+00:00");
    assert_eq!(details["last_sent"], "2026-11-04T00:00:00+00:00");

    let canvas = lead_scoring();
    save(
        &store,
        &[
            journey(&canvas, at(2, 8), &["Hot"]),
            journey(&canvas, at(3, 8), &["Hot"]),
            journey(&canvas, at(3, 9), &[]),
        ],
    )
    .await;
    record(
        &store,
        &outcomes(
            at(3, 10),
            &canvas_step("Lead Scoring", "Create lead"),
            [2, 1, 0, 4],
        ),
    )
    .await;
    let range =
        "canvas_id=lead_scoring&starting_at=2026-11-02T00:00:00Z&ending_at=2026-11-03T12:00:00Z";
    let series = api
        .ok(&format!(
            "/canvas/data_series?{range}&include_variant_breakdown=true&include_step_breakdown=true"
        ))
        .await;
    assert_eq!(series["data"]["name"], "Lead Scoring");
    let stats = series["data"]["stats"].as_array().expect("stats");
    assert_eq!(stats.len(), 2);
    assert_eq!(stats[0]["time"], "2026-11-02");
    assert_eq!(stats[0]["total_stats"], json!({"entries": 1}));
    assert_eq!(stats[1]["total_stats"], json!({"entries": 2}));
    assert_eq!(
        stats[1]["variant_stats"]["lead_scoring-variant"],
        json!({"name": "Variant 1", "entries": 2})
    );
    assert_eq!(
        stats[1]["step_stats"]["Create lead"],
        json!({"name": "Create lead", "messages": {"webhook": [{"sent": 3, "errors": 1}]}})
    );
    assert_eq!(
        stats[1]["step_stats"]["Qualify"],
        json!({"name": "Qualify", "messages": {}})
    );
    let plain = api.ok(&format!("/canvas/data_series?{range}")).await;
    assert!(
        plain["data"]["stats"][0].get("variant_stats").is_none(),
        "{plain}"
    );
    assert!(
        plain["data"]["stats"][0].get("step_stats").is_none(),
        "{plain}"
    );

    let summary = api
        .ok(&format!(
            "/canvas/data_summary?{range}&include_step_breakdown=true"
        ))
        .await;
    assert_eq!(summary["data"]["name"], "Lead Scoring");
    assert_eq!(summary["data"]["total_stats"], json!({"entries": 3}));
    assert!(summary["data"].get("stats").is_none());
    assert_eq!(
        summary["data"]["step_stats"]["Create lead"]["messages"]["webhook"][0]["sent"],
        3
    );
    let canvas_details = api.ok("/canvas/details?canvas_id=lead_scoring").await;
    assert_eq!(canvas_details["first_entry"], "2026-11-02T00:00:00+00:00");
    assert_eq!(canvas_details["last_entry"], "2026-11-03T00:00:00+00:00");
    fixture.finish().await;
}
