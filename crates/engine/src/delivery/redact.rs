//! Secret redaction for everything leadwire stores or prints about a request.
//!
//! Two nets, both always on: by name (Authorization-like headers, and fields such as
//! `client_secret` in URLs, form bodies and JSON bodies, plus names from config), and by
//! value (every secret leadwire knows, such as connection secrets and live access tokens, is
//! replaced wherever it appears, whatever the format and whatever the encoding: raw,
//! percent-encoded in either hex case, form-encoded, or JSON-escaped, in any mix).

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
    /// Longest first, so a secret that contains another is replaced whole.
    values: Vec<SecretValue>,
}

/// A secret value, compiled once into the byte sequences each of its characters can take
/// on the way out, so one scan finds it in every encoding (and any mix of them).
#[derive(Debug, Clone)]
struct SecretValue {
    value: String,
    units: Vec<Unit>,
}

/// One character of a secret: its raw bytes (matched exactly) and its encoded forms
/// (matched in any ASCII case, for the hex digits of `%2f`/`%2F` and `\u002f`/`\u002F`).
#[derive(Debug, Clone)]
struct Unit {
    raw: Vec<u8>,
    encoded: Vec<Vec<u8>>,
}

impl Unit {
    fn new(c: char) -> Self {
        let mut utf8 = [0; 4];
        let raw = c.encode_utf8(&mut utf8).as_bytes().to_vec();
        let mut encoded = Vec::with_capacity(4);
        // Percent-encoding (URLs and form bodies), byte by byte.
        encoded.push(
            raw.iter()
                .flat_map(|b| format!("%{b:02X}").into_bytes())
                .collect(),
        );
        // Form encoding writes a space as `+`.
        if c == ' ' {
            encoded.push(b"+".to_vec());
        }
        // JSON escapes: the short ones, and `\uXXXX` (a surrogate pair beyond the BMP).
        let short = match c {
            '/' => Some("\\/"),
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            _ => None,
        };
        if let Some(short) = short {
            encoded.push(short.as_bytes().to_vec());
        }
        let mut units = [0; 2];
        encoded.push(
            c.encode_utf16(&mut units)
                .iter()
                .flat_map(|unit| format!("\\u{unit:04X}").into_bytes())
                .collect(),
        );
        Self { raw, encoded }
    }

    /// Every end position of a form of this character that starts at `at`.
    fn ends(&self, text: &[u8], at: usize, mut found: impl FnMut(usize)) {
        let rest = &text[at..];
        if rest.starts_with(&self.raw) {
            found(at + self.raw.len());
        }
        for form in &self.encoded {
            if rest.len() >= form.len() && rest[..form.len()].eq_ignore_ascii_case(form) {
                found(at + form.len());
            }
        }
    }

    fn may_start(&self, byte: u8) -> bool {
        byte == self.raw[0]
            || self
                .encoded
                .iter()
                .any(|form| form[0].eq_ignore_ascii_case(&byte))
    }
}

impl SecretValue {
    fn new(value: &str) -> Self {
        Self {
            value: value.to_owned(),
            units: value.chars().map(Unit::new).collect(),
        }
    }

    /// The end of the longest encoding of this secret that starts at `at`, if any.
    fn match_at(&self, text: &[u8], at: usize) -> Option<usize> {
        // The positions reachable after each character; a set, so mixes of encodings
        // that share a prefix (a raw `%` and `%25`) cost no more than one pass each.
        let mut positions = vec![at];
        let mut next = Vec::new();
        for unit in &self.units {
            next.clear();
            for &position in &positions {
                unit.ends(text, position, |end| {
                    if !next.contains(&end) {
                        next.push(end);
                    }
                });
            }
            if next.is_empty() {
                return None;
            }
            std::mem::swap(&mut positions, &mut next);
        }
        positions.into_iter().max()
    }

    /// `text` with every encoding of this secret replaced by [`REDACTED`], or `None` when
    /// it holds none.
    fn scrub(&self, text: &str) -> Option<String> {
        let bytes = text.as_bytes();
        let first = self.units.first()?;
        let mut out: Option<Vec<u8>> = None;
        let mut copied = 0;
        let mut at = 0;
        while at < bytes.len() {
            if first.may_start(bytes[at])
                && let Some(end) = self.match_at(bytes, at)
            {
                let out = out.get_or_insert_with(|| Vec::with_capacity(bytes.len()));
                out.extend_from_slice(&bytes[copied..at]);
                out.extend_from_slice(REDACTED.as_bytes());
                copied = end;
                at = end;
            } else {
                at += 1;
            }
        }
        let mut out = out?;
        out.extend_from_slice(&bytes[copied..]);
        // Matches start and end on character boundaries, so this is always valid UTF-8.
        Some(
            String::from_utf8(out)
                .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned()),
        )
    }
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
        if value.len() >= MIN_SECRET_VALUE_LEN
            && !self.values.iter().any(|known| known.value == value)
        {
            self.values.push(SecretValue::new(value));
            self.values
                .sort_by_key(|known| std::cmp::Reverse(known.value.len()));
        }
    }

    /// This redactor, also scrubbing `secrets` (a render's live tokens) when there are any.
    pub fn knowing(&self, secrets: &[String]) -> std::borrow::Cow<'_, Redactor> {
        if secrets.is_empty() {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut redactor = self.clone();
        for secret in secrets {
            redactor.add_secret_value(secret);
        }
        std::borrow::Cow::Owned(redactor)
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

    /// A URL fit to store: known secret values, secret query fields and any password in the
    /// authority are redacted. Values are scrubbed in the URL as it was sent, and the query is
    /// never re-encoded, so the URL kept is the URL sent, secrets aside.
    pub fn url(&self, raw: &str) -> String {
        let raw = self.text(raw);
        let Ok(mut url) = url::Url::parse(&raw) else {
            return raw;
        };
        if url.password().is_some() {
            // Only fails for URLs that cannot have credentials, which have no password.
            let _ = url.set_password(Some(REDACTED));
        }
        if let Some(query) = url.query() {
            let redacted = self.redact_form(query);
            if redacted != query {
                url.set_query(Some(&redacted));
            }
        }
        // Parsing may have normalised the URL; scrub once more after it.
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

    /// A template's source for header or JSON field `name`, fit to show: Liquid is shown
    /// as written (it says where a value comes from, not what it is), but a literal value
    /// under a secret name is redacted, and known secret values are scrubbed.
    pub fn source(&self, name: &str, value: &str) -> String {
        let literal = !value.contains("{{") && !value.contains("{%");
        if literal && self.is_secret_name(name, SECRET_HEADERS) {
            return self.header(name, value);
        }
        if literal && self.is_secret_name(name, SECRET_FIELDS) {
            return REDACTED.to_owned();
        }
        self.text(value)
    }

    /// Free text (an error message, a log line) with every known secret value scrubbed.
    pub fn text(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for value in &self.values {
            if let Some(scrubbed) = value.scrub(&text) {
                text = scrubbed;
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

    /// A form body or URL query with the values of secret fields redacted; names are
    /// compared decoded (`client%5Fsecret` is `client_secret`), nothing else is re-encoded.
    fn redact_form(&self, body: &str) -> String {
        body.split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if self.is_secret_name(&decode_form(name), SECRET_FIELDS) => {
                    format!("{name}={REDACTED}")
                }
                _ => pair.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// A form-encoded name, decoded.
fn decode_form(name: &str) -> String {
    url::form_urlencoded::parse(name.as_bytes())
        .next()
        .map(|(name, _)| name.into_owned())
        .unwrap_or_default()
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
            "https://x.my.salesforce.com/services/oauth2/token?client_id=abc&client_secret=[redacted]&grant_type=client_credentials"
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
    fn template_sources_keep_liquid_and_hide_literal_secrets() {
        let redactor = Redactor::default();
        assert_eq!(
            redactor.source("Authorization", "Bearer lit3ral-token"),
            "Bearer [redacted]"
        );
        assert_eq!(
            redactor.source("Authorization", "Bearer {{connection.access_token}}"),
            "Bearer {{connection.access_token}}"
        );
        assert_eq!(redactor.source("password", "hunter22"), REDACTED);
        assert_eq!(
            redactor.source("lastName", "{{${last_name}}}"),
            "{{${last_name}}}"
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
