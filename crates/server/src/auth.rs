//! REST API keys: `Authorization: Bearer <key>`, compared in constant time, with permissions.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::ApiKeyConfig;
use crate::error::ApiError;

/// What a key may do; the names are Braze's (`messages.activity` is accepted for
/// `activity.read`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    #[serde(rename = "users.track")]
    UsersTrack,
    #[serde(rename = "users.export.ids")]
    UsersExportIds,
    #[serde(rename = "users.delete")]
    UsersDelete,
    #[serde(rename = "users.alias.new")]
    UsersAliasNew,
    #[serde(rename = "campaigns.trigger.send")]
    CampaignsTriggerSend,
    #[serde(rename = "canvas.trigger.send")]
    CanvasTriggerSend,
    #[serde(rename = "activity.read", alias = "messages.activity")]
    ActivityRead,
}

impl Permission {
    pub const ALL: [Permission; 7] = [
        Self::UsersTrack,
        Self::UsersExportIds,
        Self::UsersDelete,
        Self::UsersAliasNew,
        Self::CampaignsTriggerSend,
        Self::CanvasTriggerSend,
        Self::ActivityRead,
    ];

    /// The permission a config name stands for; `messages.activity` is accepted for
    /// `activity.read`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "messages.activity" => Some(Self::ActivityRead),
            _ => Self::ALL
                .into_iter()
                .find(|permission| permission.as_str() == name),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::UsersTrack => "users.track",
            Self::UsersExportIds => "users.export.ids",
            Self::UsersDelete => "users.delete",
            Self::UsersAliasNew => "users.alias.new",
            Self::CampaignsTriggerSend => "campaigns.trigger.send",
            Self::CanvasTriggerSend => "canvas.trigger.send",
            Self::ActivityRead => "activity.read",
        }
    }
}

struct Key {
    name: String,
    digest: [u8; 32],
    permissions: Vec<Permission>,
}

/// The configured keys, held as SHA-256 digests so every comparison takes the same time
/// whatever the length of the presented key.
pub struct ApiKeys {
    keys: Vec<Key>,
}

impl ApiKeys {
    pub fn new(configs: &[ApiKeyConfig]) -> Self {
        Self {
            keys: configs
                .iter()
                .map(|config| Key {
                    name: config.name.clone(),
                    digest: Sha256::digest(config.key.as_bytes()).into(),
                    permissions: config.permissions.clone(),
                })
                .collect(),
        }
    }

    /// Checks the `Authorization` header value for `permission`; returns the key's name.
    pub fn authorize(
        &self,
        header: Option<&str>,
        permission: Permission,
    ) -> Result<&str, ApiError> {
        let presented = header
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|key| !key.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for key in &self.keys {
            if bool::from(key.digest.ct_eq(&digest)) {
                found = Some(key);
            }
        }
        let key = found.ok_or(ApiError::Unauthorized)?;
        if key.permissions.contains(&permission) {
            Ok(&key.name)
        } else {
            Err(ApiError::Forbidden { permission })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> ApiKeys {
        ApiKeys::new(&[ApiKeyConfig {
            name: "ingest".into(),
            key: "lw-test-key-0123456789".into(),
            permissions: vec![Permission::UsersTrack],
        }])
    }

    #[test]
    fn bearer_keys_are_checked_with_their_permissions() {
        let keys = keys();
        assert_eq!(
            keys.authorize(
                Some("Bearer lw-test-key-0123456789"),
                Permission::UsersTrack
            )
            .ok(),
            Some("ingest")
        );
        assert!(matches!(
            keys.authorize(None, Permission::UsersTrack),
            Err(ApiError::Unauthorized)
        ));
        assert!(matches!(
            keys.authorize(Some("lw-test-key-0123456789"), Permission::UsersTrack),
            Err(ApiError::Unauthorized)
        ));
        assert!(matches!(
            keys.authorize(
                Some("Bearer \"lw-test-key-0123456789\""),
                Permission::UsersTrack
            ),
            Err(ApiError::Unauthorized)
        ));
        assert!(matches!(
            keys.authorize(
                Some("Bearer lw-test-key-0123456789"),
                Permission::UsersDelete
            ),
            Err(ApiError::Forbidden {
                permission: Permission::UsersDelete
            })
        ));
    }
}
