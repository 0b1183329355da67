//! `connected_content`: option parsing, the request handed to the fetcher, response handling,
//! caching and retries, driven through a scripted in-memory fetcher.

use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::{Duration as ChronoDuration, TimeZone, Utc};
use leadwire_liquid::{
    AbortKind, ConnectedRequest, ConnectedResponses, Engine, FetchError, FetchedResponse, Fetcher,
    Globals, HttpMethod, MemoryCache, NoCache, Outcome, RenderError, Step,
};
use serde_json::json;

/// Answers with scripted results in order (the last one repeats) and records every request.
struct ScriptedFetcher {
    script: Mutex<VecDeque<Result<FetchedResponse, FetchError>>>,
    seen: Mutex<Vec<ConnectedRequest>>,
}

fn ok(status: u16, body: &str) -> Result<FetchedResponse, FetchError> {
    Ok(FetchedResponse {
        status,
        headers: vec![],
        body: body.to_string(),
    })
}

impl ScriptedFetcher {
    fn new(script: Vec<Result<FetchedResponse, FetchError>>) -> Self {
        ScriptedFetcher {
            script: Mutex::new(script.into()),
            seen: Mutex::new(Vec::new()),
        }
    }

    fn requests(&self) -> Vec<ConnectedRequest> {
        self.seen.lock().expect("not poisoned").clone()
    }
}

#[async_trait::async_trait]
impl Fetcher for ScriptedFetcher {
    async fn fetch(&self, request: &ConnectedRequest) -> Result<FetchedResponse, FetchError> {
        self.seen
            .lock()
            .expect("not poisoned")
            .push(request.clone());
        let mut script = self.script.lock().expect("not poisoned");
        if script.len() > 1 {
            script.pop_front()
        } else {
            script.front().cloned()
        }
        .unwrap_or_else(|| Err(FetchError::Transport("no scripted answer".into())))
    }
}

const SEED_AUTH_HEADER: &str = "{% connected_content https://[insert_instance_name].my.salesforce.com/services/oauth2/token :method post :body client_id=[insert_client_id]&client_secret=[insert_client_secret]&grant_type=client_credentials :save result %}Bearer {{result.access_token}}";

fn globals() -> Globals {
    let now = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid date");
    let user = json!({"external_id": "u-1", "first_name": "Ada"});
    Globals::new()
        .with_user(user.as_object().expect("an object"))
        .with_now(now)
}

async fn render(source: &str, fetcher: &ScriptedFetcher) -> Result<Outcome, RenderError> {
    let engine = Engine::default();
    let template = engine.parse(source).expect("the template parses");
    engine
        .render_async(&template, &globals(), fetcher, &NoCache)
        .await
}

#[tokio::test]
async fn seed_placeholder_url_is_not_a_valid_url() {
    let fetcher = ScriptedFetcher::new(vec![ok(200, "{}")]);
    let error = render(SEED_AUTH_HEADER, &fetcher)
        .await
        .expect_err("the placeholder host is invalid");
    assert_eq!(
        error.to_string(),
        "https://[insert_instance_name].my.salesforce.com/services/oauth2/token is not a valid URL"
    );
    assert!(
        fetcher.requests().is_empty(),
        "no request is made for an invalid URL"
    );
}

#[tokio::test]
async fn seed_authorization_header_with_a_real_host() {
    let source = SEED_AUTH_HEADER.replace("[insert_instance_name]", "acme");
    let fetcher = ScriptedFetcher::new(vec![ok(
        200,
        r#"{"access_token":"00Dabc!token","token_type":"Bearer"}"#,
    )]);
    let outcome = render(&source, &fetcher).await.expect("renders");
    assert_eq!(outcome, Outcome::Rendered("Bearer 00Dabc!token".into()));
    let requests = fetcher.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, HttpMethod::Post);
    assert_eq!(
        request.url,
        "https://acme.my.salesforce.com/services/oauth2/token"
    );
    assert_eq!(
        request.body.as_deref(),
        Some(
            "client_id=[insert_client_id]&client_secret=[insert_client_secret]&grant_type=client_credentials"
        )
    );
    assert!(request.headers.contains(&(
        "Content-Type".into(),
        "application/x-www-form-urlencoded".into()
    )));
    assert_eq!(request.timeout, std::time::Duration::from_secs(2));
    assert_eq!(request.max_response_bytes, 1024 * 1024);
    assert!(!request.follow_redirects);
    assert_eq!(
        request.cache_ttl, None,
        "a POST without :cache_max_age is not cached"
    );
}

#[tokio::test]
async fn every_option_is_read() {
    let source = r#"{% assign token = "t0k" %}{% connected_content https://api.example.com/u/{{${user_id}}}?q={{ 'a b' | url_encode }}
        :method post
        :body a=1&b={{${first_name}}}
        :headers {"X-Token": "{{token}}", "Accept": "application/vnd.x"}
        :content_type application/json
        :basic_auth my_cred
        :auth_credentials token_cred
        :cache_max_age 90000
        :retry
        :save r %}{{ r.ok }}"#;
    let fetcher = ScriptedFetcher::new(vec![ok(200, r#"{"ok":"yes"}"#)]);
    let outcome = render(source, &fetcher).await.expect("renders");
    assert_eq!(outcome, Outcome::Rendered("yes".into()));
    let request = &fetcher.requests()[0];
    assert_eq!(request.url, "https://api.example.com/u/u-1?q=a+b");
    assert_eq!(
        request.body.as_deref(),
        Some(r#"{"a":"1","b":"Ada"}"#),
        "form body JSON-encoded"
    );
    assert!(
        request
            .headers
            .contains(&("Content-Type".into(), "application/json".into()))
    );
    assert!(
        request
            .headers
            .contains(&("Accept".into(), "application/vnd.x".into()))
    );
    assert!(request.headers.contains(&("X-Token".into(), "t0k".into())));
    assert_eq!(request.basic_auth.as_deref(), Some("my_cred"));
    assert_eq!(request.auth_credentials.as_deref(), Some("token_cred"));
    assert_eq!(
        request.cache_ttl,
        Some(std::time::Duration::from_secs(14_400)),
        "bounded to 4 h"
    );
    assert!(request.retry);
}

#[tokio::test]
async fn get_defaults_connected_variable_and_status_code() {
    let source = "{% connected_content https://api.example.com/x %}{{ connected.name }} {{ connected.__http_status_code__ }}";
    let fetcher = ScriptedFetcher::new(vec![ok(200, r#"{"name":"widget"}"#)]);
    assert_eq!(
        render(source, &fetcher).await.expect("renders"),
        Outcome::Rendered("widget 200".into())
    );
    let request = &fetcher.requests()[0];
    assert_eq!(request.method, HttpMethod::Get);
    assert!(
        request
            .headers
            .contains(&("Content-Type".into(), "application/json".into()))
    );
    assert!(request.headers.contains(&("Accept".into(), "*/*".into())));
    assert_eq!(request.cache_ttl, Some(std::time::Duration::from_secs(300)));
}

#[tokio::test]
async fn arrays_are_saved_without_a_status_code_and_text_is_inserted() {
    let fetcher = ScriptedFetcher::new(vec![ok(200, r#"[{"woeid":44418}]"#)]);
    let out = render(
        "{% connected_content https://a.example/x :save l %}{{ l[0].woeid }}",
        &fetcher,
    )
    .await;
    assert_eq!(out.expect("renders"), Outcome::Rendered("44418".into()));
    let fetcher = ScriptedFetcher::new(vec![ok(200, "plain text")]);
    let out = render("[{% connected_content https://a.example/t %}]", &fetcher).await;
    assert_eq!(
        out.expect("renders"),
        Outcome::Rendered("[plain text]".into())
    );
    let fetcher = ScriptedFetcher::new(vec![ok(404, "not found page")]);
    let out = render("[{% connected_content https://a.example/t %}]", &fetcher).await;
    assert_eq!(
        out.expect("renders"),
        Outcome::Rendered("[]".into()),
        "a 404 renders empty"
    );
}

#[tokio::test]
async fn status_check_can_abort() {
    let source = "{% connected_content https://a.example/x :save result %}{% if result.__http_status_code__ != 200 %}{% abort_message('bad status') %}{% endif %}ok";
    let fetcher = ScriptedFetcher::new(vec![ok(503, r#"{"error":"down"}"#)]);
    let outcome = render(source, &fetcher).await.expect("renders");
    assert!(matches!(outcome, Outcome::Aborted(a) if a.reason == "bad status"));
}

#[tokio::test]
async fn retry_gives_up_after_five_retries_with_a_distinct_abort() {
    let source = "{% connected_content https://a.example/x :retry :save r %}{{ r.v }}";
    let fetcher = ScriptedFetcher::new(vec![ok(500, "boom")]);
    let outcome = render(source, &fetcher).await.expect("renders");
    match outcome {
        Outcome::Aborted(abort) => {
            assert_eq!(abort.kind, AbortKind::ExhaustedConnectedContentRetries)
        }
        other => panic!("expected an abort, got {other:?}"),
    }
    assert_eq!(fetcher.requests().len(), 6, "one attempt plus five retries");

    let fetcher = ScriptedFetcher::new(vec![
        Err(FetchError::Timeout),
        ok(502, "bad gateway"),
        ok(200, r#"{"v":"finally"}"#),
    ]);
    assert_eq!(
        render(source, &fetcher).await.expect("renders"),
        Outcome::Rendered("finally".into())
    );
    assert_eq!(fetcher.requests().len(), 3);
}

#[tokio::test]
async fn failures_without_retry_render_empty() {
    let fetcher = ScriptedFetcher::new(vec![Err(FetchError::Timeout)]);
    let out = render(
        "[{% connected_content https://a.example/x :save r %}{{ r.v }}]",
        &fetcher,
    )
    .await;
    assert_eq!(out.expect("renders"), Outcome::Rendered("[]".into()));
}

#[tokio::test]
async fn get_responses_are_cached_across_renders_and_expire() {
    let engine = Engine::default();
    let template = engine
        .parse("{% connected_content https://a.example/x %}{{ connected.n }}")
        .expect("parses");
    let fetcher = ScriptedFetcher::new(vec![ok(200, r#"{"n":1}"#), ok(200, r#"{"n":2}"#)]);
    let cache = MemoryCache::default();
    let start = globals();
    for _ in 0..3 {
        let out = engine
            .render_async(&template, &start, &fetcher, &cache)
            .await
            .expect("renders");
        assert_eq!(out, Outcome::Rendered("1".into()));
    }
    assert_eq!(fetcher.requests().len(), 1, "identical GETs hit the cache");
    let later = start
        .clone()
        .with_now(start.now() + ChronoDuration::seconds(301));
    let out = engine
        .render_async(&template, &later, &fetcher, &cache)
        .await
        .expect("renders");
    assert_eq!(
        out,
        Outcome::Rendered("2".into()),
        "the 300 s default expired"
    );

    let no_cache = engine
        .parse("{% connected_content https://a.example/y :no_cache %}{{ connected.n }}")
        .expect("parses");
    let fetcher = ScriptedFetcher::new(vec![ok(200, r#"{"n":1}"#)]);
    for _ in 0..2 {
        engine
            .render_async(&no_cache, &start, &fetcher, &cache)
            .await
            .expect("renders");
    }
    assert_eq!(fetcher.requests().len(), 2, ":no_cache skips the cache");
}

#[tokio::test]
async fn post_is_cached_only_with_cache_max_age() {
    let engine = Engine::default();
    let cache = MemoryCache::default();
    let g = globals();
    let plain = engine
        .parse(
            "{% connected_content https://a.example/t :method post :body a=1 :save t %}{{ t.k }}",
        )
        .expect("parses");
    let fetcher = ScriptedFetcher::new(vec![ok(200, r#"{"k":"v"}"#)]);
    for _ in 0..2 {
        engine
            .render_async(&plain, &g, &fetcher, &cache)
            .await
            .expect("renders");
    }
    assert_eq!(fetcher.requests().len(), 2);
    let cached = engine
        .parse("{% connected_content https://a.example/t :method post :body a=1 :cache_max_age 60 :save t %}{{ t.k }}")
        .expect("parses");
    let fetcher = ScriptedFetcher::new(vec![ok(200, r#"{"k":"v"}"#)]);
    for _ in 0..2 {
        engine
            .render_async(&cached, &g, &fetcher, &cache)
            .await
            .expect("renders");
    }
    assert_eq!(fetcher.requests().len(), 1);
    assert_eq!(
        fetcher.requests()[0].cache_ttl,
        Some(std::time::Duration::from_secs(300)),
        "raised to the 300 s minimum"
    );
}

#[test]
fn the_sync_step_hands_back_the_request_then_uses_the_recorded_response() {
    let engine = Engine::default();
    let template = engine
        .parse("A{% connected_content https://a.example/x :save r %}{{ r.v }}B")
        .expect("parses");
    let g = globals();
    let mut responses = ConnectedResponses::default();
    let request = match engine
        .render_step(&template, &g, &responses)
        .expect("renders")
    {
        Step::Fetch(request) => request,
        other => panic!("expected a fetch, got {other:?}"),
    };
    responses.record(
        &request,
        leadwire_liquid::Recorded::Response(FetchedResponse {
            status: 200,
            headers: vec![],
            body: r#"{"v":"x"}"#.into(),
        }),
    );
    let step = engine
        .render_step(&template, &g, &responses)
        .expect("renders");
    assert_eq!(step, Step::Done(Outcome::Rendered("AxB".into())));
    assert!(matches!(
        engine.render(&template, &g),
        Err(RenderError::FetchNeeded)
    ));
}

#[test]
fn option_errors_are_parse_errors() {
    let engine = Engine::default();
    for bad in [
        "{% connected_content %}",
        "{% connected_content https://a.example :method put %}",
        "{% connected_content https://a.example :headers {not json} %}",
        "{% connected_content https://a.example :cache_max_age soon %}",
        "{% connected_content https://a.example stray :save x %}",
    ] {
        assert!(engine.parse(bad).is_err(), "{bad} should not parse");
    }
}
