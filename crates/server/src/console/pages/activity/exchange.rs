//! An entry's HTTP exchange as an operator reads it: the request (method, URL, headers,
//! body) and the response (status, headers, body), as kept, secrets already redacted; JSON
//! bodies pretty-printed, and Salesforce's error array read into code and message.

use leadwire_core::activity::{ActivityEntry, ActivityType, RecordedRequest, RecordedResponse};
use leadwire_salesforce::ApiErrorItem;
use maud::{Markup, html};

/// The request section.
pub fn request(request: Option<&RecordedRequest>) -> Markup {
    let Some(request) = request else {
        return html! { p.muted { "No request was made: the send ended before it (see the message above)." } };
    };
    html! {
        p #request-line { code { (request.method) " " (request.url) } }
        (headers("request-headers", "Request headers", &request.headers))
        @match request.body.as_deref() {
            Some(text) => { h3 { "Request body" } (body("request-body", text)) }
            None => p.muted { "No body." },
        }
    }
}

/// The response section.
pub fn response(response: Option<&RecordedResponse>) -> Markup {
    let Some(response) = response else {
        return html! { p.muted { "No response was received (see the message above)." } };
    };
    html! {
        p #response-status { "Status " strong { (response.status) } }
        (headers("response-headers", "Response headers", &response.headers))
        h3 { "Response body" }
        @if response.body.is_empty() { p.muted { "Empty." } } @else { (body("response-body", &response.body)) }
    }
}

/// What went wrong, for an entry that did not succeed: Salesforce's errors as a table when
/// the response (or the message) is Salesforce's error array, and the message itself.
pub fn error(entry: &ActivityEntry) -> Markup {
    if entry.activity_type == ActivityType::Success {
        return html! {};
    }
    let response_body = entry
        .response
        .as_ref()
        .map(|response| response.body.as_str());
    let decoded = response_body
        .and_then(salesforce_errors)
        .or_else(|| salesforce_errors(&entry.message));
    // The message is most often the response body itself, shown decoded above and in full
    // below; it is repeated only when it says something else.
    let repeats_body = decoded.is_some() && response_body == Some(entry.message.as_str());
    html! {
        section aria-labelledby="error-heading" {
            h2 #error-heading { "What went wrong" }
            @if let Some(errors) = decoded {
                table #salesforce-errors data-testid="salesforce-errors" {
                    caption { "Salesforce answered with these errors" }
                    thead { tr { th scope="col" { "Code" } th scope="col" { "Message" } th scope="col" { "Fields" } } }
                    tbody { @for item in &errors { tr {
                        td { code { (item.error_code) } }
                        td { (item.message) }
                        td { (item.fields.as_deref().unwrap_or_default().join(", ")) }
                    } } }
                }
            }
            @if !repeats_body { (body("message", &entry.message)) }
        }
    }
}

/// The errors of a Salesforce REST error body (`[{"errorCode", "message", ...}]`), if
/// `text` is one.
pub fn salesforce_errors(text: &str) -> Option<Vec<ApiErrorItem>> {
    if !text.trim_start().starts_with('[') {
        return None;
    }
    serde_json::from_str::<Vec<ApiErrorItem>>(text)
        .ok()
        .filter(|items| !items.is_empty())
}

/// A Salesforce error array in one line, `CODE: message` (and how many more), for a table
/// cell; `None` when `text` is not one.
pub fn salesforce_summary(text: &str) -> Option<String> {
    let errors = salesforce_errors(text)?;
    let first = &errors[0];
    let mut line = format!("{}: {}", first.error_code, first.message);
    if errors.len() > 1 {
        line.push_str(&format!(" (and {} more)", errors.len() - 1));
    }
    Some(line)
}

fn headers(id: &str, caption: &str, headers: &[(String, String)]) -> Markup {
    html! {
        @if headers.is_empty() {
            p.muted { "No " (caption.to_lowercase()) "." }
        } @else {
            table #(id) {
                caption { (caption) }
                thead { tr { th scope="col" { "Name" } th scope="col" { "Value" } } }
                tbody { @for (name, value) in headers { tr { td { code { (name) } } td { code { (value) } } } } }
            }
        }
    }
}

/// A body in a `pre`: pretty-printed when it is JSON, as kept otherwise.
fn body(id: &str, text: &str) -> Markup {
    html! { pre #(id) { (pretty(text)) } }
}

/// `text` re-indented when it is a JSON object or array; unchanged otherwise.
pub fn pretty(text: &str) -> String {
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return text.to_owned();
    }
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|json| serde_json::to_string_pretty(&json).ok())
        .unwrap_or_else(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_bodies_are_pretty_printed_in_their_order() {
        assert_eq!(
            pretty(r#"{"b":1,"a":[2]}"#),
            "{\n  \"b\": 1,\n  \"a\": [\n    2\n  ]\n}"
        );
        assert_eq!(pretty("plain text"), "plain text");
        assert_eq!(pretty("{cut off"), "{cut off");
    }

    #[test]
    fn salesforce_error_arrays_are_decoded() {
        let body = r#"[{"message":"Required fields are missing: [Company]","errorCode":"REQUIRED_FIELD_MISSING","fields":["Company"]}]"#;
        let errors = salesforce_errors(body).expect("decoded");
        assert_eq!(errors[0].error_code, "REQUIRED_FIELD_MISSING");
        assert_eq!(
            errors[0].fields.as_deref(),
            Some(&["Company".to_owned()][..])
        );
        assert!(salesforce_errors("[]").is_none());
        assert!(salesforce_errors(r#"{"error":"invalid_client"}"#).is_none());
        assert!(salesforce_errors("[1, 2]").is_none());
        assert_eq!(
            salesforce_summary(body).as_deref(),
            Some("REQUIRED_FIELD_MISSING: Required fields are missing: [Company]")
        );
        let two = r#"[{"message":"a","errorCode":"X"},{"message":"b","errorCode":"Y"}]"#;
        assert_eq!(
            salesforce_summary(two).as_deref(),
            Some("X: a (and 1 more)")
        );
        assert_eq!(salesforce_summary("HTTP 500"), None);
    }
}
