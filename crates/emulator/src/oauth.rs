//! OAuth endpoints: the client-credentials token (form body or HTTP Basic), revoke and introspect, and bearer-token checks for REST calls.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{Duration, Utc};
use hmac::{Hmac, Mac};
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::discovery::identity_url;
use super::state::EmulatorState;
use super::tokens::TokenInfo;
use leadwire_salesforce::errors::OAuthError;

/// An OAuth endpoint's answer: a status and a JSON body (`None` for an empty 200).
pub type OAuthAnswer = (StatusCode, Option<Value>);

fn form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

fn error(error: OAuthError) -> OAuthAnswer {
    (StatusCode::BAD_REQUEST, serde_json::to_value(error).ok())
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// Client credentials from `Authorization: Basic` or the `client_id`/`client_secret` fields.
fn client_credentials(
    headers: &HeaderMap,
    form: &[(String, String)],
) -> (Option<String>, Option<String>) {
    let basic = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
        .and_then(|encoded| BASE64.decode(encoded.trim()).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .and_then(|pair| {
            pair.split_once(':')
                .map(|(id, secret)| (id.to_owned(), secret.to_owned()))
        });
    match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (
            field(form, "client_id").map(str::to_owned),
            field(form, "client_secret").map(str::to_owned),
        ),
    }
}

fn check_client(
    state: &EmulatorState,
    id: Option<&str>,
    secret: Option<&str>,
) -> Result<(), OAuthError> {
    let config = state.config();
    let id_ok = id.is_some_and(|id| bool::from(id.as_bytes().ct_eq(config.client_id.as_bytes())));
    if !id_ok {
        return Err(OAuthError::invalid_client_id());
    }
    let secret_ok =
        secret.is_some_and(|s| bool::from(s.as_bytes().ct_eq(config.client_secret.as_bytes())));
    if !secret_ok {
        return Err(OAuthError::invalid_client());
    }
    Ok(())
}

/// `POST /services/oauth2/token` with `grant_type=client_credentials`.
pub fn token(
    state: &EmulatorState,
    instance_url: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> OAuthAnswer {
    if !is_form(headers) {
        return error(OAuthError::unsupported_grant_type());
    }
    let form = form(body);
    if field(&form, "grant_type") != Some("client_credentials") {
        return error(OAuthError::unsupported_grant_type());
    }
    let (id, secret) = client_credentials(headers, &form);
    if let Err(refused) = check_client(state, id.as_deref(), secret.as_deref()) {
        return error(refused);
    }
    let now = Utc::now();
    let ttl = Duration::seconds(
        i64::try_from(state.config().token_ttl_seconds).unwrap_or(i64::MAX / 1000),
    );
    let (access_token, info) = state
        .inner
        .tokens
        .issue(&state.config().client_id, now, ttl);
    let identity = identity_url(instance_url);
    let issued_at = info.issued_at.timestamp_millis().to_string();
    let signature = Hmac::<Sha256>::new_from_slice(state.config().client_secret.as_bytes())
        .map(|mut mac| {
            mac.update(identity.as_bytes());
            mac.update(issued_at.as_bytes());
            BASE64.encode(mac.finalize().into_bytes())
        })
        .unwrap_or_default();
    tracing::debug!(client_id = %info.client_id, "issued an access token");
    let body = json!({
        "access_token": access_token,
        "signature": signature,
        "scope": "api",
        "instance_url": instance_url,
        "id": identity,
        "token_type": "Bearer",
        "issued_at": issued_at,
        "api_instance_url": instance_url,
    });
    (StatusCode::OK, Some(body))
}

/// `POST /services/oauth2/revoke` (or GET with `?token=`).
pub fn revoke(state: &EmulatorState, body: &[u8], query: Option<&str>) -> OAuthAnswer {
    let mut fields = form(body);
    fields.extend(form(query.unwrap_or_default().as_bytes()));
    match field(&fields, "token") {
        Some(token) if state.inner.tokens.revoke(token) => (StatusCode::OK, None),
        _ => error(OAuthError::new("invalid_token", "Token was invalid")),
    }
}

/// `POST /services/oauth2/introspect`.
pub fn introspect(
    state: &EmulatorState,
    instance_url: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> OAuthAnswer {
    let form = form(body);
    let (id, secret) = client_credentials(headers, &form);
    if let Err(refused) = check_client(state, id.as_deref(), secret.as_deref()) {
        return error(refused);
    }
    let active =
        field(&form, "token").and_then(|token| state.inner.tokens.active(token, Utc::now()));
    let body = match active {
        Some(info) => introspection(state, instance_url, &info),
        None => json!({"active": false}),
    };
    (StatusCode::OK, Some(body))
}

fn introspection(state: &EmulatorState, instance_url: &str, info: &TokenInfo) -> Value {
    json!({
        "active": true,
        "scope": "api",
        "client_id": state.config().client_id,
        "username": "integration@leadwire.emulator",
        "sub": identity_url(instance_url),
        "token_type": "access_token",
        "exp": info.expires_at.timestamp(),
        "iat": info.issued_at.timestamp(),
        "nbf": info.issued_at.timestamp(),
    })
}

/// The access token of a REST call (`Bearer` or `OAuth` scheme), if it is active.
pub fn authenticate(state: &EmulatorState, headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    if !(scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth")) {
        return None;
    }
    let token = token.trim();
    state
        .inner
        .tokens
        .active(token, Utc::now())
        .map(|_| token.to_owned())
}
