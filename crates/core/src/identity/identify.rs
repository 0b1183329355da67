//! What `/users/identify` does with one anonymous profile (found by alias, email or phone)
//! and the external_id it is identified with.

use crate::profile::{Profile, UserAlias};

/// The outcome for one identification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentifyAction {
    /// No user has the external_id: the anonymous profile takes it, nothing is merged.
    AssignExternalId,
    /// Fold the anonymous profile into the identified one and remove it.
    Merge,
    /// Nothing to do: the profile is already that user, is identified as someone else, or
    /// the identified user already holds an alias with the same label.
    Skip,
}

/// The action for `anonymous` (found by `alias` when an alias named it) and `identified`,
/// the profile that has the external_id, if any.
pub fn identify_action(
    anonymous: &Profile,
    alias: Option<&UserAlias>,
    identified: Option<&Profile>,
) -> IdentifyAction {
    if anonymous.external_id.is_some() {
        return IdentifyAction::Skip;
    }
    let Some(identified) = identified else {
        return IdentifyAction::AssignExternalId;
    };
    if identified.id == anonymous.id {
        return IdentifyAction::Skip;
    }
    let label_taken = alias.is_some_and(|alias| {
        identified
            .aliases
            .iter()
            .any(|held| held.alias_label == alias.alias_label)
    });
    if label_taken {
        IdentifyAction::Skip
    } else {
        IdentifyAction::Merge
    }
}
