//! SQL both databases agree on, and the helpers the backends share: trigger jobs from
//! changes, documents to profiles.

use chrono::{DateTime, Utc};
use leadwire_core::profile::Profile;
use leadwire_core::trigger::{TriggerEvent, TriggerInterest, UserTrigger};
use serde_json::Value;

use crate::error::{StoreError, StoreResult};
use crate::model::{NewEvent, NewPurchase};
use crate::queue::{JobPayload, TRIGGER_QUEUE};
use crate::repository::ProfileWrite;

pub(crate) const PROFILE_BY_EXTERNAL_ID: &str =
    "SELECT document FROM profiles WHERE external_id = $1";
pub(crate) const PROFILE_BY_ID: &str = "SELECT document FROM profiles WHERE id = $1";
pub(crate) const PROFILE_BY_ALIAS: &str = "SELECT p.document FROM profiles p \
     JOIN aliases a ON a.profile_id = p.id WHERE a.alias_label = $1 AND a.alias_name = $2";
pub(crate) const PROFILE_BY_EMAIL: &str = "SELECT document FROM profiles WHERE email = $1 \
     ORDER BY (external_id IS NOT NULL) DESC, updated_at DESC, id DESC LIMIT 1";
pub(crate) const PROFILE_BY_PHONE: &str = "SELECT document FROM profiles WHERE phone = $1 \
     ORDER BY (external_id IS NOT NULL) DESC, updated_at DESC, id DESC LIMIT 1";
pub(crate) const PROFILES_BY_EXTERNAL_IDS: &str =
    "SELECT document FROM profiles WHERE external_id IN (";
pub(crate) const UPSERT_PROFILES: &str =
    "INSERT INTO profiles (id, external_id, email, phone, document, created_at, updated_at) ";
pub(crate) const UPSERT_PROFILES_CONFLICT: &str = " ON CONFLICT (id) DO UPDATE SET \
     external_id = excluded.external_id, email = excluded.email, phone = excluded.phone, \
     document = excluded.document, updated_at = excluded.updated_at";
pub(crate) const INSERT_ALIAS: &str = "INSERT INTO aliases (alias_label, alias_name, profile_id) \
     VALUES ($1, $2, $3) ON CONFLICT (alias_label, alias_name) DO NOTHING";
pub(crate) const ALIAS_OWNER: &str =
    "SELECT profile_id FROM aliases WHERE alias_label = $1 AND alias_name = $2";
pub(crate) const INSERT_EVENTS: &str =
    "INSERT INTO events (id, profile_id, name, time, app_id, properties) ";
pub(crate) const INSERT_PURCHASES: &str = "INSERT INTO purchases \
     (id, profile_id, product_id, currency, price, quantity, time, app_id, properties) ";
pub(crate) const INSERT_JOBS: &str = "INSERT INTO jobs (queue, payload, run_at, created_at) ";
pub(crate) const INSERT_JOB: &str = "INSERT INTO jobs (queue, payload, run_at, created_at) \
     VALUES ($1, $2, $3, $4) RETURNING id";
pub(crate) const DELETE_PROFILE: [&str; 7] = [
    "DELETE FROM aliases WHERE profile_id = $1",
    "DELETE FROM events WHERE profile_id = $1",
    "DELETE FROM purchases WHERE profile_id = $1",
    "DELETE FROM canvas_entries WHERE profile_id = $1",
    "DELETE FROM canvas_entry_marks WHERE profile_id = $1",
    "DELETE FROM campaign_receipts WHERE profile_id = $1",
    "DELETE FROM profiles WHERE id = $1",
];
pub(crate) const EVENTS: &str = "SELECT id, profile_id, name, time, app_id, properties \
     FROM events WHERE profile_id = $1 AND ($2 IS NULL OR name = $2) AND time >= $3 \
     ORDER BY time, id";
pub(crate) const COUNT_EVENTS: &str =
    "SELECT COUNT(*) FROM events WHERE profile_id = $1 AND name = $2 AND time >= $3";
pub(crate) const EVENT_SUMMARIES: &str = "SELECT name, MIN(time), MAX(time), COUNT(*) \
     FROM events WHERE profile_id = $1 AND time >= $2 GROUP BY name ORDER BY name";
pub(crate) const PURCHASE_SUMMARIES: &str = "SELECT product_id, MIN(time), MAX(time), \
     CAST(SUM(quantity) AS BIGINT) FROM purchases WHERE profile_id = $1 AND time >= $2 \
     GROUP BY product_id ORDER BY product_id";
/// The claim statement, with `{lock}` replaced by the backend's row-locking clause.
pub(crate) const CLAIM: &str = "UPDATE jobs SET attempts = attempts + 1, lease_token = $1, \
     lease_until = $2 WHERE id IN (SELECT id FROM jobs WHERE queue = $3 AND failed_at IS NULL \
     AND run_at <= $4 AND (lease_until IS NULL OR lease_until <= $4) ORDER BY run_at, id \
     LIMIT $5{lock}) RETURNING id, queue, payload, attempts, run_at";
pub(crate) const COMPLETE: &str = "DELETE FROM jobs WHERE id = $1 AND lease_token = $2";
pub(crate) const FAIL: &str = "UPDATE jobs SET failed_at = $3, last_error = $4, \
     lease_token = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2";
pub(crate) const RETRY_AT: &str = "UPDATE jobs SET run_at = $3, last_error = $4, \
     lease_token = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2";
pub(crate) const FAIL_UNREADABLE: &str =
    "UPDATE jobs SET failed_at = $2, last_error = $3, lease_token = NULL WHERE id = $1";
pub(crate) const PENDING_JOBS: &str =
    "SELECT COUNT(*) FROM jobs WHERE queue = $1 AND failed_at IS NULL";
pub(crate) const OLDEST_DUE_JOB: &str = "SELECT MIN(run_at) FROM jobs WHERE queue = $1 \
     AND failed_at IS NULL AND run_at <= $2 AND (lease_until IS NULL OR lease_until <= $2)";
pub(crate) const FAILED_JOBS: &str = "SELECT id, queue, attempts, last_error FROM jobs \
     WHERE queue = $1 AND failed_at IS NOT NULL ORDER BY id";

/// Rows per multi-row INSERT, well under both databases' bind-parameter limits.
pub(crate) const ROWS_PER_INSERT: usize = 100;

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

pub(crate) const TRIGGER_QUEUE_NAME: &str = TRIGGER_QUEUE;

pub(crate) fn lease_end(now: DateTime<Utc>, lease: std::time::Duration) -> DateTime<Utc> {
    let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
    now.checked_add_signed(lease)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}
