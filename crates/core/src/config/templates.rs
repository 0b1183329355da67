//! Webhook templates, as in Braze's webhook composer: URL, method, Liquid headers, a body of
//! JSON key-value pairs or raw text, and an optional capture of response fields into the
//! profile.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::time::Interval;

/// One webhook template.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookTemplate {
    pub name: String,
    /// The URL, a Liquid template.
    pub url: String,
    pub method: HttpMethod,
    /// The Salesforce connection whose values the template reads as `connection.*`.
    #[serde(default)]
    pub connection: Option<String>,
    /// Header names and Liquid values, in the order written.
    #[serde(default)]
    pub headers: OrderedPairs,
    #[serde(default)]
    pub body: WebhookBody,
    /// Response fields to save into the profile after a successful send.
    #[serde(default)]
    pub capture: Vec<ResponseCapture>,
    /// Whether its sends may use the API requests a connection's `api_floor` keeps.
    #[serde(default)]
    pub priority: SendPriority,
    /// Send through sObject Collections, several records a call (checked in `batch`).
    #[serde(default)]
    pub batch: Option<BatchSettings>,
    /// A campaign broadcast reaching more users than this goes through one Bulk API 2.0
    /// ingest job instead of a send per user (checked in `bulk`); none: never.
    #[serde(default)]
    pub bulk_threshold: Option<u64>,
}

/// How a template's sends treat its connection's API budget floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendPriority {
    /// Waits while the connection is at its `api_floor` (the default).
    #[default]
    Normal,
    /// Goes out whatever the floor; only Salesforce's own `REQUEST_LIMIT_EXCEEDED` stops it.
    Urgent,
}

/// The HTTP methods the composer offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum HttpMethod {
    GET,
    POST,
    PUT,
    PATCH,
    DELETE,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::GET => "GET",
            HttpMethod::POST => "POST",
            HttpMethod::PUT => "PUT",
            HttpMethod::PATCH => "PATCH",
            HttpMethod::DELETE => "DELETE",
        }
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The request body: none, JSON key-value pairs (each value rendered and placed as a JSON
/// string by a serializer) or raw text (rendered as is).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum WebhookBody {
    #[default]
    None,
    Json(OrderedPairs),
    Raw(String),
}

impl WebhookBody {
    /// Whether the rendered body can be one JSON object, the record a batched or Bulk API
    /// 2.0 send carries: `body.json`, or raw text starting with `{`.
    pub fn is_object(&self) -> bool {
        match self {
            Self::Json(_) => true,
            Self::Raw(text) => text.trim_start().starts_with('{'),
            Self::None => false,
        }
    }
}

/// Save `field` of the response JSON (a dotted path such as `id` or `record.id`) into the
/// profile: `save_to = "external_id"` or `save_to = "custom_attribute.salesforce_id"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseCapture {
    pub field: String,
    pub save_to: CaptureTarget,
}

/// Where a captured response field goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureTarget {
    ExternalId,
    CustomAttribute(String),
}

impl<'de> Deserialize<'de> for CaptureTarget {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text == "external_id" {
            return Ok(CaptureTarget::ExternalId);
        }
        match text.strip_prefix("custom_attribute.") {
            Some(name) if !name.trim().is_empty() => {
                Ok(CaptureTarget::CustomAttribute(name.into()))
            }
            _ => Err(de::Error::custom(format!(
                "save_to `{text}` is not a profile field; use \"external_id\" or \"custom_attribute.<name>\""
            ))),
        }
    }
}

impl ResponseCapture {
    /// The value at `field` in a response body, when there is one.
    pub fn pick<'a>(&self, response: &'a serde_json::Value) -> Option<&'a serde_json::Value> {
        self.field
            .split('.')
            .try_fold(response, |value, segment| value.get(segment))
            .filter(|value| !value.is_null())
    }
}

/// The most records one sObject Collections call takes.
pub const MAX_COLLECTION_RECORDS: u32 = 200;
/// The longest a batched send waits for others to share its call.
pub const MAX_BATCH_WAIT_SECONDS: u64 = 60;

/// How a template's sends are grouped into sObject Collections calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchSettings {
    /// Records per call, 1 to 200.
    #[serde(default = "default_max_records")]
    pub max_records: u32,
    /// How long the first send of a group waits for others before the call goes out.
    #[serde(default = "default_max_wait")]
    pub max_wait: Interval,
}

fn default_max_records() -> u32 {
    MAX_COLLECTION_RECORDS
}

fn default_max_wait() -> Interval {
    Interval::from_seconds(2)
}

impl Default for BatchSettings {
    fn default() -> Self {
        Self {
            max_records: default_max_records(),
            max_wait: default_max_wait(),
        }
    }
}

/// String keys and string values in the order they were written (headers, JSON pairs).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrderedPairs(pub Vec<(String, String)>);

impl OrderedPairs {
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.iter()
            .find(|(name, _)| *name == key)
            .map(|(_, value)| value)
    }
}

impl<'de> Deserialize<'de> for OrderedPairs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = OrderedPairs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of names to string values (Liquid allowed)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedPairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, String>()? {
                    pairs.push((key, value));
                }
                Ok(OrderedPairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_a_json_body_template_in_order() {
        let template: WebhookTemplate = toml::from_str(
            r#"
            name = "Create Lead"
            url = "{{connection.instance_url}}/services/data/v60.0/sobjects/Lead/"
            method = "POST"
            headers = { Authorization = "Bearer x", "Content-Type" = "application/json" }
            body.json = { lastName = "{{${last_name}}}", firstName = "{{${first_name}}}" }
            capture = [{ field = "id", save_to = "external_id" }]
            "#,
        )
        .expect("valid template");
        assert_eq!(template.method, HttpMethod::POST);
        let WebhookBody::Json(pairs) = &template.body else {
            panic!("expected a JSON body, got {:?}", template.body);
        };
        let keys: Vec<&str> = pairs.iter().map(|(key, _)| key).collect();
        assert_eq!(keys, ["lastName", "firstName"]);
        assert_eq!(
            template.headers.get("Content-Type"),
            Some("application/json")
        );
        assert_eq!(template.capture[0].save_to, CaptureTarget::ExternalId);
    }

    #[test]
    fn raw_body_and_custom_attribute_capture() {
        let template: WebhookTemplate = toml::from_str(
            r#"
            name = "t"
            url = "https://example.com"
            method = "PATCH"
            body = { raw = "{\"a\": 1}" }
            capture = [{ field = "record.id", save_to = "custom_attribute.sf id" }]
            "#,
        )
        .expect("valid template");
        assert_eq!(template.body, WebhookBody::Raw("{\"a\": 1}".into()));
        let capture = &template.capture[0];
        assert_eq!(
            capture.save_to,
            CaptureTarget::CustomAttribute("sf id".into())
        );
        assert_eq!(
            capture.pick(&json!({"record": {"id": "00Q1"}})),
            Some(&json!("00Q1"))
        );
        assert_eq!(capture.pick(&json!({"record": {}})), None);
        assert_eq!(capture.pick(&json!("text")), None);
    }

    #[test]
    fn rejects_unknown_methods_targets_and_non_string_headers() {
        let base = "name = \"t\"\nurl = \"https://example.com\"\n";
        for (extra, expected) in [
            ("method = \"FETCH\"", "unknown variant `FETCH`"),
            ("method = \"GET\"\nheaders = { X = 1 }", "invalid type"),
            (
                "method = \"GET\"\ncapture = [{ field = \"id\", save_to = \"lead_id\" }]",
                "not a profile field",
            ),
            (
                "method = \"GET\"\nbody = { xml = \"x\" }",
                "unknown variant `xml`",
            ),
        ] {
            let error = toml::from_str::<WebhookTemplate>(&format!("{base}{extra}"))
                .expect_err(extra)
                .to_string();
            assert!(error.contains(expected), "{extra}: {error}");
        }
    }
}
