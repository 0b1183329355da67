//! A console on a real socket with an operator logged in, and requests that carry the
//! session cookie and the CSRF token the way a browser does.

#![allow(dead_code)]

use std::sync::Arc;

use leadwire_core::config::Config;
use leadwire_core::permission::Permission;
use leadwire_server::console::{Console, ConsoleContext, ConsoleSettings};
use leadwire_server::{ApiKeyConfig, AppState};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, HeaderMap, LOCATION, SET_COOKIE};

use crate::common::{self, Fixture};

/// Every console permission.
pub const OPERATOR_KEY: &str = "lw-console-operator-key-000000001";
/// `console.read` only.
pub const READER_KEY: &str = "lw-console-reader-key-00000000002";
/// No console permission.
pub const INGEST_KEY: &str = common::TRACK_KEY;

/// A console served on port 0 over a fresh SQLite store.
pub struct ConsoleApp {
    pub base: String,
    pub client: reqwest::Client,
    pub fixture: Fixture,
}

/// An answer: status, headers and body text.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }

    /// The value of the first hidden `csrf` input on the page.
    pub fn csrf(&self) -> String {
        hidden(&self.body, "csrf").expect("a csrf field on the page")
    }

    /// The body with maud's HTML escapes undone, to look for text such as JSON.
    pub fn text(&self) -> String {
        self.body
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    }

    /// Asserts the page, unescaped, shows `text`.
    #[track_caller]
    pub fn assert_shows(&self, text: &str) {
        assert!(
            self.text().contains(text),
            "expected {text:?} shown on the page ({}):\n{}",
            self.status,
            self.body
        );
    }

    #[track_caller]
    pub fn assert_contains(&self, text: &str) {
        assert!(
            self.body.contains(text),
            "expected {text:?} on the page ({}):\n{}",
            self.status,
            self.body
        );
    }
}

/// The value of the hidden input `name` in `html`.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

fn keys() -> Vec<ApiKeyConfig> {
    let mut keys = common::api_keys();
    keys.push(ApiKeyConfig {
        name: "operators".into(),
        key: OPERATOR_KEY.into(),
        permissions: vec![
            Permission::ConsoleRead,
            Permission::ConsoleWrite,
            Permission::ActivityRead,
        ],
    });
    keys.push(ApiKeyConfig {
        name: "readers".into(),
        key: READER_KEY.into(),
        permissions: vec![Permission::ConsoleRead],
    });
    keys
}

/// A console over a fresh store, with the journeys of `journeys_toml` (may be empty).
pub async fn console(journeys_toml: &str) -> ConsoleApp {
    console_with(journeys_toml, |_, _| {}).await
}

/// As [`console`], with `adjust` given the node's state and the console's context before
/// the console starts (to attach a delivery worker, name a config file, add warnings).
pub async fn console_with(
    journeys_toml: &str,
    adjust: impl FnOnce(&AppState, &mut ConsoleContext),
) -> ConsoleApp {
    let server = leadwire_server::ServerConfig {
        api_keys: keys(),
        ..leadwire_server::ServerConfig::default()
    };
    let fixture = common::fixture(server).await;
    let config: Config = toml::from_str(journeys_toml).expect("a valid config");
    let mut state: AppState = fixture.state.clone();
    if !config.campaigns.is_empty() || !config.canvases.is_empty() {
        state = common::with_journeys(&state, journeys_toml);
    }
    let mut context = ConsoleContext::new(Arc::new(config));
    adjust(&state, &mut context);
    let state = state.with_console(Console::new(ConsoleSettings::default(), context));
    let address = common::listen(state).await;
    ConsoleApp {
        base: format!("http://{address}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client"),
        fixture,
    }
}

/// A logged-in browser: its session cookie and its CSRF token.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

impl ConsoleApp {
    /// Send jobs waiting on the sends queue (the tests run no delivery worker).
    pub async fn waiting_sends(&self) -> u64 {
        self.fixture
            .state
            .store
            .pending_jobs(leadwire_store::Queue::Sends)
            .await
            .expect("a count of waiting sends")
    }

    pub async fn get(&self, path: &str, session: Option<&Session>) -> Page {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(session) = session {
            request = request.header(COOKIE, &session.cookie);
        }
        read(request.send().await.expect("GET answered")).await
    }

    /// POSTs `form` (add the `csrf` field yourself) with the session's cookie.
    pub async fn post(&self, path: &str, session: Option<&Session>, form: &[(&str, &str)]) -> Page {
        let mut request = self.client.post(format!("{}{path}", self.base)).form(form);
        if let Some(session) = session {
            request = request.header(COOKIE, &session.cookie);
        }
        read(request.send().await.expect("POST answered")).await
    }

    /// Posts `body` to `/users/track` with the ingest key; panics unless it is accepted.
    pub async fn track(&self, body: serde_json::Value) {
        let answer = self
            .client
            .post(format!("{}/users/track", self.base))
            .bearer_auth(INGEST_KEY)
            .json(&body)
            .send()
            .await
            .expect("/users/track answered");
        let status = answer.status();
        let text = answer.text().await.unwrap_or_default();
        assert_eq!(status, StatusCode::CREATED, "{text}");
    }

    /// Logs in with `key` as a browser does; panics unless that succeeds.
    pub async fn login(&self, key: &str) -> Session {
        let (page, answer) = self.try_login(key).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        let cookie = session_cookie(&answer.headers).expect("a session cookie");
        let overview = self
            .get(
                "/console/",
                Some(&Session {
                    cookie: cookie.clone(),
                    csrf: String::new(),
                }),
            )
            .await;
        assert_eq!(overview.status, StatusCode::OK, "{}", page.body);
        Session {
            cookie,
            csrf: overview.csrf(),
        }
    }

    /// Opens the login form and sends `key`; returns the form page and the answer.
    pub async fn try_login(&self, key: &str) -> (Page, Page) {
        let form = self.get("/console/login", None).await;
        let login_cookie =
            cookie_pair(&form.headers, "leadwire_console_login").expect("login cookie");
        let csrf = form.csrf();
        let answer = self
            .client
            .post(format!("{}/console/login", self.base))
            .header(COOKIE, login_cookie)
            .form(&[("key", key), ("csrf", csrf.as_str()), ("next", "/console/")])
            .send()
            .await
            .expect("login answered");
        (form, read(answer).await)
    }
}

async fn read(response: reqwest::Response) -> Page {
    Page {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.text().await.expect("a body"),
    }
}

/// `name=value` of the `Set-Cookie` header that sets `name`.
pub fn cookie_pair(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .find(|pair| pair.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie_pair(headers, "leadwire_console")
}

/// The full `Set-Cookie` header that sets `name`.
pub fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}
