//! Logging in and out, sessions, and the CSRF check.

use reqwest::StatusCode;

use crate::support::{INGEST_KEY, OPERATOR_KEY, READER_KEY, Session, console, set_cookie};

#[tokio::test]
async fn pages_need_a_session_and_lead_to_the_login() {
    let app = console("").await;
    let page = app.get("/console/log?type=success", None).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location(),
        "/console/login?next=/console/log%3Ftype%3Dsuccess"
    );
    let stale = Session {
        cookie: "leadwire_console=forged".into(),
        csrf: String::new(),
    };
    assert_eq!(
        app.get("/console/", Some(&stale)).await.status,
        StatusCode::SEE_OTHER
    );
    let form = app.get("/console/login", None).await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_contains("console.read");
    app.fixture.finish().await;
}

#[tokio::test]
async fn a_key_with_console_read_logs_in_with_a_strict_http_only_cookie() {
    let app = console("").await;
    let (_, answer) = app.try_login(OPERATOR_KEY).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location(), "/console/");
    let cookie = set_cookie(&answer.headers, "leadwire_console").expect("session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let session = app.login(OPERATOR_KEY).await;
    let overview = app.get("/console/", Some(&session)).await;
    overview.assert_contains("Key <strong>operators</strong>");
    let csp = overview.headers["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    app.fixture.finish().await;
}

#[tokio::test]
async fn wrong_keys_and_keys_without_console_read_are_refused() {
    let app = console("").await;
    let (_, unknown) = app.try_login("lw-not-a-key-at-all-000000000").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    unknown.assert_contains("not one of the node's API keys");
    let (_, ingest) = app.try_login(INGEST_KEY).await;
    assert_eq!(ingest.status, StatusCode::FORBIDDEN);
    ingest.assert_contains("console.read");
    let reader = app.login(READER_KEY).await;
    app.get("/console/", Some(&reader))
        .await
        .assert_contains("(read only)");
    app.fixture.finish().await;
}

#[tokio::test]
async fn failed_logins_are_limited_per_address() {
    let app = console("").await;
    let mut refused = None;
    for attempt in 0..30 {
        let (_, answer) = app.try_login("lw-guessing-a-key-00000000000").await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(attempt);
            assert!(answer.headers.contains_key("retry-after"));
            break;
        }
    }
    assert_eq!(
        refused,
        Some(20),
        "the 21st failure is refused (failed_auth_per_ip = 20)"
    );
    let (_, valid) = app.try_login(OPERATOR_KEY).await;
    assert_eq!(
        valid.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the address is blocked"
    );
    app.fixture.finish().await;
}

#[tokio::test]
async fn a_post_without_its_csrf_token_is_refused_and_logout_ends_the_session() {
    let app = console("").await;
    let session = app.login(OPERATOR_KEY).await;
    let forged = app.post("/console/logout", Some(&session), &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    forged.assert_contains("CSRF token");
    let wrong = app
        .post(
            "/console/logout",
            Some(&session),
            &[("csrf", "not-the-token")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let cross_site = app
        .client
        .post(format!("{}/console/logout", app.base))
        .header("cookie", &session.cookie)
        .header("sec-fetch-site", "cross-site")
        .form(&[("csrf", session.csrf.as_str())])
        .send()
        .await
        .expect("answered");
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/console/", Some(&session)).await.status,
        StatusCode::OK
    );
    let logout = app
        .post(
            "/console/logout",
            Some(&session),
            &[("csrf", session.csrf.as_str())],
        )
        .await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    assert_eq!(logout.location(), "/console/login");
    assert_eq!(
        app.get("/console/", Some(&session)).await.status,
        StatusCode::SEE_OTHER
    );
    app.fixture.finish().await;
}

#[tokio::test]
async fn the_login_form_needs_its_own_token() {
    let app = console("").await;
    let answer = app
        .post(
            "/console/login",
            None,
            &[("key", OPERATOR_KEY), ("csrf", "x"), ("next", "/console/")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    app.fixture.finish().await;
}

#[tokio::test]
async fn assets_are_embedded_and_unknown_pages_say_so() {
    let app = console("").await;
    let htmx = app.get("/console/static/htmx-2.0.11.min.js", None).await;
    assert_eq!(htmx.status, StatusCode::OK);
    assert!(htmx.body.starts_with("var htmx="));
    let session = app.login(OPERATOR_KEY).await;
    let missing = app.get("/console/no-such-page", Some(&session)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    missing.assert_contains("there is no such page");
    app.fixture.finish().await;
}
