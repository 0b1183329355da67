//! SQL both databases agree on, and the helpers the backends share: trigger jobs from
//! changes, documents to profiles.

use leadwire_core::profile::Profile;
use leadwire_core::trigger::{TriggerEvent, TriggerInterest, UserTrigger};
use serde_json::Value;

use crate::error::{StoreError, StoreResult};
use crate::model::{NewEvent, NewPurchase};
use leadwire_core::queue::Queue;

use crate::queue::JobPayload;
use crate::repository::ProfileWrite;

pub(crate) const PROFILES_BY_EXTERNAL_IDS: &str =
    "SELECT document FROM profiles WHERE external_id IN (";
pub(crate) const UPSERT_PROFILES: &str =
    "INSERT INTO profiles (id, external_id, email, phone, document, created_at, updated_at) ";
pub(crate) const UPSERT_PROFILES_CONFLICT: &str = " ON CONFLICT (id) DO UPDATE SET \
     external_id = excluded.external_id, email = excluded.email, phone = excluded.phone, \
     document = excluded.document, updated_at = excluded.updated_at";

/// Rows per multi-row INSERT, well under both databases' bind-parameter limits.
pub(crate) const ROWS_PER_INSERT: usize = 100;

/// Whether no stored text can equal `text`: a PostgreSQL text column cannot hold a NUL
/// (and core refuses one in every value stored in a column), so a lookup by such a value
/// finds nothing on either database, answered without asking PostgreSQL, which would
/// refuse the query.
pub(crate) fn matches_nothing(text: &str) -> bool {
    text.contains('\0')
}

pub(crate) fn decode_profile(document: &str) -> StoreResult<Profile> {
    serde_json::from_str(document).map_err(|source| StoreError::Corrupt {
        what: "profile",
        source,
    })
}

pub(crate) fn encode<T: serde::Serialize>(what: &'static str, value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|source| StoreError::Corrupt { what, source })
}

pub(crate) fn lower_email(profile: &Profile) -> Option<String> {
    profile.email().map(str::to_lowercase)
}

pub(crate) fn phone(profile: &Profile) -> Option<String> {
    match profile.standard.get("phone") {
        Some(Value::String(phone)) if !phone.is_empty() => Some(phone.clone()),
        _ => None,
    }
}

/// A trigger job ready to insert: queue, serialised payload.
pub(crate) struct TriggerRow {
    pub payload: String,
}

/// One profile row ready to upsert: the columns of `profiles`.
pub(crate) struct ProfileRow {
    pub id: String,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub document: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The rows to upsert for `writes`, one per profile id (the last write of an id wins), in
/// id order: a group of requests may write a profile more than once, and PostgreSQL then
/// locks the rows in one order whatever the writer.
pub(crate) fn profile_rows(writes: &[ProfileWrite<'_>]) -> StoreResult<Vec<ProfileRow>> {
    let mut last: std::collections::BTreeMap<uuid::Uuid, &Profile> = Default::default();
    for write in writes {
        last.insert(write.profile.id, write.profile);
    }
    last.into_values()
        .map(|profile| {
            Ok(ProfileRow {
                id: profile.id.to_string(),
                external_id: profile.external_id.clone(),
                email: lower_email(profile),
                phone: phone(profile),
                document: encode("profile", profile)?,
                created_at: crate::model::to_micros(profile.created_at),
                updated_at: crate::model::to_micros(profile.updated_at),
            })
        })
        .collect()
}

fn trigger_row(payload: &JobPayload) -> StoreResult<TriggerRow> {
    Ok(TriggerRow {
        payload: encode("job payload", payload)?,
    })
}

/// One trigger job per profile write that causes any trigger: a `Trigger` payload for a
/// single trigger, a `Triggers` payload for several, so a write costs one job row however
/// many attributes it changes.
pub(crate) fn profile_triggers(
    writes: &[ProfileWrite<'_>],
    interest: &TriggerInterest,
) -> StoreResult<Vec<TriggerRow>> {
    let mut rows = Vec::new();
    for write in writes {
        let mut triggers = write_triggers(write, interest);
        let payload = match triggers.len() {
            0 => continue,
            1 => JobPayload::Trigger(triggers.remove(0)),
            _ => JobPayload::Triggers(triggers),
        };
        rows.push(trigger_row(&payload)?);
    }
    Ok(rows)
}

/// The triggers of one profile write the interest asks for: email added first, then the
/// custom attribute changes in their order.
fn write_triggers(write: &ProfileWrite<'_>, interest: &TriggerInterest) -> Vec<UserTrigger> {
    TriggerEvent::from_changes(write.changes)
        .into_iter()
        .filter(|event| interest.wants(event))
        .map(|event| UserTrigger {
            user_id: write.profile.id,
            event,
        })
        .collect()
}

pub(crate) fn event_triggers(
    events: &[NewEvent],
    interest: &TriggerInterest,
) -> StoreResult<Vec<TriggerRow>> {
    let wanted = events
        .iter()
        .filter(|event| interest.custom_events.allows(&event.name));
    let triggers = wanted.map(|event| UserTrigger {
        user_id: event.user_id,
        event: TriggerEvent::CustomEventPerformed {
            name: event.name.clone(),
            properties: event.properties.clone(),
            time: event.time,
        },
    });
    single_trigger_rows(triggers)
}

pub(crate) fn purchase_triggers(
    purchases: &[NewPurchase],
    interest: &TriggerInterest,
) -> StoreResult<Vec<TriggerRow>> {
    let wanted = purchases
        .iter()
        .filter(|purchase| interest.purchases.allows(&purchase.product_id));
    let triggers = wanted.map(|purchase| UserTrigger {
        user_id: purchase.user_id,
        event: TriggerEvent::PurchaseMade {
            product_id: purchase.product_id.clone(),
            currency: purchase.currency.clone(),
            price: purchase.price,
            quantity: purchase.quantity,
            properties: purchase.properties.clone(),
            time: purchase.time,
        },
    });
    single_trigger_rows(triggers)
}

/// One job per trigger.
fn single_trigger_rows(
    triggers: impl Iterator<Item = UserTrigger>,
) -> StoreResult<Vec<TriggerRow>> {
    triggers
        .map(|trigger| trigger_row(&JobPayload::Trigger(trigger)))
        .collect()
}

pub(crate) const TRIGGER_QUEUE_NAME: &str = Queue::Triggers.as_str();
