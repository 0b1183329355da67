//! Braze's `prioritization`: an ordered list of filters that picks one profile among those
//! sharing an email address or phone number (`/users/identify`, `/users/merge`).

use std::fmt;

use serde_json::Value;

use crate::profile::Profile;

/// One filter of a `prioritization` array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Profiles with an external_id.
    Identified,
    /// Profiles without one.
    Unidentified,
    MostRecentlyUpdated,
    LeastRecentlyUpdated,
}

impl Priority {
    pub const NAMES: [&'static str; 4] = [
        "identified",
        "unidentified",
        "most_recently_updated",
        "least_recently_updated",
    ];

    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "identified" => Self::Identified,
            "unidentified" => Self::Unidentified,
            "most_recently_updated" => Self::MostRecentlyUpdated,
            "least_recently_updated" => Self::LeastRecentlyUpdated,
            _ => return None,
        })
    }
}

/// A parsed `prioritization` array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prioritization(Vec<Priority>);

/// Why a `prioritization` value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrioritizationError {
    Missing,
    NotAnArray,
    Empty,
    Unknown { index: usize },
    BothIdentifiedAndUnidentified,
}

impl fmt::Display for PrioritizationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = Priority::NAMES.join(", ");
        match self {
            Self::Missing => write!(f, "prioritization is required: an array of {names}"),
            Self::NotAnArray => write!(f, "prioritization must be an array of {names}"),
            Self::Empty => write!(f, "prioritization must hold at least one of {names}"),
            Self::Unknown { index } => {
                write!(f, "prioritization[{index}] must be one of {names}")
            }
            Self::BothIdentifiedAndUnidentified => write!(
                f,
                "prioritization may hold only one of identified and unidentified"
            ),
        }
    }
}

impl Prioritization {
    /// Reads a request's `prioritization` value (`None`: the field is absent).
    pub fn parse(value: Option<&Value>) -> Result<Self, PrioritizationError> {
        let items = match value {
            None | Some(Value::Null) => return Err(PrioritizationError::Missing),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(PrioritizationError::NotAnArray),
        };
        if items.is_empty() {
            return Err(PrioritizationError::Empty);
        }
        let priorities = items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                item.as_str()
                    .and_then(Priority::parse)
                    .ok_or(PrioritizationError::Unknown { index })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if priorities.contains(&Priority::Identified)
            && priorities.contains(&Priority::Unidentified)
        {
            return Err(PrioritizationError::BothIdentifiedAndUnidentified);
        }
        Ok(Self(priorities))
    }

    /// The one profile the filters leave, applied in order; `None` when none matches or more
    /// than one is left (Braze then merges nothing).
    pub fn pick<'a>(&self, candidates: &'a [Profile]) -> Option<&'a Profile> {
        let mut left: Vec<&Profile> = candidates.iter().collect();
        for priority in &self.0 {
            match priority {
                Priority::Identified => left.retain(|p| p.external_id.is_some()),
                Priority::Unidentified => left.retain(|p| p.external_id.is_none()),
                Priority::MostRecentlyUpdated => {
                    left = left
                        .into_iter()
                        .max_by_key(|p| (p.updated_at, p.id))
                        .into_iter()
                        .collect();
                }
                Priority::LeastRecentlyUpdated => {
                    left = left
                        .into_iter()
                        .min_by_key(|p| (p.updated_at, p.id))
                        .into_iter()
                        .collect();
                }
            }
        }
        match left.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }
}
