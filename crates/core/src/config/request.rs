//! Rendering a webhook template into the HTTP request it describes. Liquid stays outside:
//! the caller passes a `render` function (the Liquid engine with the user's context). JSON
//! key-value bodies are built by a serializer, so no rendered value can break the JSON.

use serde_json::{Map, Value};

use super::templates::{HttpMethod, WebhookBody, WebhookTemplate};

/// The request a template renders to for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedRequest {
    pub method: HttpMethod,
    pub url: String,
    /// In template order; `Content-Type` is added when the template leaves it out and the
    /// body is JSON.
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

/// Why a template did not render. `Abort` is `abort_message`, which is not an error: the
/// message is logged as aborted and not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderFailure {
    #[error("{field}: aborted: {reason}")]
    Abort { field: String, reason: String },
    #[error("{field}: {message}")]
    Error { field: String, message: String },
}

/// What a field's `render` call returns on failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldFailure {
    Abort(String),
    Error(String),
}

impl WebhookTemplate {
    /// Every Liquid text `render_request` renders, in order: the URL, header values, body.
    /// A caller that renders asynchronously renders these first, then looks them up.
    pub fn liquid_texts(&self) -> Vec<&str> {
        let mut texts = vec![self.url.as_str()];
        texts.extend(self.headers.iter().map(|(_, value)| value));
        match &self.body {
            WebhookBody::None => {}
            WebhookBody::Raw(text) => texts.push(text),
            WebhookBody::Json(pairs) => texts.extend(pairs.iter().map(|(_, value)| value)),
        }
        texts
    }

    /// Renders the URL, every header value and the body, in that order.
    pub fn render_request(
        &self,
        render: &mut dyn FnMut(&str) -> Result<String, FieldFailure>,
    ) -> Result<RenderedRequest, RenderFailure> {
        let mut field = |name: String, text: &str| {
            render(text).map_err(|failure| match failure {
                FieldFailure::Abort(reason) => RenderFailure::Abort {
                    field: name,
                    reason,
                },
                FieldFailure::Error(message) => RenderFailure::Error {
                    field: name,
                    message,
                },
            })
        };
        let url = field("url".into(), &self.url)?.trim().to_owned();
        let mut headers = Vec::new();
        for (name, value) in self.headers.iter() {
            headers.push((name.to_owned(), field(format!("headers.{name}"), value)?));
        }
        let body = match &self.body {
            WebhookBody::None => None,
            WebhookBody::Raw(text) => Some(field("body.raw".into(), text)?),
            WebhookBody::Json(pairs) => {
                let mut object = Map::new();
                for (key, value) in pairs.iter() {
                    object.insert(
                        key.to_owned(),
                        Value::String(field(format!("body.json.{key}"), value)?),
                    );
                }
                Some(Value::Object(object).to_string())
            }
        };
        let has_content_type = headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
        let json_body = match &self.body {
            WebhookBody::Json(_) => true,
            WebhookBody::Raw(_) => body
                .as_deref()
                .is_some_and(|text| serde_json::from_str::<Value>(text).is_ok()),
            WebhookBody::None => false,
        };
        if !has_content_type && json_body {
            headers.push(("Content-Type".into(), "application/json".into()));
        }
        let body = if self.method == HttpMethod::GET {
            None
        } else {
            body
        };
        Ok(RenderedRequest {
            method: self.method,
            url,
            headers,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(source: &str) -> WebhookTemplate {
        toml::from_str(source).expect("valid template")
    }

    fn substitute(text: &str) -> Result<String, FieldFailure> {
        Ok(text
            .replace("{{${first_name}}}", "Ada \"the\" \\ Countess")
            .replace("{{${user_id}}}", "00Q1"))
    }

    #[test]
    fn json_pairs_are_serialized_so_values_cannot_break_the_json() {
        let create = template(
            r#"
            name = "Create Lead"
            url = "https://example.com/sobjects/Lead/{{${user_id}}} "
            method = "POST"
            headers = { Authorization = "Bearer t" }
            body.json = { firstName = "{{${first_name}}}", Lead_Stage__c = "MQL" }
            "#,
        );
        assert_eq!(
            create.liquid_texts(),
            [
                "https://example.com/sobjects/Lead/{{${user_id}}} ",
                "Bearer t",
                "{{${first_name}}}",
                "MQL"
            ]
        );
        let request = create.render_request(&mut substitute).expect("renders");
        assert_eq!(request.url, "https://example.com/sobjects/Lead/00Q1");
        let body: Value =
            serde_json::from_str(request.body.as_deref().unwrap_or_default()).expect("valid JSON");
        assert_eq!(
            body,
            serde_json::json!({"firstName": "Ada \"the\" \\ Countess", "Lead_Stage__c": "MQL"})
        );
        assert_eq!(
            request.headers,
            vec![
                ("Authorization".into(), "Bearer t".into()),
                ("Content-Type".into(), "application/json".into())
            ]
        );
    }

    #[test]
    fn raw_bodies_render_as_is_and_an_abort_names_its_field() {
        let raw = template(
            r#"
            name = "t"
            url = "https://example.com"
            method = "PATCH"
            headers = { "Content-Type" = "text/plain" }
            body.raw = "stage={{${first_name}}}"
            "#,
        );
        let request = raw.render_request(&mut substitute).expect("renders");
        assert_eq!(
            request.body.as_deref(),
            Some("stage=Ada \"the\" \\ Countess")
        );
        assert_eq!(request.headers.len(), 1);
        let aborted = raw.render_request(&mut |text| {
            if text.starts_with("stage") {
                Err(FieldFailure::Abort("not at threshold".into()))
            } else {
                Ok(text.into())
            }
        });
        assert_eq!(
            aborted,
            Err(RenderFailure::Abort {
                field: "body.raw".into(),
                reason: "not at threshold".into()
            })
        );
    }
}
