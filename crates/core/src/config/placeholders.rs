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

/// Whether `host` (with any port) is a bracketed IPv6 address, IPv4-mapped ones such as
/// `[::ffff:169.254.169.254]` included.
fn is_ipv6_literal(host: &str) -> bool {
    host.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .is_some_and(|(inside, _)| inside.parse::<std::net::Ipv6Addr>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::is_ipv6_literal;

    #[test]
    fn bracketed_ipv6_hosts_are_addresses_not_placeholders() {
        assert!(is_ipv6_literal("[::1]"));
        assert!(is_ipv6_literal("[::1]:8443"));
        assert!(is_ipv6_literal("[::ffff:169.254.169.254]"));
        assert!(is_ipv6_literal("[2001:db8::1]:443"));
        assert!(!is_ipv6_literal("[insert_instance_name].my.salesforce.com"));
        assert!(!is_ipv6_literal("[]"));
        assert!(!is_ipv6_literal("acme.my.salesforce.com"));
    }
}
