//! The exported user object of `/users/export/ids` and `/users/export/segment` (reference
//! §8): the fields Braze documents for `fields_to_export`, which of them a request asked
//! for ([`ExportFields`]), and [`user_object`], the one place a profile becomes that object.
//!
//! Every documented field is accepted. A user object omits null and empty fields, as
//! Braze's does, so a field leadwire has nothing for is left out rather than refused:
//! `apps`, `attributed_*`, `devices`, `cards_clicked`, `push_opted_in_at`, `uninstalled_at`
//! (no SDK, apps or cards), and `total_revenue` (no conversion windows). `last_coordinates`
//! comes from `current_location`; `campaigns_received` from the campaign receipts of the
//! configured campaigns, and `canvases_received` from the user's canvas entries, both over
//! the last 90 days as Braze reports them. A webhook campaign has no opens or clicks, so
//! `engaged` is `{}` and `converted` is `false`; leadwire has no variants or control groups,
//! so `in_control` is `false` and the variation fields are left out.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use leadwire_core::canvas::Step;
use leadwire_core::config::Config;
use leadwire_core::profile::Profile;
use leadwire_core::time::times_as_strings;
use leadwire_store::{ActivitySummary, CanvasEntry, Store, StoreError};
use serde_json::{Map, Value, json};

/// Every field Braze documents for `fields_to_export`, in output order.
pub const EXPORT_FIELDS: &[&str] = &[
    "external_id",
    "user_aliases",
    "braze_id",
    "first_name",
    "last_name",
    "email",
    "dob",
    "home_city",
    "country",
    "phone",
    "language",
    "time_zone",
    "last_coordinates",
    "gender",
    "total_revenue",
    "attributed_campaign",
    "attributed_source",
    "attributed_adgroup",
    "attributed_ad",
    "push_subscribe",
    "email_subscribe",
    "push_opted_in_at",
    "custom_attributes",
    "custom_events",
    "purchases",
    "devices",
    "push_tokens",
    "apps",
    "campaigns_received",
    "canvases_received",
    "cards_clicked",
    "created_at",
    "random_bucket",
    "uninstalled_at",
];

/// Braze reports events, purchases and received messages of the last 90 days.
const RECENT_DAYS: i64 = 90;

/// What to export of each user.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportFields {
    /// Names from [`EXPORT_FIELDS`].
    pub fields: Vec<&'static str>,
    /// `custom_attributes_to_export`: when `fields` lacks `custom_attributes`, export these
    /// custom attributes (and no others) as `custom_attributes`.
    pub custom_attributes: Option<Vec<String>>,
}

/// A `fields_to_export` name Braze does not document.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownField {
    /// Its position in the request's list.
    pub index: usize,
    pub name: String,
}

impl UnknownField {
    /// What is wrong and what to use instead.
    pub fn message(&self) -> String {
        format!(
            "`{}` is not an exportable field; use one of {}",
            self.name,
            EXPORT_FIELDS.join(", ")
        )
    }
}

impl ExportFields {
    /// Every field.
    pub fn all() -> Self {
        Self {
            fields: EXPORT_FIELDS.to_vec(),
            custom_attributes: None,
        }
    }

    /// The fields `names` lists (all of them when it is absent); the first name Braze does
    /// not document is the error.
    pub fn named(
        names: Option<&[String]>,
        custom_attributes: Option<Vec<String>>,
    ) -> Result<Self, UnknownField> {
        let Some(names) = names else {
            return Ok(Self {
                custom_attributes,
                ..Self::all()
            });
        };
        let mut fields = Vec::with_capacity(names.len());
        for (index, name) in names.iter().enumerate() {
            match EXPORT_FIELDS.iter().find(|field| **field == name) {
                Some(field) => fields.push(*field),
                None => {
                    let name = name.clone();
                    return Err(UnknownField { index, name });
                }
            }
        }
        Ok(Self {
            fields,
            custom_attributes,
        })
    }

    /// Whether the user object holds `field`: `custom_attributes` also when
    /// `custom_attributes_to_export` names some.
    fn includes(&self, field: &str) -> bool {
        self.fields.contains(&field)
            || (field == "custom_attributes" && self.custom_attributes.is_some())
    }

    /// The custom attributes to export: all of them when `fields` has `custom_attributes`,
    /// else those `custom_attributes_to_export` names.
    fn custom(&self, profile: &Profile) -> Value {
        let all = self.fields.contains(&"custom_attributes");
        let chosen = |key: &String| {
            all || self
                .custom_attributes
                .as_ref()
                .is_some_and(|names| names.contains(key))
        };
        Value::Object(
            profile
                .custom
                .iter()
                .filter(|(key, _)| chosen(key))
                .map(|(key, value)| (key.clone(), times_as_strings(value)))
                .collect(),
        )
    }
}

/// One user object with `fields`; null and empty fields are left out. `config` names the
/// campaigns and canvases (`None` when the node runs none).
pub async fn user_object(
    store: &dyn Store,
    config: Option<&Config>,
    profile: &Profile,
    fields: &ExportFields,
    now: DateTime<Utc>,
) -> Result<Map<String, Value>, StoreError> {
    let since = now - TimeDelta::days(RECENT_DAYS);
    let mut user = Map::new();
    for field in EXPORT_FIELDS.iter().filter(|field| fields.includes(field)) {
        let value = match *field {
            "external_id" => profile.external_id.clone().map(Value::String),
            "user_aliases" => serde_json::to_value(&profile.aliases).ok(),
            "braze_id" => Some(Value::String(profile.id.to_string())),
            "custom_attributes" => Some(fields.custom(profile)),
            "custom_events" => Some(summaries_json(
                store.event_summaries(profile.id, since).await?,
            )),
            "purchases" => Some(summaries_json(
                store.purchase_summaries(profile.id, since).await?,
            )),
            "campaigns_received" => Some(campaigns_received(store, config, profile, since).await?),
            "canvases_received" => Some(canvases_received(store, config, profile, since).await?),
            "last_coordinates" => last_coordinates(profile),
            "created_at" => Some(Value::String(time(profile.created_at))),
            "random_bucket" => {
                let bytes = profile.id.as_bytes();
                Some(Value::from(
                    u16::from_be_bytes([bytes[14], bytes[15]]) % 10_000,
                ))
            }
            "apps"
            | "attributed_campaign"
            | "attributed_source"
            | "attributed_adgroup"
            | "attributed_ad"
            | "devices"
            | "cards_clicked"
            | "push_opted_in_at"
            | "uninstalled_at"
            | "total_revenue" => None,
            standard => profile.standard.get(standard).map(times_as_strings),
        };
        if let Some(value) = value.filter(|value| !is_empty(value)) {
            user.insert((*field).to_owned(), value);
        }
    }
    Ok(user)
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        Value::String(text) => text.is_empty(),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn summaries_json(summaries: Vec<ActivitySummary>) -> Value {
    Value::Array(
        summaries
            .into_iter()
            .map(|summary| {
                json!({
                    "name": summary.name,
                    "first": time(summary.first),
                    "last": time(summary.last),
                    "count": summary.count,
                })
            })
            .collect(),
    )
}

/// `[longitude, latitude]` from `current_location`.
fn last_coordinates(profile: &Profile) -> Option<Value> {
    let location = profile.standard.get("current_location")?;
    let longitude = location.get("longitude")?.as_f64()?;
    let latitude = location.get("latitude")?.as_f64()?;
    Some(json!([longitude, latitude]))
}

/// The configured campaigns the user received since `since`.
async fn campaigns_received(
    store: &dyn Store,
    config: Option<&Config>,
    profile: &Profile,
    since: DateTime<Utc>,
) -> Result<Value, StoreError> {
    let mut received = Vec::new();
    for campaign in config.map_or(&[][..], |config| &config.campaigns[..]) {
        let receipt = store
            .campaign_receipt(profile.id, campaign.api_id())
            .await?;
        let Some(last) = receipt.last_received_at.filter(|last| *last >= since) else {
            continue;
        };
        received.push(json!({
            "name": campaign.name,
            "api_campaign_id": campaign.api_id(),
            "last_received": time(last),
            "engaged": {},
            "converted": false,
        }));
    }
    Ok(Value::Array(received))
}

/// The canvases the user entered since `since`, one object per canvas. A Message step
/// counts as received once the user has passed it (its send was enqueued then).
async fn canvases_received(
    store: &dyn Store,
    config: Option<&Config>,
    profile: &Profile,
    since: DateTime<Utc>,
) -> Result<Value, StoreError> {
    let entries = store.canvas_entries(profile.id, None).await?;
    let mut by_canvas: BTreeMap<&str, Vec<&CanvasEntry>> = BTreeMap::new();
    for entry in entries
        .iter()
        .filter(|entry| entry.state.entered_at >= since)
    {
        by_canvas.entry(entry.canvas()).or_default().push(entry);
    }
    let received = by_canvas
        .into_iter()
        .map(|(api_id, entries)| canvas_received(config, api_id, &entries))
        .collect();
    Ok(Value::Array(received))
}

fn canvas_received(config: Option<&Config>, api_id: &str, entries: &[&CanvasEntry]) -> Value {
    let canvas = config.and_then(|config| {
        config
            .canvases
            .iter()
            .find(|canvas| canvas.api_id() == api_id)
    });
    let is_message = |step: &str| {
        canvas.is_some_and(|canvas| matches!(canvas.step(step), Some(Step::Message(_))))
    };
    let mut steps: BTreeMap<&str, DateTime<Utc>> = BTreeMap::new();
    for entry in entries {
        let state = &entry.state;
        let passed = state
            .history
            .iter()
            .map(|passed| (passed.step.as_str(), passed.arrived_at));
        for (step, at) in passed.filter(|(step, _)| is_message(step)) {
            let last = steps.entry(step).or_insert(at);
            *last = (*last).max(at);
        }
    }
    let mut object = Map::new();
    object.insert(
        "name".into(),
        Value::from(canvas.map_or(api_id, |canvas| canvas.name.as_str())),
    );
    object.insert("api_canvas_id".into(), Value::from(api_id));
    if let Some(last) = steps.values().max() {
        object.insert("last_received_message".into(), Value::from(time(*last)));
    }
    if let Some(last) = entries.iter().map(|entry| entry.state.entered_at).max() {
        object.insert("last_entered".into(), Value::from(time(last)));
    }
    object.insert("in_control".into(), Value::Bool(false));
    if let Some(last) = entries
        .iter()
        .filter_map(|entry| entry.state.exited_at())
        .max()
    {
        object.insert("last_exited".into(), Value::from(time(last)));
    }
    let steps_received: Vec<Value> = steps
        .into_iter()
        .map(|(step, last)| {
            json!({"name": step, "api_canvas_step_id": step, "last_received": time(last)})
        })
        .collect();
    if !steps_received.is_empty() {
        object.insert("steps_received".into(), Value::Array(steps_received));
    }
    Value::Object(object)
}
