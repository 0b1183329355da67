//! The activity log pages: the list with its links, filters and keyset pages, an entry's
//! page with its exchange and attempts, and replay from the console.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use leadwire_core::activity::{ActivityEntry, ActivityType, MessageSource, RecordedResponse};
use leadwire_core::queue::SendTask;
use leadwire_engine::delivery::entry::EntryMaker;
use leadwire_engine::delivery::http::{AttemptResult, OutboundRequest};
use leadwire_engine::delivery::redact::Redactor;

use reqwest::StatusCode;
use uuid::Uuid;

use crate::support::{ConsoleApp, OPERATOR_KEY, READER_KEY, Session, console};

/// A campaign, a canvas with a step, and the Create Lead template, named as links need them.
const JOURNEYS: &str = r#"
[[webhook_templates]]
name = "Create Lead"
url = "https://x.my.salesforce.com/services/data/v60.0/sobjects/Lead/"
method = "POST"

[[webhook_templates]]
name = "Upsert Lead"
url = "https://x.my.salesforce.com/services/data/v60.0/sobjects/Lead/Leadwire_Id__c/{{${user_id}}}"
method = "PATCH"

[[campaigns]]
name = "New lead"
api_id = "new_lead"
template = "Create Lead"
delivery = "api_triggered"

[[canvases]]
name = "Lead scoring"
api_id = "lead_scoring"
entry_schedule = "api_triggered"

[[canvases.steps]]
name = "Update lead"
type = "message"
template = "Upsert Lead"
"#;

fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap()
}

fn campaign() -> MessageSource {
    MessageSource::Campaign {
        campaign: "New lead".into(),
    }
}

fn canvas() -> MessageSource {
    MessageSource::Canvas {
        canvas: "Lead scoring".into(),
        step: "Update lead".into(),
    }
}

/// An entry `seconds` after [`base_time`], of its own send, for user `ada`.
fn entry(seconds: i64, kind: ActivityType, source: MessageSource) -> ActivityEntry {
    let success = kind == ActivityType::Success;
    ActivityEntry {
        id: Uuid::now_v7(),
        time: base_time() + TimeDelta::seconds(seconds),
        activity_type: kind,
        source,
        user_id: Uuid::from_u128(1),
        external_id: Some("ada".into()),
        template: if success {
            "Upsert Lead"
        } else {
            "Create Lead"
        }
        .into(),
        message: if success {
            "HTTP 201"
        } else {
            "Required fields are missing: [Company]"
        }
        .into(),
        attempt: 1,
        status: Some(if success { 201 } else { 400 }),
        duration_ms: 12,
        request: None,
        response: None,
        send_id: Uuid::now_v7(),
        trigger_properties: None,
        tracking_send_id: None,
    }
}

async fn record(app: &ConsoleApp, entries: &[ActivityEntry]) {
    let mut tx = app.fixture.state.store.begin().await.expect("begin");
    tx.record_activity(entries).await.expect("record");
    tx.commit().await.expect("commit");
}

/// The entry ids of the log's rows, top to bottom.
fn row_ids(html: &str) -> Vec<Uuid> {
    html.split("<tr data-id=\"")
        .skip(1)
        .filter(|rest| {
            rest.get(36..)
                .is_some_and(|tail| tail.starts_with("\" data-testid=\"log-row\""))
        })
        .filter_map(|rest| rest.get(..36)?.parse().ok())
        .collect()
}

/// The target of the link with id `id`, unescaped.
fn link(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let rest = &html[start..];
    let href = rest.find("href=\"")? + "href=\"".len();
    let end = rest[href..].find('"')?;
    Some(rest[href..href + end].replace("&amp;", "&"))
}

#[tokio::test]
async fn the_log_lists_entries_newest_first_with_links_to_what_they_name() {
    let app = console(JOURNEYS).await;
    let session = app.login(OPERATOR_KEY).await;
    let empty = app.get("/console/log", Some(&session)).await;
    assert_eq!(empty.status, StatusCode::OK);
    empty.assert_contains("No sends yet: post a user with an email to /users/track");

    let mut manual = entry(2, ActivityType::AbortedMessage, MessageSource::Manual);
    manual.external_id = None;
    manual.user_id = Uuid::from_u128(2);
    manual.template = "Gone/Template".into();
    let by_api_id = MessageSource::Campaign {
        campaign: "new_lead".into(),
    };
    let entries = [
        entry(0, ActivityType::WebhookError, campaign()),
        entry(1, ActivityType::Success, canvas()),
        manual,
        entry(-1, ActivityType::WebhookError, by_api_id),
    ];
    record(&app, &entries).await;
    let page = app.get("/console/log", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        row_ids(&page.body),
        [entries[2].id, entries[1].id, entries[0].id, entries[3].id]
    );
    for expected in [
        format!("href=\"/console/log/{}\"", entries[0].id),
        "href=\"/console/campaigns/new_lead\">New lead</a>".to_owned(),
        "href=\"/console/campaigns/new_lead\">new_lead</a>".to_owned(),
        "href=\"/console/canvases/lead_scoring\">Lead scoring</a>".to_owned(),
        "href=\"/console/canvases/lead_scoring/steps/Update%20lead\">Update lead</a>".to_owned(),
        format!("href=\"/console/users/{}\">ada</a>", Uuid::from_u128(1)),
        format!("href=\"/console/users/{}\"><code>", Uuid::from_u128(2)),
        "href=\"/console/templates/Create%20Lead\"".to_owned(),
        "href=\"/console/templates/Gone%2FTemplate\"".to_owned(),
        "<span class=\"badge webhook_error\">webhook_error</span>".to_owned(),
        "Required fields are missing: [Company]".to_owned(),
        "2026-11-29 10:00:01 UTC".to_owned(),
    ] {
        page.assert_contains(&expected);
    }
    assert!(link(&page.body, "older").is_none(), "one page only");
    assert!(link(&page.body, "newer").is_none(), "the newest page");
    app.fixture.finish().await;
}

#[tokio::test]
async fn each_filter_narrows_the_log_and_the_form_keeps_its_values() {
    let app = console(JOURNEYS).await;
    let session = app.login(OPERATOR_KEY).await;
    let mut bob = entry(3, ActivityType::ConnectedContentError, campaign());
    bob.user_id = Uuid::from_u128(9);
    bob.external_id = Some("bob".into());
    bob.status = Some(599);
    let entries = [
        entry(0, ActivityType::WebhookError, campaign()),
        entry(1, ActivityType::Success, canvas()),
        entry(2, ActivityType::AbortedMessage, MessageSource::Manual),
        bob,
    ];
    record(&app, &entries).await;
    let ids = |picks: &[usize]| -> Vec<Uuid> { picks.iter().map(|&at| entries[at].id).collect() };
    let send_id = entries[1].send_id.to_string();
    let cases: Vec<(String, Vec<Uuid>)> = vec![
        ("type=webhook_error".into(), ids(&[0])),
        ("type=aborted_message".into(), ids(&[2])),
        ("campaign=New%20lead".into(), ids(&[3, 0])),
        ("canvas=Lead%20scoring".into(), ids(&[1])),
        ("step=Update%20lead".into(), ids(&[1])),
        ("user=bob".into(), ids(&[3])),
        (format!("user={}", Uuid::from_u128(1)), ids(&[2, 1, 0])),
        ("status=599".into(), ids(&[3])),
        ("status=400".into(), ids(&[2, 0])),
        ("since=2026-11-29T10:00:02Z".into(), ids(&[3, 2])),
        ("since=2026-11-29T10:00:02".into(), ids(&[3, 2])),
        (format!("send_id={send_id}"), ids(&[1])),
        ("campaign=New%20lead&status=400".into(), ids(&[0])),
        // A form sends its unused fields empty: they filter nothing.
        (
            "type=&campaign=&user=&status=&since=&send_id=".into(),
            ids(&[3, 2, 1, 0]),
        ),
    ];
    for (query, expected) in cases {
        let page = app
            .get(&format!("/console/log?{query}"), Some(&session))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{query}: {}", page.body);
        assert_eq!(row_ids(&page.body), expected, "{query}");
    }
    let kept = app
        .get(
            "/console/log?campaign=New%20lead&status=400&type=webhook_error",
            Some(&session),
        )
        .await;
    kept.assert_contains("name=\"campaign\" value=\"New lead\"");
    kept.assert_contains("name=\"status\" value=\"400\"");
    kept.assert_contains("<option value=\"webhook_error\" selected>");
    let none = app.get("/console/log?user=nobody", Some(&session)).await;
    none.assert_contains("No entries match these filters");
    app.fixture.finish().await;
}

#[tokio::test]
async fn older_and_newer_walk_120_entries_without_gaps_or_repeats() {
    let app = console(JOURNEYS).await;
    let session = app.login(OPERATOR_KEY).await;
    // Pairs of entries share a time, so the pages must also order by id.
    let entries: Vec<ActivityEntry> = (0..120)
        .map(|n| entry(n / 2, ActivityType::WebhookError, campaign()))
        .collect();
    record(&app, &entries).await;
    let mut newest_first: Vec<Uuid> = {
        let mut sorted: Vec<&ActivityEntry> = entries.iter().collect();
        sorted.sort_by_key(|entry| (entry.time, entry.id));
        sorted.iter().rev().map(|entry| entry.id).collect()
    };

    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut path = "/console/log?status=400".to_owned();
    let last = loop {
        let page = app.get(&path, Some(&session)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let rows = row_ids(&page.body);
        sizes.push(rows.len());
        seen.extend(rows);
        match link(&page.body, "older") {
            Some(older) => {
                assert!(older.contains("status=400"), "filters kept: {older}");
                path = older;
            }
            None => break page,
        }
    };
    assert_eq!(sizes, [50, 50, 20]);
    assert_eq!(seen, newest_first, "older pages, newest first, all once");

    let mut back = Vec::new();
    let mut page = last;
    while let Some(newer) = link(&page.body, "newer") {
        page = app.get(&newer, Some(&session)).await;
        assert_eq!(page.status, StatusCode::OK, "{newer}");
        back.push(row_ids(&page.body));
    }
    assert_eq!(back.len(), 2, "two newer pages from the oldest");
    assert!(link(&page.body, "older").is_some());
    let mut walked: Vec<Uuid> = back.into_iter().rev().flatten().collect();
    walked.extend(&newest_first[100..]);
    assert_eq!(
        walked, newest_first,
        "newer pages line up with the older ones"
    );
    newest_first.dedup();
    assert_eq!(newest_first.len(), 120);
    app.fixture.finish().await;
}

#[tokio::test]
async fn bad_filters_answer_400_with_a_message_and_the_form() {
    let app = console(JOURNEYS).await;
    let session = app.login(OPERATOR_KEY).await;
    for (query, message) in [
        ("status=abc", "status `abc` is not an HTTP status code"),
        (
            "type=push_error",
            "type `push_error` is not one of success, webhook_error",
        ),
        (
            "since=yesterday",
            "since `yesterday` is not an RFC 3339 time",
        ),
        ("send_id=42", "send_id `42` is not a send id"),
        ("before=nope", "before: `nope` is not an activity cursor"),
        (
            "before=1_00000000000000000000000000000001&after=1_00000000000000000000000000000001",
            "give either `before`",
        ),
        ("status=1&status=2", "the query string is invalid"),
    ] {
        let page = app
            .get(&format!("/console/log?{query}"), Some(&session))
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{query}");
        page.assert_contains(message);
        page.assert_contains("id=\"filters\"");
    }
    let kept = app.get("/console/log?status=abc", Some(&session)).await;
    kept.assert_contains("name=\"status\" value=\"abc\" aria-invalid=\"true\"");
    app.fixture.finish().await;
}

const TOKEN: &str = "00D000000000001!AQ4AQFnHk3pWq.Z8rT";

/// The first attempt of a Create Lead send, made as delivery makes it: a request carrying a
/// live token in its header and body and a `password` field, answered 400 by Salesforce.
fn recorded_attempt(task: &SendTask, redactor: &Redactor, attempt: u32) -> ActivityEntry {
    let maker = EntryMaker {
        task,
        external_id: Some("ada".into()),
        attempt,
        redactor,
    };
    let request = OutboundRequest {
        method: reqwest::Method::POST,
        url: "https://x.my.salesforce.com/services/data/v60.0/sobjects/Lead/".into(),
        headers: vec![
            ("Authorization".into(), format!("Bearer {TOKEN}")),
            ("Content-Type".into(), "application/json".into()),
        ],
        body: Some(format!(
            r#"{{"LastName":"Lovelace","password":"hunter22","Description":"token {TOKEN}"}}"#
        )),
    };
    let result = AttemptResult {
        status: 400,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: r#"[{"message":"Required fields are missing: [Company]","errorCode":"REQUIRED_FIELD_MISSING","fields":["Company"]}]"#.into(),
        body_truncated: false,
        duration: Duration::from_millis(42),
        error: None,
    };
    let now = base_time() + TimeDelta::minutes(i64::from(attempt));
    maker.attempt(
        ActivityType::WebhookError,
        &result.body.clone(),
        &request,
        &result,
        now,
    )
}

fn create_lead_task() -> SendTask {
    SendTask {
        send_id: Uuid::now_v7(),
        user_id: Uuid::from_u128(1),
        template: "Create Lead".into(),
        source: campaign(),
        created_at: base_time(),
        event_properties: None,
        api_trigger_properties: None,
        canvas_entry_properties: None,
        follow_up: None,
        webhook: None,
        tracking_send_id: None,
    }
}

#[tokio::test]
async fn an_entry_shows_its_redacted_exchange_decoded_errors_and_attempts() {
    let app = console(JOURNEYS).await;
    let session = app.login(OPERATOR_KEY).await;
    let mut redactor = Redactor::default();
    redactor.add_secret_value(TOKEN);
    let task = create_lead_task();
    let attempts: Vec<ActivityEntry> = (1..=3)
        .map(|attempt| recorded_attempt(&task, &redactor, attempt))
        .collect();
    let mut other = entry(0, ActivityType::WebhookError, campaign());
    other.response = Some(RecordedResponse {
        status: 400,
        headers: Vec::new(),
        body: "[]".into(),
    });
    record(&app, &attempts).await;
    record(&app, std::slice::from_ref(&other)).await;

    let page = app
        .get(&format!("/console/log/{}", attempts[1].id), Some(&session))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains(TOKEN), "a token on the page");
    assert!(!page.body.contains("hunter22"), "a password on the page");
    for expected in [
        "<code>POST https://x.my.salesforce.com/services/data/v60.0/sobjects/Lead/</code>",
        "<td><code>Authorization</code></td><td><code>Bearer [redacted]</code></td>",
        // The body, pretty-printed, redacted by name and by value.
        "  &quot;LastName&quot;: &quot;Lovelace&quot;,\n  &quot;password&quot;: &quot;[redacted]&quot;,\n  &quot;Description&quot;: &quot;token [redacted]&quot;",
        "<td><code>REQUIRED_FIELD_MISSING</code></td><td>Required fields are missing: [Company]</td><td>Company</td>",
        "Status <strong>400</strong>",
        "42 ms",
        "href=\"/console/campaigns/new_lead\"",
    ] {
        page.assert_contains(expected);
    }
    page.assert_contains(&format!("href=\"/console/log?send_id={}\"", task.send_id));
    let table = &page.body[page.body.find("id=\"attempts\"").expect("attempts table")..];
    let listed: Vec<usize> = attempts
        .iter()
        .map(|attempt| {
            table
                .find(&format!("href=\"/console/log/{}\"", attempt.id))
                .expect("listed")
        })
        .collect();
    assert!(listed.is_sorted(), "oldest first: {listed:?}");
    assert!(
        !table.contains(&other.id.to_string()),
        "another send's entry"
    );
    assert!(table.contains(&format!(
        "data-id=\"{}\" aria-current=\"true\"",
        attempts[1].id
    )));

    let missing = app
        .get(&format!("/console/log/{}", Uuid::now_v7()), Some(&session))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let junk = app.get("/console/log/not-an-id", Some(&session)).await;
    assert_eq!(junk.status, StatusCode::NOT_FOUND);
    junk.assert_contains("an entry id is a UUID");
    app.fixture.finish().await;
}

async fn replay(
    app: &ConsoleApp,
    session: &Session,
    id: Uuid,
    extra: &[(&str, &str)],
) -> crate::support::Page {
    let mut form = vec![("csrf", session.csrf.as_str())];
    form.extend_from_slice(extra);
    app.post(&format!("/console/log/{id}/replay"), Some(session), &form)
        .await
}

#[tokio::test]
async fn a_failed_entry_is_replayed_from_its_page() {
    let app = console(JOURNEYS).await;
    let session = app.login(OPERATOR_KEY).await;
    let mut failed = entry(0, ActivityType::WebhookError, canvas());
    failed.template = "Upsert Lead".into();
    let delivered = entry(1, ActivityType::Success, canvas());
    record(&app, &[failed.clone(), delivered.clone()]).await;

    let page = app
        .get(&format!("/console/log/{}", failed.id), Some(&session))
        .await;
    page.assert_contains(&format!("action=\"/console/log/{}/replay\"", failed.id));
    assert!(
        !page.body.contains("duplicate-warning"),
        "an upsert cannot duplicate"
    );

    let answer = replay(&app, &session, failed.id, &[]).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let prefix = format!("/console/log/{}?replayed=", failed.id);
    assert!(
        answer.location().starts_with(&prefix),
        "{}",
        answer.location()
    );
    let new_send: Uuid = answer.location()[prefix.len()..]
        .parse()
        .expect("a send id");
    assert_ne!(new_send, failed.send_id);
    assert_eq!(app.waiting_sends().await, 1);
    let notice = app.get(answer.location(), Some(&session)).await;
    notice.assert_contains(&format!("Replayed as the new send <code>{new_send}</code>"));
    notice.assert_contains(&format!("href=\"/console/log?send_id={new_send}\""));

    let delivered_page = app
        .get(&format!("/console/log/{}", delivered.id), Some(&session))
        .await;
    assert!(
        !delivered_page.body.contains("replay-button"),
        "nothing to replay"
    );
    let refused = replay(&app, &session, delivered.id, &[]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    refused.assert_contains("records a delivered send; only failed or aborted sends are replayed");

    let unknown = replay(&app, &session, Uuid::now_v7(), &[]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(app.waiting_sends().await, 1, "refusals enqueue nothing");
    app.fixture.finish().await;
}

#[tokio::test]
async fn replay_needs_console_write_and_the_csrf_token() {
    let app = console(JOURNEYS).await;
    let failed = entry(0, ActivityType::WebhookError, campaign());
    record(&app, std::slice::from_ref(&failed)).await;

    let reader = app.login(READER_KEY).await;
    let page = app
        .get(&format!("/console/log/{}", failed.id), Some(&reader))
        .await;
    page.assert_contains("<button id=\"replay-button\" type=\"button\" disabled");
    page.assert_contains("Replaying needs the console.write permission");
    let forbidden = replay(&app, &reader, failed.id, &[("duplicate_ok", "yes")]).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    forbidden.assert_contains("console.write");

    let operator = app.login(OPERATOR_KEY).await;
    let forged = app
        .post(
            &format!("/console/log/{}/replay", failed.id),
            Some(&operator),
            &[("duplicate_ok", "yes")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.waiting_sends().await, 0);
    app.fixture.finish().await;
}

#[tokio::test]
async fn a_replay_that_may_duplicate_a_lead_must_be_confirmed() {
    let app = console(JOURNEYS).await;
    let session = app.login(OPERATOR_KEY).await;
    let mut redactor = Redactor::default();
    redactor.add_secret_value(TOKEN);
    let failed = recorded_attempt(&create_lead_task(), &redactor, 1);
    // An abort has no request: the template in the config says what a replay would send.
    let aborted = entry(1, ActivityType::AbortedMessage, campaign());
    record(&app, &[failed.clone(), aborted.clone()]).await;

    for id in [failed.id, aborted.id] {
        let page = app.get(&format!("/console/log/{id}"), Some(&session)).await;
        page.assert_contains("This send was a POST creating a Salesforce Lead");
        page.assert_contains("name=\"duplicate_ok\" value=\"yes\" required");
        let unconfirmed = replay(&app, &session, id, &[]).await;
        assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST);
        unconfirmed.assert_contains("can create a duplicate Lead");
    }
    assert_eq!(app.waiting_sends().await, 0);
    let confirmed = replay(&app, &session, failed.id, &[("duplicate_ok", "yes")]).await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.body
    );
    assert_eq!(app.waiting_sends().await, 1);
    app.fixture.finish().await;
}

#[tokio::test]
async fn the_live_tail_brings_the_entries_after_the_newest_shown() {
    let app = console(JOURNEYS).await;
    let session = app.login(OPERATOR_KEY).await;
    let empty = app.get("/console/log?live=1", Some(&session)).await;
    assert_eq!(empty.status, StatusCode::OK);
    empty.assert_contains("No sends yet");
    let first_poll = link_attr(&empty.body, "log-tail", "hx-get").expect("a poller");
    assert_eq!(first_poll, "/console/log/tail?");
    let nothing = app.get(&first_poll, Some(&session)).await;
    assert_eq!(nothing.status, StatusCode::NO_CONTENT);

    let older = entry(0, ActivityType::WebhookError, campaign());
    record(&app, std::slice::from_ref(&older)).await;
    let answer = app.get(&first_poll, Some(&session)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(row_ids(&answer.body), [older.id]);
    answer.assert_contains("id=\"log-empty\" hx-swap-oob=\"delete\"");
    let next_poll = link_attr(&answer.body, "log-tail", "hx-get").expect("the next poll");
    assert!(next_poll.contains("after="), "{next_poll}");
    assert_eq!(
        app.get(&next_poll, Some(&session)).await.status,
        StatusCode::NO_CONTENT
    );

    let newer = [
        entry(1, ActivityType::Success, canvas()),
        entry(2, ActivityType::WebhookError, campaign()),
    ];
    record(&app, &newer).await;
    let answer = app.get(&next_poll, Some(&session)).await;
    assert_eq!(
        row_ids(&answer.body),
        [newer[1].id, newer[0].id],
        "newest first"
    );
    let filtered = app
        .get(&format!("{next_poll}&type=success"), Some(&session))
        .await;
    assert_eq!(row_ids(&filtered.body), [newer[0].id]);

    let page = app
        .get("/console/log?type=success&live=1", Some(&session))
        .await;
    let poll = link_attr(&page.body, "log-tail", "hx-get").expect("a poller");
    assert!(
        poll.starts_with("/console/log/tail?type=success&after="),
        "{poll}"
    );
    let off = link(&page.body, "live-toggle").expect("a switch");
    assert_eq!(off, "/console/log?type=success");

    // More than a page between two polls: this poll brings the 50 after the cursor, the
    // next one the rest.
    let poll = link_attr(&answer.body, "log-tail", "hx-get").expect("the next poll");
    let burst: Vec<ActivityEntry> = (10..70)
        .map(|n| entry(n, ActivityType::Success, canvas()))
        .collect();
    record(&app, &burst).await;
    let first = app.get(&poll, Some(&session)).await;
    let first_ids = row_ids(&first.body);
    let expected: Vec<Uuid> = burst[..50].iter().rev().map(|entry| entry.id).collect();
    assert_eq!(first_ids, expected);
    let poll = link_attr(&first.body, "log-tail", "hx-get").expect("the next poll");
    let rest = app.get(&poll, Some(&session)).await;
    let expected: Vec<Uuid> = burst[50..].iter().rev().map(|entry| entry.id).collect();
    assert_eq!(row_ids(&rest.body), expected);
    app.fixture.finish().await;
}

/// The value of attribute `name` on the element with id `id`, unescaped.
fn link_attr(html: &str, id: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let rest = &html[start..];
    let value = rest.find(&format!("{name}=\""))? + name.len() + 2;
    let end = rest[value..].find('"')?;
    Some(rest[value..value + end].replace("&amp;", "&"))
}
