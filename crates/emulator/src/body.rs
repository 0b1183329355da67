//! Request bodies: JSON parsing with Salesforce's JSON_PARSER_ERROR texts (Jackson style, with line and column) and the 415 check.

use http::{HeaderMap, StatusCode, header::CONTENT_TYPE};
use serde_json::Value;

use leadwire_salesforce::errors::{ApiError, ApiErrorItem};

/// Parses a request body that must be JSON.
pub fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::json_parser(
            "The HTTP entity body is required, but this request has no entity body.",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|error| ApiError::json_parser(jackson_message(body, &error)))
}

/// Rephrases a serde_json error the way Salesforce's parser words it.
fn jackson_message(body: &[u8], error: &serde_json::Error) -> String {
    let (line, column) = (error.line(), error.column());
    let at = format!("at [line:{line}, column:{column}]");
    if error.is_eof() {
        return format!("Unexpected end-of-input: expected close marker for OBJECT {at}");
    }
    let text = error.to_string();
    let found = char_at(body, line, column);
    let found = match found {
        Some(c) => format!("Unexpected character ('{c}' (code {})): ", u32::from(c)),
        None => "Unexpected character: ".to_owned(),
    };
    let expectation = if text.contains("expected `:`") {
        "was expecting a colon to separate field name and value"
    } else if text.contains("key must be a string") {
        "was expecting double-quote to start field name"
    } else if text.contains("expected `,` or `}`") {
        "was expecting comma to separate Object entries"
    } else if text.contains("expected `,` or `]`") {
        "was expecting comma to separate Array entries"
    } else if text.contains("trailing") {
        "expected end of input"
    } else {
        "expected a valid value (number, String, array, object, 'true', 'false' or 'null')"
    };
    format!("{found}{expectation} {at}")
}

fn char_at(body: &[u8], line: usize, column: usize) -> Option<char> {
    let text = std::str::from_utf8(body).ok()?;
    let row = text.lines().nth(line.checked_sub(1)?)?;
    row.chars().nth(column.checked_sub(1)?)
}

/// Where the value of `key` starts in the raw body, as Jackson's `[line, column]`.
pub fn value_position(body: &[u8], key: &str) -> (usize, usize) {
    let text = String::from_utf8_lossy(body);
    let needle = format!("\"{key}\"");
    let Some(start) = text.find(&needle) else {
        return (1, 1);
    };
    let after_key = start + needle.len();
    let rest = &text[after_key..];
    let skip = rest
        .char_indices()
        .find(|(_, c)| !c.is_whitespace() && *c != ':')
        .map_or(0, |(at, _)| at);
    let offset = after_key + skip;
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(offset, |nl| offset - nl - 1) + 1;
    (line, column)
}

/// Reads a body keeping at most `keep` bytes and draining (not keeping) the rest, so an
/// oversized upload is still answered; `Err` when it cannot be read or passes `cap` bytes.
pub async fn read_keeping(
    body: axum::body::Body,
    keep: usize,
    cap: usize,
) -> Result<bytes::Bytes, ()> {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut kept = bytes::BytesMut::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| ())?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen > cap {
            return Err(());
        }
        let room = keep.saturating_sub(kept.len());
        kept.extend_from_slice(&data[..data.len().min(room)]);
    }
    Ok(kept.freeze())
}

/// 415 when a write carries a Content-Type other than JSON (a missing one is taken as JSON).
pub fn check_json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    let media = value
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if media == "application/json" || media.is_empty() {
        return Ok(());
    }
    Err(ApiError::one(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ApiErrorItem::new("UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(body: &str) -> String {
        parse_json(body.as_bytes())
            .err()
            .and_then(|e| e.errors.first().map(|i| i.message.clone()))
            .unwrap_or_default()
    }

    #[test]
    fn parser_errors_read_like_salesforce() {
        assert_eq!(
            message(r#"{"LastName" "x"}"#),
            "Unexpected character ('\"' (code 34)): was expecting a colon to separate field name and value at [line:1, column:13]"
        );
        assert_eq!(
            message("  "),
            "The HTTP entity body is required, but this request has no entity body."
        );
        assert!(message(r#"{"a":1"#).starts_with("Unexpected end-of-input"));
    }

    #[test]
    fn value_positions_point_at_the_value() {
        assert_eq!(value_position(br#"{"A": 1, "Bday": "x"}"#, "Bday"), (1, 18));
        assert_eq!(value_position(b"{\n  \"B\":\n  true}", "B"), (3, 3));
    }
}
