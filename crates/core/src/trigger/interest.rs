//! Which trigger events are written at all: the "interest" filter.
//!
//! Trigger jobs are consumed by campaign and canvas workers. Writing a job for an attribute
//! or event that no campaign listens to only fills the queue, so the store writes a trigger
//! job only when the interest filter lets it through. The default is to write every trigger;
//! [`Config::trigger_interest`](crate::config::Config::trigger_interest) is what a config's
//! campaigns and canvases listen to. In `[store.triggers]` each list is `"all"`, `"none"`
//! or a list of names:
//!
//! ```toml
//! [store.triggers]
//! email_added = true
//! custom_attributes = ["lead_score", "lifecycle_stage"]
//! custom_events = "all"
//! purchases = "none"           # product ids, or "all"/"none"
//! ```

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::event::TriggerEvent;

/// A set of names: everything, or exactly the listed names (empty = nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "NameFilterRepr", into = "NameFilterRepr")]
pub enum NameFilter {
    All,
    Only(BTreeSet<String>),
}

impl NameFilter {
    pub fn none() -> Self {
        Self::Only(BTreeSet::new())
    }

    pub fn only<I: IntoIterator<Item = S>, S: Into<String>>(names: I) -> Self {
        Self::Only(names.into_iter().map(Into::into).collect())
    }

    pub fn allows(&self, name: &str) -> bool {
        match self {
            Self::All => true,
            Self::Only(names) => names.contains(name),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum NameFilterRepr {
    Keyword(String),
    Names(Vec<String>),
}

impl TryFrom<NameFilterRepr> for NameFilter {
    type Error = String;

    fn try_from(repr: NameFilterRepr) -> Result<Self, Self::Error> {
        match repr {
            NameFilterRepr::Keyword(keyword) if keyword == "all" => Ok(Self::All),
            NameFilterRepr::Keyword(keyword) if keyword == "none" => Ok(Self::none()),
            NameFilterRepr::Keyword(other) => Err(format!(
                "expected \"all\", \"none\" or a list of names, got \"{other}\""
            )),
            NameFilterRepr::Names(names) => Ok(Self::only(names)),
        }
    }
}

impl From<NameFilter> for NameFilterRepr {
    fn from(filter: NameFilter) -> Self {
        match filter {
            NameFilter::All => Self::Keyword("all".into()),
            NameFilter::Only(names) => Self::Names(names.into_iter().collect()),
        }
    }
}

/// Which trigger jobs the store writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TriggerInterest {
    pub email_added: bool,
    pub custom_attributes: NameFilter,
    pub custom_events: NameFilter,
    /// Product ids.
    pub purchases: NameFilter,
}

impl Default for TriggerInterest {
    fn default() -> Self {
        Self::all()
    }
}

impl TriggerInterest {
    /// Every trigger is written.
    pub fn all() -> Self {
        Self {
            email_added: true,
            custom_attributes: NameFilter::All,
            custom_events: NameFilter::All,
            purchases: NameFilter::All,
        }
    }

    /// No trigger is written.
    pub fn none() -> Self {
        Self {
            email_added: false,
            custom_attributes: NameFilter::none(),
            custom_events: NameFilter::none(),
            purchases: NameFilter::none(),
        }
    }

    /// Whether a job is written for `event`.
    pub fn wants(&self, event: &TriggerEvent) -> bool {
        match event {
            TriggerEvent::EmailAdded { .. } => self.email_added,
            TriggerEvent::CustomAttributeChanged { name, .. } => {
                self.custom_attributes.allows(name)
            }
            TriggerEvent::CustomEventPerformed { name, .. } => self.custom_events.allows(name),
            TriggerEvent::PurchaseMade { product_id, .. } => self.purchases.allows(product_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_read_keywords_and_lists() {
        let interest: TriggerInterest = serde_json::from_str(
            r#"{"custom_attributes": ["lead_score"], "custom_events": "none"}"#,
        )
        .expect("valid interest");
        assert!(interest.email_added);
        assert!(interest.custom_attributes.allows("lead_score"));
        assert!(!interest.custom_attributes.allows("other"));
        assert!(!interest.custom_events.allows("signup"));
        assert!(interest.purchases.allows("anything"));
        assert!(interest.wants(&TriggerEvent::EmailAdded {
            email: "a@example.com".into()
        }));
        assert!(!TriggerInterest::none().wants(&TriggerEvent::EmailAdded {
            email: "a@example.com".into()
        }));
        let error = serde_json::from_str::<TriggerInterest>(r#"{"purchases": "some"}"#);
        assert!(error.is_err());
    }
}
