//! A webhook template as `/campaigns/details` and `/canvas/details` show a message:
//! `{channel: "webhook", name, url, body, type, headers, method}`, secrets redacted by the
//! same [`Redactor`] as the console's template pages (Liquid shown as written, a literal
//! value under a secret name redacted, known secret values scrubbed). `type` is the body's
//! kind as Braze's composer names it: `key_value_pairs` or `raw_text`.

use leadwire_core::config::{WebhookBody, WebhookTemplate};
use leadwire_engine::delivery::redact::Redactor;
use serde_json::{Map, Value, json};

/// The message object of `template` (`None`: a template the config does not have, which
/// `check` refuses; shown by name alone).
pub(super) fn message(
    name: &str,
    template: Option<&WebhookTemplate>,
    redactor: &Redactor,
) -> Value {
    let Some(template) = template else {
        return json!({"channel": "webhook", "name": name});
    };
    let headers: Map<String, Value> = template
        .headers
        .iter()
        .map(|(name, value)| (name.to_owned(), Value::String(redactor.source(name, value))))
        .collect();
    let (kind, body) = match &template.body {
        WebhookBody::None => ("raw_text", String::new()),
        WebhookBody::Raw(text) => ("raw_text", redactor.text(text)),
        WebhookBody::Json(pairs) => {
            let object: Map<String, Value> = pairs
                .iter()
                .map(|(key, value)| (key.to_owned(), Value::String(redactor.source(key, value))))
                .collect();
            ("key_value_pairs", Value::Object(object).to_string())
        }
    };
    let liquid = template.url.contains("{{") || template.url.contains("{%");
    let url = if liquid {
        redactor.text(&template.url)
    } else {
        redactor.url(&template.url)
    };
    json!({
        "channel": "webhook",
        "name": template.name,
        "url": url,
        "body": body,
        "type": kind,
        "headers": headers,
        "method": template.method.as_str(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_and_liquid_kept() {
        let template: WebhookTemplate = toml::from_str(
            r#"
name = "Create Lead"
url = "https://user:hunter2@example.com/leads?token=abc"
method = "POST"
headers = { Authorization = "Bearer literal-secret-token", "X-Trace" = "{{ ${user_id} }}" }
body = { json = { LastName = "{{ ${last_name} }}", password = "plain" } }
"#,
        )
        .expect("a template");
        let message = message("Create Lead", Some(&template), &Redactor::default());
        let text = message.to_string();
        assert!(
            !text.contains("hunter2") && !text.contains("literal-secret-token"),
            "{text}"
        );
        assert!(!text.contains("plain"), "{text}");
        assert_eq!(message["headers"]["X-Trace"], "{{ ${user_id} }}");
        assert_eq!(message["type"], "key_value_pairs");
        assert_eq!(message["method"], "POST");
        let body: Value =
            serde_json::from_str(message["body"].as_str().expect("a string")).expect("JSON");
        assert_eq!(body["LastName"], "{{ ${last_name} }}");
    }
}
