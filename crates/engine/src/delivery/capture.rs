//! Response capture: fields of a delivered webhook's JSON response saved into the profile,
//! e.g. the new Lead's `id` into `custom_attribute.salesforce_lead_id`, so a later "Update
//! Lead" can address it. A capture into `external_id` fills it only when the profile has
//! none: as in Braze, an external_id changes only through `/users/external_ids/rename`, so
//! an existing one is kept and the send's activity entry says so.
//! Written through the store's profile write path, in the transaction that records the send,
//! so a captured custom attribute fires its triggers like any other change.

use chrono::{DateTime, Utc};
use leadwire_core::attributes::{AttributeLimits, ProfileChanges, apply_attributes};
use leadwire_core::config::{CaptureTarget, ResponseCapture};
use leadwire_core::track::UserIdentifier;
use leadwire_store::{ProfileWrite, StoreResult, StoreTransaction};
use serde_json::{Map, Value};
use uuid::Uuid;

/// What a delivered response gives the profile.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CaptureWrite {
    pub user_id: Uuid,
    pub external_id: Option<String>,
    pub custom: Map<String, Value>,
}

/// The values `captures` pick from a response body; `None` when there is nothing to save.
pub fn captured(captures: &[ResponseCapture], user_id: Uuid, body: &str) -> Option<CaptureWrite> {
    if captures.is_empty() {
        return None;
    }
    let response: Value = serde_json::from_str(body).ok()?;
    let mut write = CaptureWrite {
        user_id,
        ..CaptureWrite::default()
    };
    for capture in captures {
        let Some(value) = capture.pick(&response) else {
            continue;
        };
        match &capture.save_to {
            CaptureTarget::ExternalId => {
                write.external_id = match value {
                    Value::String(text) if !text.is_empty() => Some(text.clone()),
                    Value::Number(number) => Some(number.to_string()),
                    _ => None,
                };
            }
            CaptureTarget::CustomAttribute(name) => {
                write.custom.insert(name.clone(), value.clone());
            }
        }
    }
    (write.external_id.is_some() || !write.custom.is_empty()).then_some(write)
}

/// Saves a capture; returns a note when part of it could not be saved (the profile is gone,
/// it already has another external_id, the external id belongs to another user, a value is
/// not a valid attribute).
pub async fn save(
    tx: &mut dyn StoreTransaction,
    write: &CaptureWrite,
    limits: &AttributeLimits,
    now: DateTime<Utc>,
) -> StoreResult<Option<String>> {
    let Some(mut profile) = tx
        .find_profile(&UserIdentifier::BrazeId(write.user_id))
        .await?
    else {
        return Ok(Some(format!(
            "response capture skipped: user {} no longer exists",
            write.user_id
        )));
    };
    let mut note = None;
    let mut changed = false;
    if let Some(external_id) = &write.external_id
        && let Some(kept) = profile.external_id.as_deref()
        && kept != external_id
    {
        tracing::info!(user = %profile.id, kept, captured = %external_id, "response capture: the profile keeps its external_id; not renamed");
        note = Some(not_renamed(write, kept, external_id));
    } else if let Some(external_id) = &write.external_id
        && profile.external_id.is_none()
    {
        let owner = tx
            .find_profile(&UserIdentifier::ExternalId(external_id.clone()))
            .await?;
        match owner {
            Some(other) if other.id != profile.id => {
                note = Some(format!(
                    "response capture: external_id {external_id} already belongs to user {}",
                    other.id
                ));
            }
            _ => {
                profile.external_id = Some(external_id.clone());
                profile.updated_at = now;
                changed = true;
            }
        }
    }
    let mut changes = ProfileChanges::default();
    if !write.custom.is_empty() {
        match apply_attributes(&mut profile, &write.custom, limits, now) {
            Ok(applied) => {
                changes = applied;
                changed = true;
            }
            Err(error) => {
                note = Some(format!(
                    "response capture: {}: {}",
                    error.field, error.message
                ));
            }
        }
    }
    if changed {
        tx.save_profiles(&[ProfileWrite {
            profile: &profile,
            changes: &changes,
        }])
        .await?;
    }
    Ok(note)
}

/// Why a captured external id was not saved, and where the value went if the template
/// also captures it into a custom attribute.
fn not_renamed(write: &CaptureWrite, kept: &str, captured: &str) -> String {
    let also = write.custom.iter().find(|(_, value)| match value {
        Value::String(text) => text == captured,
        Value::Number(number) => number.to_string() == captured,
        _ => false,
    });
    let whereto = match also {
        Some((name, _)) => format!("it is kept in custom_attribute.{name}"),
        None => "capture it into a custom attribute, e.g. custom_attribute.salesforce_lead_id"
            .to_owned(),
    };
    format!(
        "response capture: the profile keeps external_id {kept}; {captured} was not saved as \
         external_id (an external_id changes only through /users/external_ids/rename); {whereto}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(field: &str, save_to: CaptureTarget) -> ResponseCapture {
        ResponseCapture {
            field: field.into(),
            save_to,
        }
    }

    #[test]
    fn picks_the_lead_id_and_custom_fields() {
        let captures = [
            capture("id", CaptureTarget::ExternalId),
            capture(
                "record.score",
                CaptureTarget::CustomAttribute("sf_score".into()),
            ),
        ];
        let user = Uuid::new_v4();
        let write = captured(
            &captures,
            user,
            r#"{"id":"00Q5g00000AbCdEAAV","success":true,"record":{"score":7}}"#,
        )
        .expect("something to save");
        assert_eq!(write.external_id.as_deref(), Some("00Q5g00000AbCdEAAV"));
        assert_eq!(write.custom.get("sf_score"), Some(&serde_json::json!(7)));
        assert_eq!(captured(&captures, user, "not json"), None);
        assert_eq!(captured(&captures, user, r#"{"success":true}"#), None);
        assert_eq!(captured(&[], user, r#"{"id":"x"}"#), None);
    }
}
