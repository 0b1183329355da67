//! The identifier objects of `/users/merge` and the email and phone objects of
//! `/users/identify`: `{"external_id"}`, `{"user_alias"}`, `{"email", "prioritization"}` or
//! `{"phone", "prioritization"}`, and finding the one profile each names.

use leadwire_core::identity::Prioritization;
use leadwire_core::profile::Profile;
use leadwire_core::track::UserIdentifier;
use leadwire_store::{StoreResult, StoreTransaction};
use serde_json::Value;

use super::{alias_at, identifier_at};
use crate::error::ErrorItem;

/// A user named by a request: one identifier, or an email or phone several profiles may
/// share, with the `prioritization` that picks one of them.
#[derive(Debug, Clone)]
pub(crate) enum Named {
    One(UserIdentifier),
    Shared(UserIdentifier, Prioritization),
}

/// Reads the identifier object at `field`: exactly one of `external_id`, `user_alias`,
/// `email` or `phone` (the last two with `prioritization`).
pub(crate) fn named_at(value: &Value, field: &str) -> Result<Named, ErrorItem> {
    let Some(object) = value.as_object() else {
        return Err(ErrorItem::new(format!("{field} must be an object")).field(field));
    };
    let kinds: Vec<&str> = ["external_id", "user_alias", "email", "phone"]
        .into_iter()
        .filter(|key| object.contains_key(*key))
        .collect();
    let [kind] = kinds.as_slice() else {
        return Err(ErrorItem::new(format!(
            "{field} must hold exactly one of external_id, user_alias, email and phone"
        ))
        .field(field));
    };
    let at = format!("{field}.{kind}");
    match *kind {
        "external_id" => identifier_at(object.get("external_id"), &at)
            .map(|id| Named::One(UserIdentifier::ExternalId(id))),
        "user_alias" => alias_at(&object["user_alias"], &at)
            .map(|alias| Named::One(UserIdentifier::Alias(alias))),
        _ => shared_at(object.get(*kind), object.get("prioritization"), kind, field),
    }
}

/// An email (`kind` "email") or phone with its prioritization, at `field`.
pub(crate) fn shared_at(
    value: Option<&Value>,
    prioritization: Option<&Value>,
    kind: &str,
    field: &str,
) -> Result<Named, ErrorItem> {
    let text = identifier_at(value, &format!("{field}.{kind}"))?;
    let priorities = Prioritization::parse(prioritization).map_err(|error| {
        ErrorItem::new(format!("{field}.{error}")).field(format!("{field}.prioritization"))
    })?;
    let identifier = if kind == "email" {
        UserIdentifier::Email(text)
    } else {
        UserIdentifier::Phone(text)
    };
    Ok(Named::Shared(identifier, priorities))
}

/// The one profile `named` names, if any: for a shared email or phone, the one its
/// prioritization leaves (none when several are left).
pub(crate) async fn find_named(
    tx: &mut dyn StoreTransaction,
    named: &Named,
) -> StoreResult<Option<Profile>> {
    match named {
        Named::One(identifier) => tx.find_profile(identifier).await,
        Named::Shared(identifier, priorities) => {
            let candidates = tx.find_profiles(identifier).await?;
            Ok(priorities.pick(&candidates).cloned())
        }
    }
}
