//! API-triggered entry: what `POST /campaigns/trigger/send` and `POST /canvas/trigger/send`
//! do once the request is authorized. Each recipient's `attributes` are applied first (in
//! the same transaction), then the campaign sends (`trigger_properties` →
//! `api_trigger_properties`) or the user enters the canvas (`canvas_entry_properties` and
//! `context`, both read, → `canvas_entry_properties` and `context` in Liquid). The response
//! is `{"dispatch_id": "…", "message": "success"}`.
//!
//! Properties: a recipient's own properties replace the request-wide ones key by key (top
//! level keys; a nested object is replaced whole). For a canvas, when one object carries
//! both `canvas_entry_properties` and `context`, the keys of both apply and `context`, the
//! name on Braze's current page, wins a conflict.
//!
//! Recipients that resolve to the same user (the same `external_user_id`, alias or email)
//! get one message: the first of them decides, with its properties; the later ones'
//! `attributes` are still applied, and they count as skipped.
//!
//! With `broadcast: true` and no `recipients`, the audience is every profile the campaign's
//! or canvas's own audience filters admit: the call enqueues a durable broadcast task and
//! the `broadcast` worker pages through the profiles. An `audience` (a connected audience
//! object, `leadwire_core::filters::audience`) narrows it further: without `recipients` it
//! is a broadcast to the profiles it admits, with them it keeps only those it admits.
//!
//! A campaign's `send_id` is carried to each send and its activity entries (Braze's send
//! tracking); a campaign broadcast without one gets a new one, which the answer names.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use leadwire_core::attributes::{ProfileChanges, apply_attributes};
use leadwire_core::campaign::{Campaign, DeliveryType};
use leadwire_core::canvas::Canvas;
use leadwire_core::config::RequestAudience;
use leadwire_core::filters::Filter;
use leadwire_core::filters::audience::check_connected_audience;
use leadwire_core::profile::Profile;
use leadwire_core::queue::{BroadcastTarget, BroadcastTask};
use leadwire_core::schedule::Schedule;
use leadwire_core::track::{self, UserIdentifier};
use leadwire_store::{ProfileWrite, StoreError, StoreTransaction};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::broadcast;
use super::context::Journeys;
use super::recipient::{enter_canvas, send_campaign};
use super::segments::admits;
use super::send_ids;

/// At most this many recipients per request.
pub const MAX_RECIPIENTS: usize = 50;

/// One recipient of an API trigger.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    pub user: UserIdentifier,
    /// Applied to the profile before the send or entry.
    pub attributes: Option<Map<String, Value>>,
    /// Per-recipient `trigger_properties` (campaign) or `canvas_entry_properties` and
    /// `context` (canvas), replacing the request-wide ones key by key.
    pub properties: Option<Map<String, Value>>,
    /// When false, an unknown external id creates the user (with `attributes`).
    pub send_to_existing_only: bool,
}

/// A parsed `/campaigns/trigger/send` or `/canvas/trigger/send` body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiTrigger {
    /// `campaign_id` or `canvas_id`.
    pub id: String,
    /// Top-level `trigger_properties`, or `canvas_entry_properties` and `context`.
    pub properties: Map<String, Value>,
    /// Empty for a broadcast.
    pub recipients: Vec<Recipient>,
    /// `broadcast: true`, or an `audience` without recipients: every profile in the
    /// campaign's or canvas's audience (and the request's).
    pub broadcast: bool,
    /// A campaign's `send_id`, the Braze send id its sends are tracked under.
    pub send_id: Option<String>,
    /// The request's connected `audience`.
    pub audience: Option<RequestAudience>,
}

/// Why a request is refused, with the message for the response.
#[derive(Debug, thiserror::Error)]
pub enum ApiTriggerError {
    #[error("{0}")]
    BadRequest(String),
    /// No campaign or canvas has this id, or it is not API-triggered.
    #[error("{0}")]
    InvalidId(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a trigger call did.
#[derive(Debug, Clone, PartialEq)]
pub struct Dispatch {
    pub dispatch_id: String,
    /// Recipients that got a send (campaign) or entered (canvas). A broadcast counts none
    /// here: its pages are carried out by the workers after the call.
    pub accepted: usize,
    /// Recipients that were unknown, not eligible or outside the audience.
    pub skipped: usize,
    /// The send id a campaign broadcast is tracked under (the request's, or a new one).
    pub send_id: Option<String>,
}

impl ApiTrigger {
    /// Parses a body; `id_key` is `campaign_id` or `canvas_id`, `properties_key` is
    /// `trigger_properties`, or for a canvas `context` or `canvas_entry_properties` (either
    /// name reads both, see the module's notes).
    pub fn parse(
        body: &Map<String, Value>,
        id_key: &str,
        properties_key: &str,
    ) -> Result<Self, ApiTriggerError> {
        let bad = |message: String| ApiTriggerError::BadRequest(message);
        let id = match body.get(id_key) {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            _ => {
                return Err(bad(format!(
                    "{id_key} is required and must be a non-empty string"
                )));
            }
        };
        let names = property_names(properties_key);
        let properties = properties_of(body, &names)
            .map_err(bad)?
            .unwrap_or_default();
        let send_id = match id_key {
            "campaign_id" => leadwire_core::send_id::from_body(body.get("send_id"))
                .map_err(|error| bad(error.to_string()))?,
            _ => None,
        };
        let audience = match body.get("audience") {
            None | Some(Value::Null) => None,
            Some(audience) => {
                check_connected_audience(audience).map_err(bad)?;
                Some(RequestAudience {
                    segment_id: None,
                    audience: Some(audience.clone()),
                })
            }
        };
        let broadcast = match body.get("broadcast") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(flag)) => *flag,
            Some(_) => return Err(bad("broadcast must be true or false".into())),
        };
        let items = match body.get("recipients") {
            None | Some(Value::Null) if broadcast || audience.is_some() => {
                return Ok(Self {
                    id,
                    properties,
                    recipients: Vec::new(),
                    broadcast: true,
                    send_id,
                    audience,
                });
            }
            None | Some(Value::Null) => {
                return Err(bad(
                    "broadcast must be set to true if recipients is omitted".into(),
                ));
            }
            Some(_) if broadcast => {
                return Err(bad(
                    "recipients cannot be included when broadcast is true".into()
                ));
            }
            Some(Value::Array(items)) => items,
            Some(_) => {
                return Err(bad(
                    "recipients must be an array of up to 50 recipients".into()
                ));
            }
        };
        if items.is_empty() {
            return Err(bad("recipients must name at least one user".into()));
        }
        if items.len() > MAX_RECIPIENTS {
            return Err(bad(format!(
                "{} recipients were sent; at most {MAX_RECIPIENTS} are allowed per request",
                items.len()
            )));
        }
        let recipients = items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                recipient(item, &names).map_err(|e| bad(format!("recipients[{index}].{e}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            id,
            properties,
            recipients,
            broadcast,
            send_id,
            audience,
        })
    }
}

/// The body keys read for `properties_key`, in the order they apply (a later one wins a
/// conflicting key).
fn property_names(properties_key: &str) -> Vec<&str> {
    match properties_key {
        "context" | "canvas_entry_properties" => vec!["canvas_entry_properties", "context"],
        _ => vec![properties_key],
    }
}

/// The properties under `names` in `object`, merged key by key; `None` when none is sent.
fn properties_of(
    object: &Map<String, Value>,
    names: &[&str],
) -> Result<Option<Map<String, Value>>, String> {
    let mut merged: Option<Map<String, Value>> = None;
    for name in names {
        match object.get(*name) {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => merged
                .get_or_insert_with(Map::new)
                .extend(map.iter().map(|(key, value)| (key.clone(), value.clone()))),
            Some(_) => return Err(format!("{name} must be an object")),
        }
    }
    Ok(merged)
}

fn recipient(item: &Value, property_names: &[&str]) -> Result<Recipient, String> {
    let Value::Object(object) = item else {
        return Err(" must be an object".trim_start().to_owned());
    };
    let named = ["external_user_id", "user_alias", "email"]
        .iter()
        .filter(|key| object.get(**key).is_some_and(|v| !v.is_null()))
        .count();
    if named != 1 {
        return Err(
            "external_user_id: give exactly one of external_user_id, user_alias or email".into(),
        );
    }
    let user = match object.get("external_user_id").filter(|id| !id.is_null()) {
        // The same rules as `/users/track`'s `external_id`: a string of 1 to 255
        // characters that the store can hold.
        Some(id) => {
            let lookup = Map::from_iter([("external_id".to_owned(), id.clone())]);
            track::identifier_of(&lookup).map_err(|e| format!("external_user_id: {}", e.message))?
        }
        None => {
            let mut lookup = Map::new();
            for key in ["user_alias", "email"] {
                if let Some(value) = object.get(key) {
                    lookup.insert(key.into(), value.clone());
                }
            }
            track::identifier_of(&lookup).map_err(|e| format!("{}: {}", e.field, e.message))?
        }
    };
    let field = |key: &str| match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map.clone())),
        Some(_) => Err(format!("{key}: must be an object")),
    };
    let send_to_existing_only = match object.get("send_to_existing_only") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => return Err("send_to_existing_only: must be true or false".into()),
    };
    let attributes = field("attributes")?;
    if !send_to_existing_only && attributes.is_none() {
        return Err("attributes: send_to_existing_only = false needs attributes".into());
    }
    Ok(Recipient {
        user,
        attributes,
        properties: properties_of(object, property_names)?,
        send_to_existing_only,
    })
}

/// `POST /campaigns/trigger/send`.
pub async fn trigger_campaign(
    journeys: &Journeys,
    request: &ApiTrigger,
    now: DateTime<Utc>,
) -> Result<Dispatch, ApiTriggerError> {
    trigger(journeys, ApiKind::Campaign, request, now).await
}

/// `POST /canvas/trigger/send`.
pub async fn trigger_canvas(
    journeys: &Journeys,
    request: &ApiTrigger,
    now: DateTime<Utc>,
) -> Result<Dispatch, ApiTriggerError> {
    trigger(journeys, ApiKind::Canvas, request, now).await
}

/// Which trigger endpoint a request names: a campaign or a canvas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKind {
    Campaign,
    Canvas,
}

/// What an API trigger reaches.
#[derive(Clone, Copy)]
pub(crate) enum ApiTarget<'a> {
    Campaign(&'a Campaign),
    Canvas(&'a Canvas),
}

/// The API-triggered campaign or canvas `id` names; `InvalidId` when there is none.
pub(crate) fn target<'a>(
    journeys: &'a Journeys,
    kind: ApiKind,
    id: &str,
) -> Result<ApiTarget<'a>, ApiTriggerError> {
    let config = &journeys.config;
    let found = match kind {
        ApiKind::Campaign => config
            .campaign_by_api_id(id)
            .filter(|campaign| campaign.delivery == DeliveryType::ApiTriggered)
            .map(ApiTarget::Campaign),
        ApiKind::Canvas => config
            .canvas_by_api_id(id)
            .filter(|canvas| canvas.entry_schedule == DeliveryType::ApiTriggered)
            .map(ApiTarget::Canvas),
    };
    found.ok_or_else(|| {
        let (key, what) = match kind {
            ApiKind::Campaign => ("campaign_id", "campaign"),
            ApiKind::Canvas => ("canvas_id", "canvas"),
        };
        ApiTriggerError::InvalidId(format!("{key} `{id}` names no API-triggered {what}"))
    })
}

/// Checks the target, then dispatches in a transaction of its own.
async fn trigger(
    journeys: &Journeys,
    kind: ApiKind,
    request: &ApiTrigger,
    now: DateTime<Utc>,
) -> Result<Dispatch, ApiTriggerError> {
    let target = target(journeys, kind, &request.id)?;
    let mut dispatch = new_dispatch();
    let mut tx = journeys.store.begin().await?;
    dispatch_in(
        journeys,
        tx.as_mut(),
        target,
        request,
        &mut dispatch,
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(dispatch)
}

/// Carries out `request` inside `tx`: a broadcast enqueues its first page, durably (to
/// follow `local`, a local-time schedule, if given); otherwise the campaign sends to, or
/// the canvas enters, each recipient the request's audience admits. Counts what it did
/// into `dispatch`. Scheduled sends call this from their own job's transaction.
pub(crate) async fn dispatch_in(
    journeys: &Journeys,
    tx: &mut dyn StoreTransaction,
    target: ApiTarget<'_>,
    request: &ApiTrigger,
    dispatch: &mut Dispatch,
    local: Option<Schedule>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if request.broadcast {
        let target = match target {
            ApiTarget::Campaign(_) => BroadcastTarget::Campaign,
            ApiTarget::Canvas(_) => BroadcastTarget::Canvas,
        };
        if target == BroadcastTarget::Campaign {
            dispatch.send_id = Some(send_ids::for_broadcast(request.send_id.as_deref()));
        }
        let task = BroadcastTask {
            target,
            id: request.id.clone(),
            dispatch_id: dispatch.dispatch_id.clone(),
            properties: request.properties.clone(),
            after: None,
            message: None,
            tracking_send_id: dispatch.send_id.clone(),
            audience: request.audience.clone().map(Box::new),
            local,
            users: None,
        };
        broadcast::enqueue_page(tx, &task, now).await?;
        tracing::info!(dispatch_id = %dispatch.dispatch_id, id = %request.id, ?target, "broadcast started");
        return Ok(());
    }
    let filters = request
        .audience
        .as_ref()
        .map_or(Ok(Vec::new()), |audience| audience.filters(&journeys.config, now))
        .unwrap_or_else(|error| {
            tracing::warn!(%error, "an API trigger's audience cannot be evaluated; it admits nobody");
            vec![Filter::Any(Vec::new())]
        });
    let mut reached_users = HashSet::new();
    for recipient in &request.recipients {
        let Some(profile) = recipient_profile(journeys, tx, recipient, now).await? else {
            dispatch.skipped += 1;
            continue;
        };
        if !admits(&*journeys.store, &filters, &profile, now).await? {
            dispatch.skipped += 1;
            continue;
        }
        if !reached_users.insert(profile.id) {
            tracing::debug!(user = %profile.id, "recipient named again in one trigger call; deduplicated");
            dispatch.skipped += 1;
            continue;
        }
        let properties = properties(request, recipient);
        let reached = match target {
            ApiTarget::Campaign(campaign) => {
                let tracking = request.send_id.as_deref();
                send_campaign(journeys, tx, campaign, &profile, properties, tracking, now).await?
            }
            ApiTarget::Canvas(canvas) => {
                enter_canvas(journeys, tx, canvas, &profile, properties, now).await?
            }
        };
        if reached {
            dispatch.accepted += 1;
        } else {
            dispatch.skipped += 1;
        }
    }
    Ok(())
}

pub(crate) fn new_dispatch() -> Dispatch {
    Dispatch {
        dispatch_id: Uuid::now_v7().simple().to_string(),
        accepted: 0,
        skipped: 0,
        send_id: None,
    }
}

/// The request-wide properties with the recipient's own replacing them key by key.
fn properties(request: &ApiTrigger, recipient: &Recipient) -> Map<String, Value> {
    let mut properties = request.properties.clone();
    if let Some(own) = &recipient.properties {
        properties.extend(own.iter().map(|(key, value)| (key.clone(), value.clone())));
    }
    properties
}

/// The recipient's profile with their `attributes` applied and written; `None` when the
/// user is unknown (and may not be created) or the attributes are invalid.
async fn recipient_profile(
    journeys: &Journeys,
    tx: &mut dyn StoreTransaction,
    recipient: &Recipient,
    now: DateTime<Utc>,
) -> Result<Option<Profile>, StoreError> {
    let mut profile = match tx.find_profile(&recipient.user).await? {
        Some(profile) => profile,
        None => match (&recipient.user, recipient.send_to_existing_only) {
            (UserIdentifier::ExternalId(id), false) => {
                let mut profile = Profile::new(Uuid::now_v7(), now);
                profile.external_id = Some(id.clone());
                profile
            }
            _ => return Ok(None),
        },
    };
    let created = profile.created_at == now && profile.updated_at == now;
    let changes = match &recipient.attributes {
        Some(attributes) => match apply_attributes(&mut profile, attributes, &journeys.limits, now)
        {
            Ok(changes) => changes,
            Err(error) => {
                tracing::info!(user = %profile.id, %error, "API trigger recipient's attributes are invalid; skipped");
                return Ok(None);
            }
        },
        None => ProfileChanges::default(),
    };
    if created || !changes.is_empty() || recipient.attributes.is_some() {
        tx.save_profiles(&[ProfileWrite {
            profile: &profile,
            changes: &changes,
        }])
        .await?;
    }
    Ok(Some(profile))
}
