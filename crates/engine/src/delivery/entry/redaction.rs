//! Secrets stay secret whatever their encoding: generated tokens and client secrets, placed
//! in every part of a request, response and message in every encoding, never reach an entry.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use leadwire_core::activity::{ActivityEntry, ActivityType, MessageSource};
use leadwire_core::queue::SendTask;
use proptest::prelude::*;
use uuid::Uuid;

use super::super::http::{AttemptResult, OutboundRequest};
use super::super::redact::{REDACTED, Redactor};
use super::EntryMaker;

/// Every form a secret can take on the way out, written independently of the redactor.
fn encodings(secret: &str) -> Vec<String> {
    let percent = |upper: bool, keep: &dyn Fn(u8) -> bool| -> String {
        secret
            .bytes()
            .map(|byte| match (keep(byte), upper) {
                (true, _) => char::from(byte).to_string(),
                (false, true) => format!("%{byte:02X}"),
                (false, false) => format!("%{byte:02x}"),
            })
            .collect()
    };
    let json_unicode = |upper: bool| -> String {
        secret
            .chars()
            .map(|c| match (c.is_ascii_alphanumeric(), upper) {
                (true, _) => c.to_string(),
                (false, true) => format!("\\u{:04X}", u32::from(c)),
                (false, false) => format!("\\u{:04x}", u32::from(c)),
            })
            .collect()
    };
    let json = serde_json::to_string(secret).expect("a string serialises");
    let mut all = vec![
        secret.to_owned(),
        // Every byte that is not alphanumeric, in both hex cases.
        percent(true, &|byte| byte.is_ascii_alphanumeric()),
        percent(false, &|byte| byte.is_ascii_alphanumeric()),
        // As encodeURIComponent writes it.
        percent(true, &|byte| {
            byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte)
        }),
        // Form encoding (also what `url` writes for query pairs).
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        lower_hex(&url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>()),
        json[1..json.len() - 1].to_owned(),
        json[1..json.len() - 1].replace('/', "\\/"),
        json_unicode(true),
        json_unicode(false),
    ];
    assert!(all.iter().all(|form| decodes_to(form, secret)));
    all.sort();
    all.dedup();
    all
}

/// `text` with the hex digits of its percent escapes lower-cased.
fn lower_hex(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut hex_left = 0;
    for c in text.chars() {
        if hex_left > 0 {
            out.push(c.to_ascii_lowercase());
            hex_left -= 1;
        } else {
            out.push(c);
            if c == '%' {
                hex_left = 2;
            }
        }
    }
    out
}

/// Whether `form` is an encoding of `secret` (percent, form or JSON), for the generator's
/// own sanity.
fn decodes_to(form: &str, secret: &str) -> bool {
    let percent: String = url::form_urlencoded::parse(format!("x={form}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    let json: Option<String> = serde_json::from_str(&format!("\"{form}\"")).ok();
    form == secret
        || percent == secret.replace('+', " ")
        || percent == secret
        || json.as_deref() == Some(secret)
}

fn task() -> SendTask {
    SendTask {
        send_id: Uuid::nil(),
        user_id: Uuid::nil(),
        template: "lead".to_owned(),
        source: MessageSource::Manual,
        created_at: Utc.timestamp_opt(0, 0).unwrap(),
        event_properties: None,
        api_trigger_properties: None,
        canvas_entry_properties: None,
        follow_up: None,
        webhook: None,
        tracking_send_id: None,
    }
}

/// The entry maker of a first attempt of `task`.
fn first_attempt<'a>(task: &'a SendTask, redactor: &'a Redactor) -> EntryMaker<'a> {
    EntryMaker {
        task,
        external_id: None,
        attempt: 1,
        redactor,
    }
}

/// One entry of an attempt whose request, response and message carry `forms` everywhere,
/// made as delivery makes it.
fn entry_with(redactor: &Redactor, forms: &[&str]) -> (ActivityEntry, Vec<String>) {
    let task = task();
    let maker = first_attempt(&task, redactor);
    let path: String = forms.iter().map(|form| format!("/p/{form}")).collect();
    let query: Vec<String> = forms
        .iter()
        .enumerate()
        .map(|(index, form)| format!("q{index}={form}"))
        .collect();
    let json_body = format!(
        "{{\"note\":[{}],\"ok\":false}}",
        forms
            .iter()
            .map(|form| format!("\"{form}\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    let request = OutboundRequest {
        method: reqwest::Method::POST,
        url: format!(
            "https://x.my.salesforce.com{path}?{}&format=json",
            query.join("&")
        ),
        headers: forms
            .iter()
            .map(|form| ("X-Trace".to_owned(), format!("trace {form} end")))
            .collect(),
        body: Some(json_body.clone()),
    };
    let form_body = format!("{}&grant_type=x", query.join("&"));
    let message = format!("refused {}", forms.join(" and "));
    let result = AttemptResult {
        status: 401,
        headers: vec![("Location".to_owned(), request.url.clone())],
        body: json_body.clone(),
        body_truncated: false,
        duration: Duration::from_millis(5),
        error: None,
    };
    let now = Utc.timestamp_opt(0, 0).unwrap();
    let entry = maker.attempt(ActivityType::WebhookError, &message, &request, &result, now);
    let others = vec![
        redactor.body(&form_body),
        redactor.body(&json_body),
        redactor.text(&message),
        maker
            .note(ActivityType::AbortedMessage, &message, now)
            .message,
    ];
    (entry, others)
}

/// The characters of real access tokens and client secrets.
const TOKEN_CHARS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!._-/+=";

fn secret() -> impl Strategy<Value = String> {
    let chars: Vec<char> = TOKEN_CHARS.chars().collect();
    proptest::collection::vec(proptest::sample::select(chars), 8..64)
        .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_encoding_of_a_secret_reaches_an_entry(token in secret(), client_secret in secret()) {
        let mut redactor = Redactor::new(["X-Vendor-Key".to_owned()]);
        redactor.add_secret_value(&client_secret);
        redactor.add_secret_value(&token);
        let mut token_forms = encodings(&token);
        let secret_forms = encodings(&client_secret);
        token_forms.extend(secret_forms.iter().cloned());
        let forms: Vec<&str> = token_forms.iter().map(String::as_str).collect();
        let (entry, others) = entry_with(&redactor, &forms);
        let request = entry.request.as_ref().expect("an attempt keeps its request");
        let response = entry.response.as_ref().expect("an attempt keeps its response");
        let mut outputs = vec![
            serde_json::to_string(&entry).expect("an entry serialises"),
            entry.message.clone(),
            request.url.clone(),
            request.body.clone().expect("the request body is kept"),
            response.body.clone(),
        ];
        outputs.extend(request.headers.iter().map(|(_, value)| value.clone()));
        outputs.extend(response.headers.iter().map(|(_, value)| value.clone()));
        outputs.extend(others);
        for output in &outputs {
            prop_assert!(output.contains(REDACTED), "nothing redacted in {output}");
            for form in &forms {
                prop_assert!(!output.contains(form), "{form} kept in {output}");
            }
        }
    }
}

#[test]
fn a_bang_token_in_a_query_is_redacted_in_the_entry_url() {
    let token = "00D5g000004ABCD!AQ4AQFnHk3pWq.Z8rT_yz-9xK2";
    let mut redactor = Redactor::default();
    redactor.add_secret_value(token);
    let task = task();
    let maker = first_attempt(&task, &redactor);
    let request = OutboundRequest {
        method: reqwest::Method::GET,
        url: format!(
            "https://x.my.salesforce.com/services/data/v60.0/query?q=SELECT+Id+FROM+Lead&sid={token}&x=a%20b"
        ),
        headers: Vec::new(),
        body: None,
    };
    let result = AttemptResult {
        status: 200,
        headers: Vec::new(),
        body: "{}".to_owned(),
        body_truncated: false,
        duration: Duration::from_millis(1),
        error: None,
    };
    let entry = maker.attempt(
        ActivityType::Success,
        "ok",
        &request,
        &result,
        Utc.timestamp_opt(0, 0).unwrap(),
    );
    assert_eq!(
        entry.request.expect("kept").url,
        "https://x.my.salesforce.com/services/data/v60.0/query?q=SELECT+Id+FROM+Lead&sid=[redacted]&x=a%20b"
    );
}

#[test]
fn a_space_in_a_secret_is_found_as_a_plus() {
    let mut redactor = Redactor::default();
    redactor.add_secret_value("pass phrase!");
    assert_eq!(
        redactor.body("user=ada&note=pass+phrase%21"),
        "user=ada&note=[redacted]"
    );
    assert_eq!(
        redactor.text(r#"{"n":"pass\u0020phrase\u0021"}"#),
        r#"{"n":"[redacted]"}"#
    );
}

/// The entry of one attempt of `request`, answered 400 with an empty body.
fn attempt_of(redactor: &Redactor, request: &OutboundRequest) -> ActivityEntry {
    let task = task();
    let maker = first_attempt(&task, redactor);
    let result = AttemptResult {
        status: 400,
        headers: Vec::new(),
        body: String::new(),
        body_truncated: false,
        duration: Duration::from_millis(1),
        error: None,
    };
    let now = Utc.timestamp_opt(0, 0).unwrap();
    maker.attempt(
        ActivityType::WebhookError,
        "HTTP 400",
        request,
        &result,
        now,
    )
}

fn post(body: Option<String>) -> OutboundRequest {
    OutboundRequest {
        method: reqwest::Method::POST,
        url: "https://x.my.salesforce.com/services/data/v60.0/sobjects/Lead/".to_owned(),
        headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
        body,
    }
}

fn kept_body(redactor: &Redactor, body: Option<&str>) -> Option<String> {
    attempt_of(redactor, &post(body.map(str::to_owned)))
        .request
        .expect("an attempt keeps its request")
        .body
}

#[test]
fn the_request_body_is_kept_redacted_by_name_and_by_value() {
    let mut redactor = Redactor::default();
    redactor.add_secret_value("tok-0123456789");
    assert_eq!(
        kept_body(
            &redactor,
            Some(r#"{"LastName":"Ada","password":"hunter22","Description":"uses tok-0123456789"}"#)
        )
        .as_deref(),
        Some(r#"{"LastName":"Ada","password":"[redacted]","Description":"uses [redacted]"}"#)
    );
    assert_eq!(
        kept_body(
            &redactor,
            Some("name=Ada&client_secret=s3cr3t&sid=tok-0123456789")
        )
        .as_deref(),
        Some("name=Ada&client_secret=[redacted]&sid=[redacted]")
    );
    assert_eq!(kept_body(&redactor, None), None, "no body, none kept");
}

#[test]
fn a_long_request_body_is_redacted_whole_then_cut_like_a_response_body() {
    use super::super::http::RESPONSE_BODY_LIMIT;
    // A JSON body past the limit, its secret field first and multi-byte text after it: were
    // it cut before being redacted, it would no longer parse and the field would be kept.
    let long = "é".repeat(RESPONSE_BODY_LIMIT);
    let body = format!(r#"{{"client_secret":"plain-s3cr3t","Description":"{long}"}}"#);
    let kept = kept_body(&Redactor::default(), Some(&body)).expect("kept");
    assert!(kept.len() <= RESPONSE_BODY_LIMIT, "{} bytes", kept.len());
    assert!(
        kept.len() > RESPONSE_BODY_LIMIT - 4,
        "cut at the limit, not before"
    );
    assert!(kept.starts_with(r#"{"client_secret":"[redacted]","Description":"éé"#));
    assert!(!kept.contains("plain-s3cr3t"));
}
