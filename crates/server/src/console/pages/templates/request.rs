//! A rendered request as the preview shows it: method, URL, headers and body as they would
//! be sent (secrets already redacted), and whether the body is the JSON it means to be,
//! pointing at where it breaks.

use leadwire_core::config::RenderedRequest;
use leadwire_engine::delivery::preview::{BodyCheck, JsonError};
use maud::{Markup, html};

/// Characters of a long line shown on each side of a JSON error.
const EXCERPT_REACH: usize = 40;

pub fn shown(request: &RenderedRequest, check: &BodyCheck) -> Markup {
    html! {
        dl.facts #rendered-request {
            dt { "Method" }
            dd { code #rendered-method { (request.method) } }
            dt { "URL" }
            dd { code #rendered-url { (request.url) } }
        }
        h3 { "Headers" }
        @if request.headers.is_empty() {
            p.muted { "None." }
        } @else {
            div.scroll { table #rendered-headers {
                thead { tr { th scope="col" { "Header" } th scope="col" { "Value" } } }
                tbody { @for (name, value) in &request.headers { tr {
                    th scope="row" { code { (name) } }
                    td { code { (value) } }
                } } }
            } }
        }
        h3 { "Body" }
        @match &request.body {
            None => p.muted { "None." },
            Some(body) => pre #rendered-body { (body) },
        }
        (body_check(check, request.body.as_deref()))
    }
}

fn body_check(check: &BodyCheck, body: Option<&str>) -> Markup {
    html! {
        @match check {
            BodyCheck::Empty => {},
            BodyCheck::Json => p.notice data-testid="json-check" { "The body is valid JSON." },
            BodyCheck::InvalidJson(error) => {
                p.error data-testid="json-check" {
                    "The body is not valid JSON: " (error) ". A receiver would refuse it; check the Liquid that writes it."
                }
                @if let Some((excerpt, caret)) = body.and_then(|body| excerpt(body, error)) {
                    pre.excerpt aria-label="Where the JSON breaks" { (excerpt) "\n" (caret) }
                }
            },
            BodyCheck::NotJson { content_type } => p.muted data-testid="json-check" {
                "The body is not checked as JSON: its Content-Type is " code { (content_type) } "."
            },
        }
    }
}

/// The part of the error's line around its column, and a caret line under the column.
fn excerpt(body: &str, error: &JsonError) -> Option<(String, String)> {
    let line: Vec<char> = body
        .lines()
        .nth(error.line.checked_sub(1)?)?
        .chars()
        .collect();
    let at = error.column.saturating_sub(1).min(line.len());
    let start = at.saturating_sub(EXCERPT_REACH);
    let end = (at + EXCERPT_REACH).min(line.len());
    let text: String = line[start..end].iter().collect();
    Some((text, format!("{}^", " ".repeat(at - start))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_excerpt_points_at_the_column_of_a_long_line() {
        let body = format!("{{\"a\": \"{}\", }}", "x".repeat(100));
        let error = serde_json::from_str::<serde_json::Value>(&body).expect_err("trailing comma");
        let error = JsonError::from(&error);
        let (text, caret) = excerpt(&body, &error).expect("an excerpt");
        assert_eq!(text.chars().count(), EXCERPT_REACH + 1, "{text}");
        assert_eq!(caret.len(), EXCERPT_REACH + 1);
        assert_eq!(
            text.chars().nth(EXCERPT_REACH),
            Some('}'),
            "{text}\n{caret}"
        );
    }
}
