//! Logging in and out. The login form takes an API key with `console.read`; a wrong key
//! counts against the same per-address budget of failed authentications as the REST API's,
//! so guessing keys here is as slow as there. The form's CSRF token is a cookie it must
//! match (the visitor has no session yet).

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use leadwire_core::permission::Permission;
use maud::html;
use serde::Deserialize;

use super::error::{ConsoleError, console_path};
use super::guard::LOGIN;
use super::layout;
use super::session::{self, Operator, random_token, same_token};
use crate::auth::Caller;
use crate::rate_limit::Client;
use crate::state::AppState;

/// The login form's own CSRF cookie.
const LOGIN_COOKIE: &str = "leadwire_console_login";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(LOGIN, get(form).post(log_in))
        .route("/console/logout", post(log_out))
}

#[derive(Debug, Default, Deserialize)]
pub struct Next {
    next: Option<String>,
}

async fn form(headers: HeaderMap, jar: CookieJar, Query(query): Query<Next>) -> Response {
    let token = random_token();
    let cookie = Cookie::build((LOGIN_COOKIE, token.clone()))
        .path(LOGIN)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(session::over_https(&headers))
        .build();
    let next = console_path(query.next.as_deref().unwrap_or("/console/"));
    (jar.add(cookie), login_page(&token, next, None)).into_response()
}

fn login_page(token: &str, next: &str, problem: Option<&str>) -> maud::Markup {
    layout::bare(
        "Log in",
        html! {
            @if let Some(problem) = problem {
                p.error role="alert" { (problem) }
            }
            form.login method="post" action=(LOGIN) {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="next" value=(next);
                label for="key" { "API key" }
                input #key type="password" name="key" autocomplete="current-password" required autofocus;
                p.muted { "Use a REST API key whose permissions include " code { "console.read" } " (and " code { "console.write" } " to replay and send tests). " code { "leadwire serve" } " logs the keys it generated." }
                button type="submit" { "Log in" }
            }
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    key: String,
    csrf: String,
    #[serde(default)]
    next: String,
}

async fn log_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Peer(client): Peer,
    Form(login): Form<LoginForm>,
) -> Result<Response, ConsoleError> {
    let console = state
        .console
        .as_ref()
        .ok_or_else(|| ConsoleError::NotFound("console".into()))?;
    let expected = jar
        .get(LOGIN_COOKIE)
        .map(|cookie| cookie.value().to_owned());
    if !expected.is_some_and(|expected| same_token(&expected, &login.csrf)) {
        return Err(ConsoleError::Csrf);
    }
    let limits = &state.rate_limits;
    if let Some(budget) = limits.failed_auth.blocked(&client) {
        return Err(too_many(&budget));
    }
    let header = format!("Bearer {}", login.key.trim());
    let caller = Caller {
        key: state.keys.identify(Some(&header)),
    };
    let next = console_path(&login.next).to_owned();
    let retry = |problem: &str| login_page(&login.csrf, &next, Some(problem)).into_response();
    if caller.key.is_none() {
        let budget = limits.failed_auth.record(&client);
        if !budget.allowed() {
            return Err(too_many(&budget));
        }
        tracing::warn!(%client, "console login with an unknown key");
        return Ok(with_status(
            axum::http::StatusCode::UNAUTHORIZED,
            retry("That is not one of the node's API keys."),
        ));
    }
    let name = match state.keys.permit(caller, Permission::ConsoleRead) {
        Ok(name) => name.to_owned(),
        Err(_) => {
            return Ok(with_status(
                axum::http::StatusCode::FORBIDDEN,
                retry(
                    "That key does not have the console.read permission; add it to the key's permissions in the config.",
                ),
            ));
        }
    };
    let can_write = state.keys.permit(caller, Permission::ConsoleWrite).is_ok();
    let id = console.sessions.start(&name, can_write)?;
    tracing::info!(key = %name, can_write, "console login");
    let jar = jar
        .remove(Cookie::build(LOGIN_COOKIE).path(LOGIN))
        .add(session::cookie(id, &headers));
    Ok((jar, Redirect::to(&next)).into_response())
}

/// The client address a login counts against.
pub struct Peer(Client);

impl<S: Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(Client::of(&parts.extensions)))
    }
}

fn too_many(budget: &crate::rate_limit::Budget) -> ConsoleError {
    let retry_after = budget.retry_after.map_or(1, |wait| wait.as_secs().max(1));
    ConsoleError::TooManyLogins { retry_after }
}

fn with_status(status: axum::http::StatusCode, mut response: Response) -> Response {
    *response.status_mut() = status;
    response
}

async fn log_out(State(state): State<AppState>, jar: CookieJar, operator: Operator) -> Response {
    if let Some(console) = &state.console {
        console.sessions.end(&operator);
    }
    tracing::info!(key = %operator.key_name, "console logout");
    let jar = jar.remove(Cookie::build(session::COOKIE).path("/console"));
    (jar, Redirect::to(LOGIN)).into_response()
}
