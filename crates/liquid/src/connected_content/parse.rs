//! Parsing the `connected_content` tag: the URL (which may hold `{{…}}`) and every option.

use std::sync::Arc;

use super::HttpMethod;
use crate::ast::Block;
use crate::errors::ParseError;
use crate::parser::{ParseSettings, parse_template};

/// The parsed tag. URL, body and header values are templates rendered at send time.
#[derive(Debug)]
pub(crate) struct ConnectedContentTag {
    pub url: Block,
    pub method: HttpMethod,
    pub body: Option<Block>,
    pub headers: Vec<(String, Block)>,
    pub content_type: Option<String>,
    pub basic_auth: Option<String>,
    pub auth_credentials: Option<String>,
    pub save: Option<Arc<str>>,
    pub cache_max_age: Option<u64>,
    pub no_cache: bool,
    pub retry: bool,
}

/// Longest names first so `:cache_max_age` wins over `:cache`.
const OPTIONS: &[&str] = &[
    "auth_credentials",
    "cache_max_age",
    "content_type",
    "basic_auth",
    "no_cache",
    "headers",
    "method",
    "retry",
    "cache",
    "body",
    "save",
];

/// Byte index where the URL ends: the first whitespace outside `{{ }}` / `{% %}`.
fn url_end(markup: &str) -> usize {
    let bytes = markup.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'{', Some(b'{' | b'%')) => {
                depth += 1;
                i += 2;
                continue;
            }
            (b'}' | b'%', Some(b'}')) if depth > 0 => {
                depth -= 1;
                i += 2;
                continue;
            }
            (b, _) if b.is_ascii_whitespace() && depth == 0 => return i,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// Splits `:name value :name value …` at option markers preceded by whitespace.
fn split_options(rest: &str) -> Result<Vec<(&'static str, &str, usize)>, usize> {
    let bytes = rest.as_bytes();
    let mut markers = Vec::new();
    for i in 0..bytes.len() {
        if bytes[i] != b':' || (i > 0 && !bytes[i - 1].is_ascii_whitespace()) {
            continue;
        }
        let after = &rest[i + 1..];
        if let Some(name) = OPTIONS.iter().find(|name| {
            after.starts_with(**name)
                && after[name.len()..]
                    .chars()
                    .next()
                    .is_none_or(char::is_whitespace)
        }) {
            markers.push((i, *name));
        }
    }
    if let Some(first) = rest.find(|c: char| !c.is_whitespace())
        && markers.first().is_none_or(|(at, _)| *at != first)
    {
        return Err(first);
    }
    let mut options = Vec::new();
    for (n, (at, name)) in markers.iter().enumerate() {
        let value_start = at + 1 + name.len();
        let value_end = markers.get(n + 1).map_or(rest.len(), |(next, _)| *next);
        let raw = &rest[value_start..value_end];
        let lead = raw.len() - raw.trim_start().len();
        options.push((*name, raw.trim(), value_start + lead));
    }
    Ok(options)
}

pub(crate) fn parse_tag(
    source: &str,
    markup: &str,
    offset: usize,
    settings: ParseSettings,
) -> Result<ConnectedContentTag, ParseError> {
    let error = |at: usize, message: String| ParseError::at(source, offset + at, message);
    // A nested template's errors are reported at their place in the whole template.
    let sub = |text: &str, at: usize| {
        parse_template(text, settings)
            .map_err(|e| ParseError::at(source, offset + at + e.offset, e.message))
    };
    let end = url_end(markup);
    if end == 0 {
        return Err(error(0, "connected_content needs a URL".into()));
    }
    let mut tag = ConnectedContentTag {
        url: sub(&markup[..end], 0)?,
        method: HttpMethod::Get,
        body: None,
        headers: Vec::new(),
        content_type: None,
        basic_auth: None,
        auth_credentials: None,
        save: None,
        cache_max_age: None,
        no_cache: false,
        retry: false,
    };
    let rest = &markup[end..];
    let options = split_options(rest)
        .map_err(|at| error(end + at, "expected a `:option` after the URL".into()))?;
    for (name, value, at) in options {
        let at = end + at;
        let needs_value = |v: &str| {
            if v.is_empty() {
                Err(error(at, format!("`:{name}` needs a value")))
            } else {
                Ok(())
            }
        };
        match name {
            "method" => {
                tag.method = match value.to_ascii_lowercase().as_str() {
                    "get" => HttpMethod::Get,
                    "post" => HttpMethod::Post,
                    _ => {
                        return Err(error(
                            at,
                            format!(
                                "unsupported method `{value}`: Connected Content supports GET and POST only"
                            ),
                        ));
                    }
                }
            }
            "body" => {
                needs_value(value)?;
                tag.body = Some(sub(value, at)?);
            }
            "headers" => {
                let map: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(value)
                        .map_err(|e| error(at, format!("`:headers` must be a JSON object: {e}")))?;
                for (header, header_value) in map {
                    let text = match header_value {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    tag.headers.push((header, sub(&text, at)?));
                }
            }
            "content_type" => {
                needs_value(value)?;
                tag.content_type = Some(value.to_string());
            }
            "basic_auth" => {
                needs_value(value)?;
                tag.basic_auth = Some(value.to_string());
            }
            "auth_credentials" => {
                needs_value(value)?;
                tag.auth_credentials = Some(value.to_string());
            }
            "save" => {
                let valid = !value.is_empty()
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !valid {
                    return Err(error(
                        at,
                        format!("`:save` needs a variable name, got `{value}`"),
                    ));
                }
                tag.save = Some(Arc::from(value));
            }
            "cache_max_age" | "cache" => {
                let seconds = value.parse::<u64>().map_err(|_| {
                    error(
                        at,
                        format!("`:{name}` needs a number of seconds, got `{value}`"),
                    )
                })?;
                tag.cache_max_age = Some(seconds);
            }
            "no_cache" => tag.no_cache = true,
            "retry" => tag.retry = true,
            _ => return Err(error(at, format!("unknown option `:{name}`"))),
        }
    }
    Ok(tag)
}
