//! Warnings for placeholders left in from copied templates, such as Braze's
//! `https://[insert_instance_name].my.salesforce.com/...`: the send would fail with
//! "<url> is not a valid URL", so `check` says so first.

use std::sync::LazyLock;

use regex::Regex;

use super::diagnostics::Diagnostic;
use super::liquid::LiquidField;

static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"https?://[^\s\x22'<>]+").expect("the URL pattern is valid"));
static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\[insert_[A-Za-z0-9_]*\]").expect("the placeholder pattern is valid")
});

/// One warning per URL whose host is not valid, and per `[insert_...]` placeholder elsewhere.
pub fn placeholder_warnings(fields: &[LiquidField<'_>], problems: &mut Vec<Diagnostic>) {
    for field in fields {
        let mut reported_in_urls = Vec::new();
        for found in URL.find_iter(field.text) {
            let url = found.as_str();
            let host = url
                .split_once("://")
                .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or_default())
                .unwrap_or_default();
            if host.contains('[') && !is_ipv6_literal(host) {
                reported_in_urls.extend(
                    PLACEHOLDER
                        .find_iter(url)
                        .map(|placeholder| placeholder.as_str().to_owned()),
                );
                problems.push(Diagnostic::warning(
                    field.path.clone(),
                    format!("{url} is not a valid URL"),
                    "replace the placeholder with your Salesforce instance, or name a connection and use {{connection.instance_url}}",
                ));
            }
        }
        for placeholder in PLACEHOLDER.find_iter(field.text) {
            if !reported_in_urls
                .iter()
                .any(|seen| seen == placeholder.as_str())
            {
                problems.push(Diagnostic::warning(
                    field.path.clone(),
                    format!("`{}` is a placeholder left in the template", placeholder.as_str()),
                    "replace it with the real value, or with {{connection.client_id}} / {{connection.client_secret}} from a connection",
                ));
            }
        }
    }
}

fn is_ipv6_literal(host: &str) -> bool {
    host.starts_with('[')
        && host
            .trim_start_matches('[')
            .split(']')
            .next()
            .is_some_and(|inside| {
                !inside.is_empty() && inside.chars().all(|c| c.is_ascii_hexdigit() || c == ':')
            })
}
