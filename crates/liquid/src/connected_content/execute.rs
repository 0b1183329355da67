//! Rendering a `connected_content` tag: build the request, then use the recorded response.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::parse::ConnectedContentTag;
use super::{
    ConnectedRequest, DEFAULT_CACHE_AGE, FetchError, FetchedResponse, HttpMethod, MAX_CACHE_AGE,
    MAX_RESPONSE_BYTES, MAX_RETRIES, MIN_CACHE_AGE, REQUEST_TIMEOUT, identity_of,
};
use crate::errors::{Abort, AbortKind, RenderError};
use crate::render::{Renderer, Stop};
use crate::value::Value;

/// What happened to one request during a render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    Response(FetchedResponse),
    /// The call failed and had no `:retry`: the tag renders nothing.
    Failed(FetchError),
    /// `:retry` was given and every attempt failed: the message aborts.
    RetriesExhausted(String),
}

/// Responses recorded so far in one render call, by request identity. A JSON body is
/// parsed once, when recorded, so re-renders only clone the parsed value.
#[derive(Debug, Default, Clone)]
pub struct ConnectedResponses {
    recorded: HashMap<String, (Recorded, Option<Value>), foldhash::fast::RandomState>,
}

impl ConnectedResponses {
    pub fn record(&mut self, request: &ConnectedRequest, outcome: Recorded) {
        let parsed = match &outcome {
            Recorded::Response(response) => parse_json(response),
            _ => None,
        };
        self.recorded.insert(request.identity(), (outcome, parsed));
    }

    pub fn get(&self, request: &ConnectedRequest) -> Option<&Recorded> {
        self.recorded
            .get(&request.identity())
            .map(|(recorded, _)| recorded)
    }

    fn get_with_json(&self, identity: &str) -> Option<(&Recorded, Option<&Value>)> {
        self.recorded
            .get(identity)
            .map(|(recorded, json)| (recorded, json.as_ref()))
    }

    pub fn len(&self) -> usize {
        self.recorded.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recorded.is_empty()
    }
}

/// A JSON object or array body as a value; objects get `__http_status_code__`.
fn parse_json(response: &FetchedResponse) -> Option<Value> {
    let json = serde_json::from_str::<serde_json::Value>(&response.body).ok()?;
    if !json.is_object() && !json.is_array() {
        return None;
    }
    let mut value = Value::from_json(&json);
    if let Value::Object(object) = &mut value {
        let status = Value::Int(response.status as i64);
        Arc::make_mut(object).insert(Arc::from("__http_status_code__"), status);
    }
    Some(value)
}

fn validate_url(url: &str) -> Result<(), Stop> {
    let valid = url::Url::parse(url)
        .ok()
        .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if valid {
        return Ok(());
    }
    Err(Stop::Error(RenderError::ConnectedContent(format!(
        "{url} is not a valid URL"
    ))))
}

fn is_json_content_type(content_type: &str) -> bool {
    content_type.to_ascii_lowercase().contains("json")
}

/// `k=v&k2=v2` → `{"k":"v","k2":"v2"}` (Braze does this under `application/json`).
fn form_to_json(body: &str) -> String {
    let trimmed = body.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') || !body.contains('=') {
        return body.to_string();
    }
    let object: serde_json::Map<String, serde_json::Value> =
        url::form_urlencoded::parse(body.as_bytes())
            .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
            .collect();
    serde_json::Value::Object(object).to_string()
}

fn cache_ttl(tag: &ConnectedContentTag) -> Option<Duration> {
    let bounded = tag
        .cache_max_age
        .map(|s| Duration::from_secs(s).clamp(MIN_CACHE_AGE, MAX_CACHE_AGE));
    match tag.method {
        HttpMethod::Get if tag.no_cache => None,
        HttpMethod::Get => Some(bounded.unwrap_or(DEFAULT_CACHE_AGE)),
        HttpMethod::Post => bounded,
    }
}

/// The rendered request, borrowing fixed strings from the tag until a fetch needs it.
struct Parts<'t> {
    url: String,
    body: Option<String>,
    headers: Vec<(&'t str, Cow<'t, str>)>,
}

/// Renders the URL, body and headers (defaults, then `:content_type`, then `:headers`).
fn render_parts<'t>(r: &mut Renderer<'_>, tag: &'t ConnectedContentTag) -> Result<Parts<'t>, Stop> {
    let mut url = r.render_to_string(&tag.url)?;
    if url.starts_with(char::is_whitespace) || url.ends_with(char::is_whitespace) {
        url = url.trim().to_string();
    }
    let mut body = match &tag.body {
        Some(block) => Some(r.render_to_string(block)?),
        None => None,
    };
    let content_type: &'t str = match (&tag.content_type, &body) {
        (Some(ct), _) => ct,
        (None, Some(_)) => "application/x-www-form-urlencoded",
        (None, None) => "application/json",
    };
    if is_json_content_type(content_type) {
        body = body.map(|b| form_to_json(&b));
    }
    let accept = if tag.content_type.is_some() {
        content_type
    } else {
        "*/*"
    };
    let mut headers = Vec::with_capacity(2 + tag.headers.len());
    headers.push(("Content-Type", Cow::Borrowed(content_type)));
    headers.push(("Accept", Cow::Borrowed(accept)));
    for (name, block) in &tag.headers {
        let value = r.render_to_string(block)?;
        headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(name));
        headers.push((name.as_str(), Cow::Owned(value)));
    }
    Ok(Parts { url, body, headers })
}

fn into_request(parts: Parts<'_>, tag: &ConnectedContentTag) -> ConnectedRequest {
    ConnectedRequest {
        method: tag.method,
        url: parts.url,
        headers: parts
            .headers
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.into_owned()))
            .collect(),
        body: parts.body,
        basic_auth: tag.basic_auth.clone(),
        auth_credentials: tag.auth_credentials.clone(),
        timeout: REQUEST_TIMEOUT,
        max_response_bytes: MAX_RESPONSE_BYTES,
        follow_redirects: false,
        cache_ttl: cache_ttl(tag),
        retry: tag.retry,
    }
}

pub(crate) fn execute(
    r: &mut Renderer<'_>,
    tag: &ConnectedContentTag,
    out: &mut String,
) -> Result<(), Stop> {
    let parts = render_parts(r, tag)?;
    let identity = identity_of(
        tag.method,
        &parts.url,
        parts.body.as_deref(),
        parts.headers.iter().map(|(n, v)| (*n, v.as_ref())),
        [tag.basic_auth.as_deref(), tag.auth_credentials.as_deref()],
    );
    let responses = r.responses;
    let Some((recorded, json)) = responses.get_with_json(&identity) else {
        validate_url(&parts.url)?;
        return Err(Stop::Fetch(Box::new(into_request(parts, tag))));
    };
    match recorded {
        Recorded::Response(response) => {
            apply_response(r, tag, response, json, out);
            Ok(())
        }
        Recorded::Failed(_) => Ok(()),
        Recorded::RetriesExhausted(reason) => Err(Stop::Abort(Abort {
            kind: AbortKind::ExhaustedConnectedContentRetries,
            reason: format!(
                "connected_content to {} failed after {MAX_RETRIES} retries: {reason}",
                parts.url
            ),
        })),
    }
}

fn apply_response(
    r: &mut Renderer<'_>,
    tag: &ConnectedContentTag,
    response: &FetchedResponse,
    json: Option<&Value>,
    out: &mut String,
) {
    match json {
        Some(value) => {
            let name = tag.save.clone().unwrap_or_else(|| Arc::from("connected"));
            r.assign(name, value.clone());
        }
        None => match &tag.save {
            Some(name) => r.assign(name.clone(), Value::str(&response.body)),
            None if (200..300).contains(&response.status) => out.push_str(&response.body),
            None => {}
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_become_json_objects() {
        assert_eq!(
            form_to_json("a=1&b=two%20words"),
            r#"{"a":"1","b":"two words"}"#
        );
        assert_eq!(form_to_json(r#"{"a":1}"#), r#"{"a":1}"#);
    }
}
