//! `POST /messages/send` with a `webhook` messaging object: the webhook comes in the
//! request, and each recipient gets a send task carrying it, which delivery renders (Liquid,
//! per user), sends under the URL policy and logs like any send. A broadcast goes to every
//! profile, a page at a time, through the broadcast worker; `segment_id` and `audience`
//! (see `leadwire_core::filters::audience`) narrow it, or, with users named, keep those
//! users only if they pass.
//!
//! With `campaign_id`, the campaign must be an API campaign (`delivery = "api"`) and the
//! webhook's `message_variation_id` its variant, the name of its `template`; the sends are
//! logged under the campaign. Without one, they are logged as `api` sends. leadwire sends
//! webhooks only: any other channel is refused.
//!
//! `send_id` (with `campaign_id` only) tracks the sends for `/sends/data_series`: each send
//! task and its activity entries carry it. A broadcast of a campaign without one gets a
//! new one ([`send_ids`]), which the answer names.

use chrono::{DateTime, Utc};
use leadwire_core::activity::MessageSource;
use leadwire_core::campaign::DeliveryType;
use leadwire_core::config::Config;
use leadwire_core::config::RequestAudience;
use leadwire_core::queue::{AdHocMessage, AdHocWebhook, BroadcastTarget, BroadcastTask, SendTask};
use leadwire_core::schedule::Schedule;
use leadwire_core::track::UserIdentifier;
use leadwire_store::{NewTask, Store, StoreError, StoreTransaction};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::segments::admits;
use super::send_ids;

/// What the sends of a message without `campaign_id` are logged as (their template).
pub const AD_HOC_TEMPLATE: &str = "messages/send";

/// At most this many `external_user_ids` and `user_aliases` together.
pub const MAX_USERS: usize = 50;

/// A parsed `/messages/send` body.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageSend {
    pub users: Vec<UserIdentifier>,
    /// No users named: every profile (that `audience` admits), through the broadcast worker.
    pub broadcast: bool,
    /// `segment_id` and `audience`.
    pub audience: Option<RequestAudience>,
    pub message: AdHocMessage,
    /// `send_id`: Braze's send id the sends are tracked under (with a `campaign_id` only).
    pub send_id: Option<String>,
}

/// Why a request is refused.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// One of Braze's named 400s (`message`), with what to fix.
    #[error("{message}: {detail}")]
    Fatal {
        message: &'static str,
        detail: String,
    },
    /// More than [`MAX_USERS`] users.
    #[error("{0} users")]
    TooManyUsers(usize),
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a send call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub dispatch_id: String,
    /// Users a send was enqueued for (none counted for a broadcast).
    pub accepted: usize,
    /// Users not found.
    pub skipped: usize,
    /// The send id a campaign broadcast is tracked under (the request's, or a new one).
    pub send_id: Option<String>,
}

fn bad(message: impl Into<String>) -> MessageError {
    MessageError::BadRequest(message.into())
}

fn fatal(message: &'static str, detail: impl Into<String>) -> MessageError {
    MessageError::Fatal {
        message,
        detail: detail.into(),
    }
}

impl MessageSend {
    /// Parses a body against the config's campaigns and segments at `now`.
    pub fn parse(
        body: &Map<String, Value>,
        config: &Config,
        now: DateTime<Utc>,
    ) -> Result<Self, MessageError> {
        let users = users(body)?;
        let broadcast = match body.get("broadcast") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(flag)) => *flag,
            Some(_) => return Err(bad("broadcast must be true or false")),
        };
        let audience = RequestAudience::parse(body, config, now).map_err(bad)?;
        if broadcast && !users.is_empty() {
            return Err(bad(
                "broadcast: true sends to everyone; leave out external_user_ids and user_aliases, or set broadcast to false",
            ));
        }
        if !broadcast && users.is_empty() && audience.is_none() {
            return Err(fatal(
                "No Recipients",
                "name the users in external_user_ids or user_aliases, a segment in segment_id, an audience, or set \"broadcast\": true to send to everyone",
            ));
        }
        let broadcast = users.is_empty();
        let webhook = webhook_object(body)?;
        let message = message(body, webhook, config)?;
        let send_id = leadwire_core::send_id::from_body(body.get("send_id"))
            .map_err(|error| bad(error.to_string()))?;
        if send_id.is_some() && body.get("campaign_id").is_none_or(Value::is_null) {
            return Err(bad(
                "send_id counts the sends of a campaign; give its campaign_id too",
            ));
        }
        Ok(Self {
            users,
            broadcast,
            audience,
            message,
            send_id,
        })
    }
}

/// `external_user_ids` and `user_aliases`, at most [`MAX_USERS`] together.
fn users(body: &Map<String, Value>) -> Result<Vec<UserIdentifier>, MessageError> {
    let list = |key: &str| match body.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(_) => Err(bad(format!("{key} must be an array"))),
    };
    let ids = list("external_user_ids")?;
    let aliases = list("user_aliases")?;
    if ids.len() + aliases.len() > MAX_USERS {
        return Err(MessageError::TooManyUsers(ids.len() + aliases.len()));
    }
    let mut users = Vec::new();
    for (index, id) in ids.into_iter().enumerate() {
        let lookup = Map::from_iter([("external_id".to_owned(), id)]);
        let user = leadwire_core::track::identifier_of(&lookup)
            .map_err(|e| bad(format!("external_user_ids[{index}]: {}", e.message)))?;
        users.push(user);
    }
    for (index, alias) in aliases.into_iter().enumerate() {
        let alias = leadwire_core::track::alias(&alias)
            .map_err(|e| bad(format!("user_aliases[{index}]: {}", e.message)))?;
        users.push(UserIdentifier::Alias(alias));
    }
    Ok(users)
}

/// `messages.webhook`, refusing every other channel.
fn webhook_object(body: &Map<String, Value>) -> Result<&Map<String, Value>, MessageError> {
    let messages = match body.get("messages") {
        Some(Value::Object(messages)) if !messages.is_empty() => messages,
        None | Some(Value::Null) | Some(Value::Object(_)) => {
            return Err(fatal(
                "No message to send",
                "give messages.webhook: {\"url\", \"request_method\", \"request_headers\", \"body\"}",
            ));
        }
        Some(_) => return Err(bad("messages must be an object such as {\"webhook\": {…}}")),
    };
    if let Some(other) = messages.keys().find(|key| key.as_str() != "webhook") {
        return Err(bad(format!(
            "messages.{other}: leadwire sends webhooks only; send the message as messages.webhook"
        )));
    }
    match messages.get("webhook") {
        Some(Value::Object(webhook)) => Ok(webhook),
        _ => Err(bad(
            "messages.webhook must be an object with url and request_method",
        )),
    }
}

/// The webhook, the campaign it is counted under, and its variant.
fn message(
    body: &Map<String, Value>,
    webhook: &Map<String, Value>,
    config: &Config,
) -> Result<AdHocMessage, MessageError> {
    let webhook_fields = parse_webhook(webhook)?;
    let (template, source) = match body.get("campaign_id") {
        None | Some(Value::Null) => (AD_HOC_TEMPLATE.to_owned(), MessageSource::Api),
        Some(Value::String(id)) => {
            let campaign = config
                .campaign_by_api_id(id)
                .filter(|campaign| campaign.delivery == DeliveryType::Api)
                .ok_or_else(|| {
                    fatal(
                        "Invalid Campaign ID",
                        format!("campaign_id `{id}` names no API campaign (a campaign with delivery = \"api\")"),
                    )
                })?;
            match webhook.get("message_variation_id") {
                None | Some(Value::Null) => {
                    return Err(fatal(
                        "Message Variant Unspecified",
                        format!(
                            "messages.webhook.message_variation_id: give the variant of campaign `{id}`, `{}`",
                            campaign.template
                        ),
                    ));
                }
                Some(Value::String(variant)) if *variant == campaign.template => {}
                Some(variant) => {
                    return Err(fatal(
                        "Invalid Message Variant",
                        format!(
                            "messages.webhook.message_variation_id {variant} is not a variant of campaign `{id}`; its webhook variant is `{}`",
                            campaign.template
                        ),
                    ));
                }
            }
            let source = MessageSource::Campaign {
                campaign: campaign.name.clone(),
            };
            (campaign.template.clone(), source)
        }
        Some(_) => return Err(fatal("Invalid Campaign ID", "campaign_id must be a string")),
    };
    Ok(AdHocMessage {
        webhook: webhook_fields,
        template,
        source,
    })
}

/// `url`, `request_method`, `request_headers` and `body` (a string, or an object sent as
/// its JSON). Without a `Content-Type` header, a JSON body is sent as `application/json`.
fn parse_webhook(webhook: &Map<String, Value>) -> Result<AdHocWebhook, MessageError> {
    let url = match webhook.get("url") {
        Some(Value::String(url)) if !url.trim().is_empty() => url.clone(),
        _ => {
            return Err(bad(
                "messages.webhook.url is required: the URL to send to (Liquid allowed)",
            ));
        }
    };
    let method = match webhook.get("request_method") {
        Some(Value::String(method))
            if ["POST", "PUT", "PATCH", "DELETE", "GET"].contains(&method.as_str()) =>
        {
            method.clone()
        }
        _ => {
            return Err(bad(
                "messages.webhook.request_method is required: POST, PUT, PATCH, DELETE or GET",
            ));
        }
    };
    let mut headers = Vec::new();
    match webhook.get("request_headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, value) in map {
                let Value::String(value) = value else {
                    return Err(bad(format!(
                        "messages.webhook.request_headers.{name} must be a string"
                    )));
                };
                headers.push((name.clone(), value.clone()));
            }
        }
        Some(_) => {
            return Err(bad(
                "messages.webhook.request_headers must be an object of header names to strings",
            ));
        }
    }
    let (body, is_json) = match webhook.get("body") {
        None | Some(Value::Null) => (None, false),
        Some(Value::String(text)) => {
            let is_json = serde_json::from_str::<Value>(text).is_ok_and(|v| v.is_object());
            (Some(text.clone()), is_json)
        }
        Some(object @ Value::Object(_)) => (Some(object.to_string()), true),
        Some(_) => {
            return Err(bad(
                "messages.webhook.body must be a string or a JSON object",
            ));
        }
    };
    let has_content_type = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    if is_json && !has_content_type {
        headers.push(("Content-Type".into(), "application/json".into()));
    }
    Ok(AdHocWebhook {
        url,
        method,
        headers,
        body,
    })
}

/// Enqueues the message for each user found (in one transaction), or the first page of its
/// broadcast.
pub async fn send(
    store: &dyn Store,
    config: &Config,
    request: &MessageSend,
    now: DateTime<Utc>,
) -> Result<Sent, MessageError> {
    let mut sent = Sent {
        dispatch_id: Uuid::now_v7().simple().to_string(),
        accepted: 0,
        skipped: 0,
        send_id: None,
    };
    let mut tx = store.begin().await?;
    send_in(store, config, tx.as_mut(), request, &mut sent, None, now)
        .await
        .map_err(|error| match error {
            SendError::Store(error) => MessageError::Store(error),
            SendError::Audience(message) => bad(message),
        })?;
    tx.commit().await?;
    Ok(sent)
}

/// Why [`send_in`] sent nothing.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendError {
    /// The request's `segment_id` or `audience` no longer fits the config.
    #[error("{0}")]
    Audience(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Carries out `request` inside `tx`, counting into `sent`: the first page of its broadcast
/// (following `local`, a local-time schedule, if given), or a send to each named user its
/// audience admits. Scheduled messages call this from their own job's transaction.
pub(crate) async fn send_in(
    store: &dyn Store,
    config: &Config,
    tx: &mut dyn StoreTransaction,
    request: &MessageSend,
    sent: &mut Sent,
    local: Option<Schedule>,
    now: DateTime<Utc>,
) -> Result<(), SendError> {
    if request.broadcast {
        let tracked = matches!(request.message.source, MessageSource::Campaign { .. });
        sent.send_id = tracked.then(|| send_ids::for_broadcast(request.send_id.as_deref()));
        let task = BroadcastTask {
            target: BroadcastTarget::Message,
            id: request.message.template.clone(),
            dispatch_id: sent.dispatch_id.clone(),
            properties: Map::new(),
            after: None,
            message: Some(request.message.clone()),
            tracking_send_id: sent.send_id.clone(),
            audience: request.audience.clone().map(Box::new),
            local,
            users: None,
        };
        tx.enqueue(&NewTask::new(task, now)).await?;
        return Ok(());
    }
    let filters = match &request.audience {
        Some(audience) => audience.filters(config, now).map_err(SendError::Audience)?,
        None => Vec::new(),
    };
    for user in &request.users {
        let profile = tx.find_profile(user).await?;
        let admitted = match &profile {
            Some(profile) => admits(store, &filters, profile, now).await?,
            None => false,
        };
        match profile {
            Some(profile) if admitted => {
                let tracking = request.send_id.as_deref();
                enqueue_send(tx, &request.message, tracking, profile.id, now).await?;
                sent.accepted += 1;
            }
            _ => sent.skipped += 1,
        }
    }
    Ok(())
}

/// Enqueues `message` for the user `user_id`, due now, tracked under `tracking_send_id`.
pub(crate) async fn enqueue_send(
    tx: &mut dyn StoreTransaction,
    message: &AdHocMessage,
    tracking_send_id: Option<&str>,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let task = SendTask {
        send_id: Uuid::now_v7(),
        tracking_send_id: tracking_send_id.map(str::to_owned),
        user_id,
        template: message.template.clone(),
        source: message.source.clone(),
        created_at: now,
        event_properties: None,
        api_trigger_properties: None,
        canvas_entry_properties: None,
        follow_up: None,
        webhook: Some(Box::new(message.webhook.clone())),
    };
    tx.enqueue(&NewTask::new(task, now)).await?;
    Ok(())
}
