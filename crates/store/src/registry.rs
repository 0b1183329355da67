//! When each campaign and canvas of the config was first seen and last changed. The config
//! file has no dates, so the node records at start-up a fingerprint of each one (any
//! digest of what it is, chosen by the caller) and the store keeps the dates:
//! `created_at` when an api id is first seen, `last_edited` when its fingerprint changes,
//! `archived_at` while it is missing from the config (cleared when it comes back).
//!
//! [`ConfigRegistry`] is a supertrait of [`Store`](crate::Store).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::StoreResult;

/// What a registry row describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigKind {
    Campaign,
    Canvas,
    Segment,
}

impl ConfigKind {
    pub const ALL: [ConfigKind; 3] = [Self::Campaign, Self::Canvas, Self::Segment];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Campaign => "campaign",
            Self::Canvas => "canvas",
            Self::Segment => "segment",
        }
    }
}

/// One campaign, canvas or segment of the loaded config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigItem {
    pub kind: ConfigKind,
    pub api_id: String,
    pub name: String,
    /// Changes exactly when the item's definition does.
    pub fingerprint: String,
}

/// The dates of one campaign or canvas, present in the config or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigVersion {
    pub kind: ConfigKind,
    pub api_id: String,
    /// The name it had when last seen.
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_edited: DateTime<Utc>,
    /// When it was found missing from the config; `None` while it is there.
    pub archived_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait ConfigRegistry {
    /// Records `items`, the whole loaded config, at `now`, in one transaction: a new api id
    /// is created and edited at `now`, one whose fingerprint or name changed is edited at
    /// `now`, one of a kind present before and absent from `items` is archived at `now`.
    async fn register_config(&self, items: &[ConfigItem], now: DateTime<Utc>) -> StoreResult<()>;

    /// Every recorded item of `kind`, archived ones included, in no particular order.
    async fn config_versions(&self, kind: ConfigKind) -> StoreResult<Vec<ConfigVersion>>;
}
