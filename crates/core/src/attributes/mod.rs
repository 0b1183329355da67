//! Attribute operations on a [`Profile`](crate::profile::Profile): the pure part of
//! `/users/track` attributes objects.
//!
//! [`apply_attributes`] validates a whole attributes object first and changes the profile only
//! when every field is valid, so a rejected object writes nothing. It returns the
//! [`ProfileChanges`] that trigger detection needs:
//! - `email_added`: the profile's email went from absent (or empty) to present. A change from
//!   one address to another does **not** count (Braze leaves that case unconfirmed);
//! - `custom_changed`: each custom attribute whose value changed, old → new. Setting `null` and
//!   re-sending the same value record nothing; a first value (including on a new user) does.
//!
//! Nested objects merge at every level under `"_merge_objects": true` (module `merge`) and
//! are replaced whole without it; arrays of objects take `$add`, `$remove` and `$update`
//! (module `objects`).
//!
//! Typed times are stored as `{"$time": "2024-05-01T12:30:00.000Z"}` (see [`crate::time`]).

mod apply;
mod keyed;
mod limits;
mod merge;
mod objects;
mod path;
mod sets;
mod standard;
mod value;

pub use apply::{NON_ATTRIBUTE_KEYS, apply_attributes};
pub use limits::{
    MAX_ARRAY_ITEMS_PER_OBJECT, MAX_ARRAY_VALUE_ITEMS, MAX_ATTRIBUTES_PER_OBJECT,
    MAX_NESTED_VALUE_BYTES, MAX_NESTING_DEPTH,
};
pub use standard::email_address;
pub(crate) use value::check_no_nul;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Custom attribute names and string values are at most this many characters.
pub const MAX_STRING_LENGTH: usize = 255;
/// The default and the largest allowed cap on array attributes.
pub const DEFAULT_MAX_ARRAY_LENGTH: usize = 25;
pub const LARGEST_MAX_ARRAY_LENGTH: usize = 100;

/// Limits applied to attribute writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeLimits {
    max_array_length: usize,
}

impl AttributeLimits {
    /// Limits with arrays capped at `max_array_length` elements (1 to 100).
    pub fn new(max_array_length: usize) -> Result<Self, AttributeError> {
        if (1..=LARGEST_MAX_ARRAY_LENGTH).contains(&max_array_length) {
            Ok(Self { max_array_length })
        } else {
            Err(AttributeError::new(
                "max_array_length",
                format!(
                    "must be between 1 and {LARGEST_MAX_ARRAY_LENGTH} (got {max_array_length})"
                ),
            ))
        }
    }

    pub fn max_array_length(&self) -> usize {
        self.max_array_length
    }
}

impl Default for AttributeLimits {
    fn default() -> Self {
        Self {
            max_array_length: DEFAULT_MAX_ARRAY_LENGTH,
        }
    }
}

/// A field that failed validation: `field` is the attribute path (`tags[3]`,
/// `account.plan.$time`), `message` says what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct AttributeError {
    pub field: String,
    pub message: String,
}

impl AttributeError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// One custom attribute that changed value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomAttributeChange {
    pub name: String,
    /// The previous value; `None` when the attribute is new on the profile.
    pub old: Option<Value>,
    pub new: Value,
}

/// What an attributes update changed, for trigger detection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileChanges {
    /// The email address, when the profile had none before this update.
    pub email_added: Option<String>,
    pub custom_changed: Vec<CustomAttributeChange>,
}

impl ProfileChanges {
    pub fn is_empty(&self) -> bool {
        self.email_added.is_none() && self.custom_changed.is_empty()
    }

    /// Folds a later update of the same profile into this one: old values are kept from the
    /// first change, new values from the last; a change that returns to the original value
    /// disappears. Linear in both lists (an index by name, removals compacted at the end).
    pub fn merge(&mut self, later: ProfileChanges) {
        if self.email_added.is_none() {
            self.email_added = later.email_added;
        }
        let mut slots: Vec<Option<CustomAttributeChange>> =
            std::mem::take(&mut self.custom_changed)
                .into_iter()
                .map(Some)
                .collect();
        let mut index: HashMap<String, usize> = slots
            .iter()
            .enumerate()
            .filter_map(|(position, slot)| slot.as_ref().map(|c| (c.name.clone(), position)))
            .collect();
        for change in later.custom_changed {
            let Some(&position) = index.get(&change.name) else {
                index.insert(change.name.clone(), slots.len());
                slots.push(Some(change));
                continue;
            };
            let Some(earlier) = slots.get_mut(position).and_then(Option::as_mut) else {
                continue;
            };
            if earlier.old.as_ref() == Some(&change.new) {
                slots[position] = None;
                index.remove(&change.name);
            } else {
                earlier.new = change.new;
            }
        }
        self.custom_changed = slots.into_iter().flatten().collect();
    }
}
