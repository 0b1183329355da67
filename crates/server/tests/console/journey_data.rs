//! What the overview, campaign and canvas pages are tested with: a config of campaigns and
//! a canvas, activity entries and canvas entries written through the store's transactions
//! (so its counters count them), and reading numbers out of the pages' tables.

#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use leadwire_core::activity::{ActivityEntry, ActivityType, MessageSource};
use leadwire_core::canvas::{Canvas, CanvasUserState, Transition};
use leadwire_store::{CanvasEntry, Store};
use serde_json::Map;
use uuid::Uuid;

/// Two campaigns and a lead-scoring canvas with Audience Paths, Action Paths, a Delay and a
/// Message step.
pub const JOURNEYS: &str = r#"
[[webhook_templates]]
name = "Create Lead"
url = "https://example.com/leads"
method = "POST"

[[webhook_templates]]
name = "Update Lead"
url = "https://example.com/leads/update"
method = "PATCH"

[[campaigns]]
name = "New lead to Salesforce"
api_id = "new_lead"
template = "Create Lead"
triggers = [{ type = "add_email_address" }]
audience = [{ attribute = "company", op = "exists" }]
delay = "15m"
reeligible_after = "7d"
rate_limit_per_minute = 100

[[campaigns]]
name = "Welcome"
template = "Update Lead"
delivery = "api_triggered"

[[canvases]]
name = "Lead Scoring"
api_id = "lead_scoring"
entry_schedule = "api_triggered"

[[canvases.steps]]
name = "Qualify"
type = "audience_paths"

[[canvases.steps.groups]]
name = "Hot"
filters = [{ attribute = "lead_score", op = "greater_than", value = 50 }]
next = "Create lead"

[[canvases.steps.groups]]
name = "Warm"
filters = [{ attribute = "lead_score", op = "greater_than", value = 20 }]
next = "Wait for demo"

[[canvases.steps]]
name = "Wait for demo"
type = "action_paths"
window = "3d"

[[canvases.steps.groups]]
name = "Requested demo"
triggers = [{ type = "perform_custom_event", event = "demo_requested" }]
next = "Cool off"

[[canvases.steps]]
name = "Cool off"
type = "delay"
duration = "1h"
next = "Create lead"

[[canvases.steps]]
name = "Create lead"
type = "message"
template = "Create Lead"
"#;

/// The canvas of [`JOURNEYS`].
pub fn lead_scoring() -> Canvas {
    #[derive(serde::Deserialize)]
    struct Canvases {
        canvases: Vec<Canvas>,
    }
    let parsed: Canvases = toml::from_str(JOURNEYS).expect("valid journeys");
    parsed.canvases.into_iter().next().expect("one canvas")
}

pub fn campaign(name: &str) -> MessageSource {
    MessageSource::Campaign {
        campaign: name.into(),
    }
}

pub fn canvas_step(canvas: &str, step: &str) -> MessageSource {
    MessageSource::Canvas {
        canvas: canvas.into(),
        step: step.into(),
    }
}

/// One attempt's entry.
pub fn entry(time: DateTime<Utc>, kind: ActivityType, source: MessageSource) -> ActivityEntry {
    let user = Uuid::now_v7();
    ActivityEntry {
        id: Uuid::now_v7(),
        time,
        activity_type: kind,
        source,
        user_id: user,
        external_id: Some(format!("lead-{}", user.simple())),
        template: "Create Lead".into(),
        message: format!("{} attempt", kind.as_str()),
        attempt: 1,
        status: (kind != ActivityType::AbortedMessage).then_some(
            if kind == ActivityType::Success {
                201
            } else {
                400
            },
        ),
        duration_ms: 12,
        request: None,
        response: None,
        send_id: Uuid::now_v7(),
        trigger_properties: None,
        tracking_send_id: None,
    }
}

/// Entries from `source` at `time`: so many of each type, in the order of
/// [`ActivityType::ALL`] (success, webhook_error, connected_content_error, aborted_message).
pub fn outcomes(
    time: DateTime<Utc>,
    source: &MessageSource,
    counts: [usize; 4],
) -> Vec<ActivityEntry> {
    ActivityType::ALL
        .into_iter()
        .zip(counts)
        .flat_map(|(kind, count)| (0..count).map(move |_| entry(time, kind, source.clone())))
        .collect()
}

/// Records `entries` as delivery does: in a transaction.
pub async fn record(store: &Arc<dyn Store>, entries: &[ActivityEntry]) {
    let mut tx = store.begin().await.expect("begin");
    tx.record_activity(entries).await.expect("record activity");
    tx.commit().await.expect("commit");
}

/// A user who entered `canvas` at `at` and went down `paths` (path name, in order) from its
/// first step; they exit when the last path taken has no next step.
pub fn journey(canvas: &Canvas, at: DateTime<Utc>, paths: &[&str]) -> CanvasEntry {
    let mut state = CanvasUserState::enter(canvas, at, Map::new());
    for path in paths {
        let step = canvas
            .step(state.current_step().expect("still in the canvas"))
            .expect("a step of the canvas");
        let next = step
            .paths()
            .into_iter()
            .find(|(name, _)| name == path)
            .unwrap_or_else(|| panic!("step `{}` has no path `{path}`", step.name()));
        let transition = Transition {
            path: (*path).to_owned(),
            next: next.1.map(str::to_owned),
            event_properties: None,
        };
        state.follow(canvas, transition, at);
    }
    CanvasEntry::new(Uuid::now_v7(), state)
}

/// Saves `entries` as the canvas worker does: in a transaction.
pub async fn save(store: &Arc<dyn Store>, entries: &[CanvasEntry]) {
    let mut tx = store.begin().await.expect("begin");
    for entry in entries {
        tx.save_canvas_entry(entry)
            .await
            .expect("save canvas entry");
    }
    tx.commit().await.expect("commit");
}

/// The HTML of the element carrying `data-testid="{id}"`, up to its closing tag.
#[track_caller]
pub fn element<'a>(html: &'a str, id: &str) -> &'a str {
    let marker = format!("data-testid=\"{id}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no data-testid {id:?} in:\n{html}"));
    let start = html[..at].rfind('<').expect("a start tag");
    let tag: String = html[start + 1..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let end = html[at..]
        .find(&format!("</{tag}>"))
        .map_or(html.len(), |end| at + end + tag.len() + 3);
    &html[start..end]
}

/// The text of the first `<td>` in `html` whose classes include `class`.
#[track_caller]
pub fn cell(html: &str, class: &str) -> String {
    let mut rest = html;
    while let Some(start) = rest.find("<td") {
        let tag_end = start + rest[start..].find('>').expect("a whole tag");
        let tag = &rest[start..tag_end];
        let classes = tag
            .split("class=\"")
            .nth(1)
            .and_then(|value| value.split('"').next())
            .unwrap_or_default();
        let end = tag_end + rest[tag_end..].find("</td>").expect("a closed cell");
        if classes.split(' ').any(|each| each == class) {
            return text(&rest[tag_end + 1..end]);
        }
        rest = &rest[end..];
    }
    panic!("no cell of class {class:?} in:\n{html}")
}

/// The sum of the numbers in every `<td>` of class `class` in `html`.
pub fn column_sum(html: &str, class: &str) -> u64 {
    html.split("<tr")
        .filter(|row| row.contains("<td"))
        .map(|row| cell(row, class).parse::<u64>().expect("a number"))
        .sum()
}

/// `html` without its tags, trimmed.
pub fn text(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for character in html.chars() {
        match character {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(character),
            _ => {}
        }
    }
    text.trim().to_owned()
}

/// The number in the cell of class `class` of the element `id`.
#[track_caller]
pub fn number(html: &str, id: &str, class: &str) -> u64 {
    let value = cell(element(html, id), class);
    value
        .parse()
        .unwrap_or_else(|_| panic!("{id} .{class} is {value:?}, not a number"))
}
