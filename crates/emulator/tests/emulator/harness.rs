//! Starts an emulator on port 0 and talks to it with reqwest.

use http::{HeaderMap, Method, StatusCode};
use leadwire_salesforce_emulator::{
    EmulatorConfig, EmulatorHandle, EmulatorState, ServeOptions, spawn,
};
use serde_json::Value;

pub const CLIENT_ID: &str = "test-client";
pub const CLIENT_SECRET: &str = "test-secret";

/// A config with fixed credentials.
pub fn config() -> EmulatorConfig {
    EmulatorConfig {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        ..EmulatorConfig::default()
    }
}

pub struct Emulator {
    pub handle: EmulatorHandle,
    pub http: reqwest::Client,
    pub token: String,
}

/// A reply with its body kept as text and parsed JSON.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

pub async fn start_with(config: EmulatorConfig) -> Emulator {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let state = EmulatorState::new(config).expect("valid test config");
    let options = ServeOptions {
        plain_http: true,
        cert_out: None,
    };
    let handle = spawn(state, listener, options)
        .await
        .expect("emulator starts");
    let http = reqwest::Client::new();
    let mut emulator = Emulator {
        handle,
        http,
        token: String::new(),
    };
    emulator.token = emulator.fetch_token().await;
    emulator
}

pub async fn start() -> Emulator {
    start_with(config()).await
}

impl Emulator {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.handle.base_url, path)
    }

    pub fn api(&self, path: &str) -> String {
        self.url(&format!("/services/data/v60.0{path}"))
    }

    pub async fn fetch_token(&self) -> String {
        let reply = self
            .form(
                "/services/oauth2/token",
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", CLIENT_ID),
                    ("client_secret", CLIENT_SECRET),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.json["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        read(request.send().await.expect("request sent")).await
    }

    /// A REST call under /services/data/v60.0 with the test token.
    pub async fn call(&self, method: Method, path: &str, body: Option<&str>) -> Reply {
        self.raw(method, &self.api(path), body, Some(&self.token))
            .await
    }

    pub async fn raw(
        &self,
        method: Method,
        url: &str,
        body: Option<&str>,
        token: Option<&str>,
    ) -> Reply {
        let mut request = self.http.request(method, url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        read(request.send().await.expect("request sent")).await
    }

    pub async fn create(&self, body: &str) -> String {
        let reply = self.call(Method::POST, "/sobjects/Lead", Some(body)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.json["id"].as_str().expect("id").to_owned()
    }
}

pub async fn read(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body read");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        text,
        json,
    }
}
