//! Rendering a `connected_content` tag: build the request, then use the recorded response.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::parse::ConnectedContentTag;
use super::{
    ConnectedRequest, DEFAULT_CACHE_AGE, FetchError, FetchedResponse, HttpMethod, MAX_CACHE_AGE,
    MAX_RESPONSE_BYTES, MAX_RETRIES, MIN_CACHE_AGE, REQUEST_TIMEOUT,
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

/// Responses recorded so far in one render call, by request identity.
#[derive(Debug, Default, Clone)]
pub struct ConnectedResponses {
    recorded: HashMap<String, Recorded>,
}

impl ConnectedResponses {
    pub fn record(&mut self, request: &ConnectedRequest, outcome: Recorded) {
        self.recorded.insert(request.identity(), outcome);
    }

    pub fn get(&self, request: &ConnectedRequest) -> Option<&Recorded> {
        self.recorded.get(&request.identity())
    }

    pub fn len(&self) -> usize {
        self.recorded.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recorded.is_empty()
    }
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

/// Renders the tag's templates into a request, validating the URL.
pub(crate) fn build_request(
    r: &mut Renderer<'_>,
    tag: &ConnectedContentTag,
) -> Result<ConnectedRequest, Stop> {
    let url = r.render_to_string(&tag.url)?.trim().to_string();
    let valid = url::Url::parse(&url)
        .ok()
        .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if !valid {
        return Err(Stop::Error(RenderError::ConnectedContent(format!(
            "{url} is not a valid URL"
        ))));
    }
    let mut body = match &tag.body {
        Some(block) => Some(r.render_to_string(block)?),
        None => None,
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    let content_type = match (&tag.content_type, &body) {
        (Some(ct), _) => ct.clone(),
        (None, Some(_)) => "application/x-www-form-urlencoded".to_string(),
        (None, None) => "application/json".to_string(),
    };
    if is_json_content_type(&content_type) {
        body = body.map(|b| form_to_json(&b));
    }
    headers.push(("Content-Type".into(), content_type.clone()));
    let accept = if tag.content_type.is_some() {
        content_type
    } else {
        "*/*".to_string()
    };
    headers.push(("Accept".into(), accept));
    for (name, block) in &tag.headers {
        let value = r.render_to_string(block)?;
        headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(name));
        headers.push((name.clone(), value));
    }
    Ok(ConnectedRequest {
        method: tag.method,
        url,
        headers,
        body,
        basic_auth: tag.basic_auth.clone(),
        auth_credentials: tag.auth_credentials.clone(),
        timeout: REQUEST_TIMEOUT,
        max_response_bytes: MAX_RESPONSE_BYTES,
        follow_redirects: false,
        cache_ttl: cache_ttl(tag),
        retry: tag.retry,
    })
}

pub(crate) fn execute(
    r: &mut Renderer<'_>,
    tag: &ConnectedContentTag,
    out: &mut String,
) -> Result<(), Stop> {
    let request = build_request(r, tag)?;
    let Some(recorded) = r.responses.get(&request) else {
        return Err(Stop::Fetch(Box::new(request)));
    };
    match recorded {
        Recorded::Response(response) => {
            apply_response(r, tag, response, out);
            Ok(())
        }
        Recorded::Failed(_) => Ok(()),
        Recorded::RetriesExhausted(reason) => Err(Stop::Abort(Abort {
            kind: AbortKind::ExhaustedConnectedContentRetries,
            reason: format!(
                "connected_content to {} failed after {MAX_RETRIES} retries: {reason}",
                request.url
            ),
        })),
    }
}

fn apply_response(
    r: &mut Renderer<'_>,
    tag: &ConnectedContentTag,
    response: &FetchedResponse,
    out: &mut String,
) {
    let success = (200..300).contains(&response.status);
    let parsed = serde_json::from_str::<serde_json::Value>(&response.body)
        .ok()
        .filter(|json| json.is_object() || json.is_array());
    match parsed {
        Some(json) => {
            let mut value = Value::from_json(&json);
            if let Value::Object(object) = &mut value {
                Arc::make_mut(object).insert(
                    Arc::from("__http_status_code__"),
                    Value::Int(response.status as i64),
                );
            }
            let name = tag.save.clone().unwrap_or_else(|| Arc::from("connected"));
            r.assign(name, value);
        }
        None => match &tag.save {
            Some(name) => r.assign(name.clone(), Value::str(&response.body)),
            None if success => out.push_str(&response.body),
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
