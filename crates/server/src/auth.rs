//! REST API keys: `Authorization: Bearer <key>`, compared in constant time, with permissions.

use leadwire_core::permission::Permission;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::ApiKeyConfig;
use crate::error::ApiError;

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
