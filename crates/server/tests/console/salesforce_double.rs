//! A small Salesforce on a real socket (a client-credentials token endpoint and Lead
//! create, answering with `Sforce-Limit-Info: api-usage=25/15000`), and a console whose
//! node runs a real delivery worker sending to it, for the pages that show delivery's live
//! status.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use chrono::Utc;
use leadwire_core::activity::MessageSource;
use leadwire_core::attributes::ProfileChanges;
use leadwire_core::profile::Profile;
use leadwire_core::queue::SendTask;
use leadwire_engine::delivery::{DeliverySettings, DeliveryWorker, SystemClock, WorkerInputs};
use leadwire_engine::metrics::Metrics;
use leadwire_store::{NewTask, ProfileWrite};
use serde_json::json;
use uuid::Uuid;

use crate::support::{ConsoleApp, console_with};

/// The client secret the double accepts.
pub const CLIENT_SECRET: &str = "sf-secret-never-on-a-page-0123456789";
/// The variable the connection reads its secret from.
pub const SECRET_ENV: &str = "SALES_CLIENT_SECRET";
pub const CLIENT_ID: &str = "leadwire-console-test-client";
/// The token the double issues.
const ACCESS_TOKEN: &str = "00D000000000001!console-test-token";
/// What every Lead create answers in `Sforce-Limit-Info`.
pub const LIMIT_INFO: &str = "api-usage=25/15000";
/// The template that creates a Lead through the `sales` connection.
pub const CREATE_LEAD: &str = "Create Lead";

/// The double's address.
#[derive(Clone)]
pub struct SalesforceDouble {
    pub base: String,
}

/// Starts the double on port 0.
pub async fn start() -> SalesforceDouble {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let base = format!("http://{}", listener.local_addr().expect("local address"));
    let app = Router::new()
        .route("/services/oauth2/token", post(token))
        .route("/services/data/v60.0/sobjects/Lead/", post(create_lead))
        .with_state(base.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    SalesforceDouble { base }
}

async fn token(State(base): State<String>, Form(form): Form<HashMap<String, String>>) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str);
    if field("client_id") != Some(CLIENT_ID) || field("client_secret") != Some(CLIENT_SECRET) {
        let refusal =
            json!({"error": "invalid_client", "error_description": "invalid client credentials"});
        return (StatusCode::BAD_REQUEST, Json(refusal)).into_response();
    }
    Json(json!({"access_token": ACCESS_TOKEN, "instance_url": base, "token_type": "Bearer"}))
        .into_response()
}

async fn create_lead(headers: HeaderMap) -> Response {
    let bearer = format!("Bearer {ACCESS_TOKEN}");
    if headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        != Some(&bearer)
    {
        let refusal =
            json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]);
        return (StatusCode::UNAUTHORIZED, Json(refusal)).into_response();
    }
    let created = json!({"id": "00Q000000000001AAA", "success": true, "errors": []});
    (
        StatusCode::CREATED,
        [("sforce-limit-info", LIMIT_INFO)],
        Json(created),
    )
        .into_response()
}

impl SalesforceDouble {
    /// One connection `sales` to the double, its secret in [`SECRET_ENV`], and a template
    /// creating a Lead through it.
    pub fn config(&self) -> String {
        format!(
            r#"
[[salesforce_connections]]
name = "sales"
instance_url = "{base}"
client_id = "{CLIENT_ID}"
client_secret_env = "{SECRET_ENV}"

[[webhook_templates]]
name = "{CREATE_LEAD}"
connection = "sales"
url = "{{{{connections.sales.instance_url}}}}/services/data/v60.0/sobjects/Lead/"
method = "POST"
headers = {{ Authorization = "Bearer {{{{connections.sales.access_token}}}}", "Content-Type" = "application/json" }}
body.json = {{ LastName = "{{{{${{last_name}}}}}}", Company = "Analytical Engines" }}
"#,
            base = self.base
        )
    }
}

/// A console whose node runs a delivery worker for `config_toml`, reading `secret` as the
/// value of [`SECRET_ENV`]; returns the worker to send with.
pub async fn console_delivering(
    config_toml: &str,
    secret: &str,
) -> (ConsoleApp, Arc<DeliveryWorker>) {
    let env: HashMap<String, String> = [(SECRET_ENV.to_owned(), secret.to_owned())].into();
    let mut built = None;
    let app = console_with(config_toml, |state, context| {
        let worker = DeliveryWorker::new(WorkerInputs {
            store: state.store.clone(),
            config: context.config.clone(),
            settings: DeliverySettings {
                allowed_hosts: vec!["127.0.0.1".into()],
                ..DeliverySettings::default()
            },
            metrics: Arc::new(Metrics::new()),
            clock: Arc::new(SystemClock),
            env: Box::new(move |name| env.get(name).cloned()),
        })
        .expect("the delivery worker builds");
        let worker = Arc::new(worker);
        context.delivery = Some(worker.clone());
        built = Some(worker);
    })
    .await;
    (app, built.expect("a worker"))
}

/// Saves a new profile, enqueues one send of `template` to it, and delivers every due send.
pub async fn send_one(worker: &DeliveryWorker, template: &str) {
    let now = Utc::now();
    let mut profile = Profile::new(Uuid::new_v4(), now);
    profile.external_id = Some(format!("lead-{}", profile.id.simple()));
    profile
        .standard
        .insert("last_name".into(), json!("Lovelace"));
    let changes = ProfileChanges::default();
    let store = worker.store();
    let mut tx = store.begin().await.expect("begin");
    let write = ProfileWrite {
        profile: &profile,
        changes: &changes,
    };
    tx.save_profiles(&[write]).await.expect("save the profile");
    let task = SendTask {
        send_id: Uuid::new_v4(),
        user_id: profile.id,
        template: template.into(),
        source: MessageSource::Campaign {
            campaign: "New lead".into(),
        },
        created_at: now,
        event_properties: None,
        api_trigger_properties: None,
        canvas_entry_properties: None,
        follow_up: None,
        webhook: None,
        tracking_send_id: None,
    };
    tx.enqueue(&NewTask::new(task, now)).await.expect("enqueue");
    tx.commit().await.expect("commit");
    worker.drain().await.expect("the send is delivered");
}
