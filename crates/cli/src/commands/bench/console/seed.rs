//! Fills a store the way months of use would: profiles with an email and a lead score, each
//! with an entry somewhere along the Lead Scoring canvas, and activity entries spread over
//! 30 days, mostly successes, from the example's campaign and the canvas's Message step.
//! Everything goes through the store's own transactions, so indexes and counters are kept
//! as the workers keep them.

use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use leadwire_core::activity::{
    ActivityEntry, ActivityType, MessageSource, RecordedRequest, RecordedResponse,
};
use leadwire_core::attributes::ProfileChanges;
use leadwire_core::canvas::{Canvas, CanvasUserState, HistoryEntry, Position};
use leadwire_core::config::Config;
use leadwire_core::profile::Profile;
use leadwire_store::{CanvasEntry, ProfileWrite, Store};
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// Rows written per transaction.
const BATCH: u32 = 2000;

/// What the page requests point at.
pub struct Seeded {
    pub user_id: Uuid,
    pub email: String,
    pub success_entry: Uuid,
    pub failed_entry: Uuid,
}

pub async fn fill(
    store: &dyn Store,
    config: &Config,
    profiles: u32,
    activity: u32,
) -> anyhow::Result<Seeded> {
    let canvas = config
        .canvases
        .first()
        .context("the example has a canvas")?;
    let now = Utc::now();
    let users = write_profiles(store, canvas, profiles.max(1), now).await?;
    let (success_entry, failed_entry) =
        write_activity(store, config, &users, activity.max(100), now).await?;
    Ok(Seeded {
        user_id: users[0],
        email: email(0),
        success_entry,
        failed_entry,
    })
}

fn email(index: u32) -> String {
    format!("lead{index}@example.com")
}

async fn write_profiles(
    store: &dyn Store,
    canvas: &Canvas,
    count: u32,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Uuid>> {
    let mut users = Vec::with_capacity(count as usize);
    let changes = ProfileChanges::default();
    for start in (0..count).step_by(BATCH as usize) {
        let end = (start + BATCH).min(count);
        let batch: Vec<Profile> = (start..end).map(|index| profile(index, now)).collect();
        let writes: Vec<ProfileWrite<'_>> = batch
            .iter()
            .map(|profile| ProfileWrite {
                profile,
                changes: &changes,
            })
            .collect();
        let mut tx = store.begin().await?;
        tx.save_profiles(&writes).await?;
        for (offset, profile) in batch.iter().enumerate() {
            let entry = canvas_entry(canvas, profile.id, start + offset as u32, now);
            tx.save_canvas_entry(&entry).await?;
        }
        tx.commit().await?;
        users.extend(batch.iter().map(|profile| profile.id));
    }
    Ok(users)
}

fn profile(index: u32, now: DateTime<Utc>) -> Profile {
    let mut profile = Profile::new(Uuid::now_v7(), now);
    profile.external_id = Some(format!("00Q{index:015}"));
    profile
        .standard
        .insert("email".into(), Value::String(email(index)));
    profile
        .standard
        .insert("first_name".into(), json!(format!("Lead {index}")));
    profile
        .custom
        .insert("lead_score".into(), json!(index % 60));
    profile.custom.insert(
        "lead_stage".into(),
        json!(if index % 60 > 50 { "MQL" } else { "Lead" }),
    );
    profile
}

/// An entry of user number `index` that has gone `index % steps` steps along the canvas.
fn canvas_entry(canvas: &Canvas, user: Uuid, index: u32, now: DateTime<Utc>) -> CanvasEntry {
    let entered = now - TimeDelta::minutes(i64::from(index % 10_000));
    let mut state = CanvasUserState::enter(canvas, entered, Map::new());
    let steps: Vec<&str> = canvas.steps.iter().map(|step| step.name()).collect();
    let reached = index as usize % steps.len();
    for step in &steps[..reached] {
        state.history.push(HistoryEntry {
            step: (*step).to_owned(),
            arrived_at: entered,
            left_at: entered,
            path: "next".into(),
        });
    }
    state.position = Position::AtStep {
        step: steps[reached].to_owned(),
    };
    CanvasEntry::new(user, state)
}

async fn write_activity(
    store: &dyn Store,
    config: &Config,
    users: &[Uuid],
    count: u32,
    now: DateTime<Utc>,
) -> anyhow::Result<(Uuid, Uuid)> {
    let sources = sources(config)?;
    let span = TimeDelta::days(30).num_milliseconds() / i64::from(count);
    let (mut success, mut failed) = (None, None);
    for start in (0..count).step_by(BATCH as usize) {
        let end = (start + BATCH).min(count);
        let entries: Vec<ActivityEntry> = (start..end)
            .map(|index| {
                let time = now - TimeDelta::milliseconds(span * i64::from(count - index));
                let (source, template) = &sources[index as usize % sources.len()];
                let user = users[index as usize % users.len()];
                entry(index, time, source.clone(), template, user)
            })
            .collect();
        for entry in &entries {
            match entry.activity_type {
                ActivityType::Success => success = Some(entry.id),
                _ => failed = Some(entry.id),
            }
        }
        let mut tx = store.begin().await?;
        tx.record_activity(&entries).await?;
        tx.commit().await?;
    }
    Ok((
        success.context("a success entry")?,
        failed.context("a failed entry")?,
    ))
}

/// The example's senders: its campaign and the canvas's Message step, with their templates.
fn sources(config: &Config) -> anyhow::Result<Vec<(MessageSource, String)>> {
    let campaign = config
        .campaigns
        .first()
        .context("the example has a campaign")?;
    let canvas = config
        .canvases
        .first()
        .context("the example has a canvas")?;
    let step = canvas
        .steps
        .iter()
        .find_map(|step| match step {
            leadwire_core::canvas::Step::Message(message) => Some(message),
            _ => None,
        })
        .context("the canvas has a Message step")?;
    Ok(vec![
        (
            MessageSource::Campaign {
                campaign: campaign.api_id().to_owned(),
            },
            campaign.template.clone(),
        ),
        (
            MessageSource::Canvas {
                canvas: canvas.api_id().to_owned(),
                step: step.name.clone(),
            },
            step.template.clone(),
        ),
    ])
}

/// Entry number `index`: one in 20 a webhook error, one in 50 aborted, the rest delivered.
fn entry(
    index: u32,
    time: DateTime<Utc>,
    source: MessageSource,
    template: &str,
    user: Uuid,
) -> ActivityEntry {
    let activity_type = match index % 100 {
        0..=4 => ActivityType::WebhookError,
        5 | 6 => ActivityType::AbortedMessage,
        _ => ActivityType::Success,
    };
    let (status, body) = match activity_type {
        ActivityType::Success => (201, format!(r#"{{"id":"00Q{index:015}","success":true,"errors":[]}}"#)),
        ActivityType::WebhookError => (400, r#"[{"message":"Required fields are missing: [Company]","errorCode":"REQUIRED_FIELD_MISSING","fields":["Company"]}]"#.to_owned()),
        _ => (0, String::new()),
    };
    let sent = activity_type != ActivityType::AbortedMessage;
    ActivityEntry {
        id: Uuid::now_v7(),
        time,
        activity_type,
        source,
        user_id: user,
        external_id: Some(format!("00Q{index:015}")),
        template: template.to_owned(),
        message: if sent {
            body.clone()
        } else {
            "lead_score is below 10".into()
        },
        attempt: 1,
        status: sent.then_some(status),
        duration_ms: 40 + u64::from(index % 200),
        request: sent.then(|| RecordedRequest {
            method: "POST".into(),
            url: "https://example.my.salesforce.com/services/data/v60.0/sobjects/Lead".into(),
            headers: vec![
                ("Authorization".into(), "Bearer [redacted]".into()),
                ("Content-Type".into(), "application/json".into()),
            ],
            body: Some(format!(
                r#"{{"firstName":"Lead","lastName":"{index}","email":"lead{index}@example.com","company":"Analytical Engines"}}"#
            )),
        }),
        response: sent.then(|| RecordedResponse {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body,
        }),
        send_id: Uuid::new_v4(),
        trigger_properties: None,
        tracking_send_id: None,
    }
}
