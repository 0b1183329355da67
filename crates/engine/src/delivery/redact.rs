//! Secret redaction for everything leadwire stores or prints about a request.
//!
//! Two nets, both always on: by name (Authorization-like headers, and fields such as
//! `client_secret` in URLs, form bodies and JSON bodies, plus names from config), and by
//! value (every secret leadwire knows, such as connection secrets and live access tokens, is
//! replaced wherever it appears, whatever the format).

use serde_json::Value;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Header names whose values are always secret.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
];

/// Field names (in URLs and bodies) whose values are always secret.
const SECRET_FIELDS: &[&str] = &[
    "client_secret",
    "password",
    "access_token",
    "refresh_token",
    "token",
    "api_key",
    "apikey",
    "secret",
    "assertion",
];

/// Values shorter than this are not scrubbed by value: they would match ordinary text.
const MIN_SECRET_VALUE_LEN: usize = 6;

/// Redacts secrets by name and by value.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    extra_names: Vec<String>,
    values: Vec<String>,
}

impl Redactor {
    /// A redactor that also treats `extra_names` (headers or fields, any case) as secret.
    pub fn new(extra_names: impl IntoIterator<Item = String>) -> Self {
        Self {
            extra_names: extra_names
                .into_iter()
                .map(|name| name.to_ascii_lowercase())
                .collect(),
            values: Vec::new(),
        }
    }

    /// Also scrub `value` wherever it appears.
    pub fn add_secret_value(&mut self, value: &str) {
        if value.len() >= MIN_SECRET_VALUE_LEN && !self.values.iter().any(|known| known == value) {
            self.values.push(value.to_owned());
            // Longest first, so a secret that contains another is replaced whole.
            self.values
                .sort_by_key(|known| std::cmp::Reverse(known.len()));
        }
    }

    fn is_secret_name(&self, name: &str, built_in: &[&str]) -> bool {
        let name = name.to_ascii_lowercase();
        built_in.contains(&name.as_str()) || self.extra_names.contains(&name)
    }

    /// A header value fit to store. Authorization keeps its scheme: `Bearer [redacted]`.
    pub fn header(&self, name: &str, value: &str) -> String {
        if self.is_secret_name(name, SECRET_HEADERS) {
            return match value.split_once(' ') {
                Some((scheme, _)) if name.eq_ignore_ascii_case("authorization") => {
                    format!("{scheme} {REDACTED}")
                }
                _ => REDACTED.to_owned(),
            };
        }
        self.text(value)
    }

    /// A URL fit to store: secret query fields and any password in the authority are redacted.
    pub fn url(&self, raw: &str) -> String {
        let Ok(mut url) = url::Url::parse(raw) else {
            return self.text(raw);
        };
        if url.password().is_some() {
            // Only fails for URLs that cannot have credentials, which have no password.
            let _ = url.set_password(Some(REDACTED));
        }
        if url.query().is_some() {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(name, value)| {
                    let value = if self.is_secret_name(&name, SECRET_FIELDS) {
                        REDACTED.to_owned()
                    } else {
                        value.into_owned()
                    };
                    (name.into_owned(), value)
                })
                .collect();
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        self.text(url.as_str())
    }

    /// A request or response body fit to store: JSON and form fields by name, then by value.
    pub fn body(&self, body: &str) -> String {
        let trimmed = body.trim_start();
        if (trimmed.starts_with('{') || trimmed.starts_with('['))
            && let Ok(mut json) = serde_json::from_str::<Value>(body)
        {
            self.redact_json(&mut json);
            return self.text(&json.to_string());
        }
        if looks_like_form(body) {
            return self.text(&self.redact_form(body));
        }
        self.text(body)
    }

    /// Free text (an error message, a log line) with every known secret value scrubbed.
    pub fn text(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for value in &self.values {
            if text.contains(value.as_str()) {
                text = text.replace(value.as_str(), REDACTED);
            }
        }
        text
    }

    fn redact_json(&self, value: &mut Value) {
        match value {
            Value::Object(object) => {
                for (key, value) in object.iter_mut() {
                    if self.is_secret_name(key, SECRET_FIELDS) && !value.is_null() {
                        *value = Value::String(REDACTED.to_owned());
                    } else {
                        self.redact_json(value);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.redact_json(item)),
            _ => {}
        }
    }

    fn redact_form(&self, body: &str) -> String {
        body.split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if self.is_secret_name(name, SECRET_FIELDS) => {
                    format!("{name}={REDACTED}")
                }
                _ => pair.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

fn looks_like_form(body: &str) -> bool {
    !body.is_empty()
        && body.contains('=')
        && !body.contains(char::is_whitespace)
        && body.split('&').all(|pair| pair.contains('='))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_keeps_its_scheme_only() {
        let redactor = Redactor::default();
        assert_eq!(
            redactor.header("Authorization", "Bearer 00D!abc"),
            "Bearer [redacted]"
        );
        assert_eq!(redactor.header("authorization", "opaque"), "[redacted]");
        assert_eq!(
            redactor.header("Content-Type", "application/json"),
            "application/json"
        );
    }

    #[test]
    fn configured_names_are_secret_in_any_case() {
        let redactor = Redactor::new(["X-Vendor-Key".to_owned()]);
        assert_eq!(redactor.header("x-vendor-key", "k-123456"), "[redacted]");
        assert_eq!(
            redactor.body(r#"{"x-vendor-key":"abc","name":"Ada"}"#),
            r#"{"x-vendor-key":"[redacted]","name":"Ada"}"#
        );
    }

    #[test]
    fn client_secret_is_redacted_in_urls_forms_and_json() {
        let redactor = Redactor::default();
        assert_eq!(
            redactor.url("https://x.my.salesforce.com/services/oauth2/token?client_id=abc&client_secret=s3cr3t&grant_type=client_credentials"),
            "https://x.my.salesforce.com/services/oauth2/token?client_id=abc&client_secret=%5Bredacted%5D&grant_type=client_credentials"
        );
        assert_eq!(
            redactor.body("client_id=abc&client_secret=s3cr3t&grant_type=client_credentials"),
            "client_id=abc&client_secret=[redacted]&grant_type=client_credentials"
        );
        assert_eq!(
            redactor.body(r#"{"outer":{"client_secret":"s3cr3t"},"list":[{"password":"p"}]}"#),
            r#"{"outer":{"client_secret":"[redacted]"},"list":[{"password":"[redacted]"}]}"#
        );
    }

    #[test]
    fn url_passwords_are_redacted() {
        let redactor = Redactor::default();
        assert_eq!(
            redactor.url("https://user:pa55word@example.com/x"),
            "https://user:%5Bredacted%5D@example.com/x"
        );
    }

    #[test]
    fn known_values_are_scrubbed_anywhere() {
        let mut redactor = Redactor::default();
        redactor.add_secret_value("00D000000000001!AQIAQtoken");
        redactor.add_secret_value("abc");
        let message = "refused token 00D000000000001!AQIAQtoken for abc";
        assert_eq!(redactor.text(message), "refused token [redacted] for abc");
        assert_eq!(
            redactor.body("<xml>00D000000000001!AQIAQtoken</xml>"),
            "<xml>[redacted]</xml>"
        );
    }

    #[test]
    fn ordinary_bodies_pass_through() {
        let redactor = Redactor::default();
        let body = r#"{"firstName":"Ada","lastName":"Lovelace"}"#;
        assert_eq!(redactor.body(body), body);
        assert_eq!(redactor.body("hello world"), "hello world");
    }
}
