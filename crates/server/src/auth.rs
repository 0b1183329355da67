//! REST API keys: `Authorization: Bearer <key>`, compared in constant time, with permissions.
//! The rate-limit guard identifies the key once per request ([`ApiKeys::identify`]) and hands
//! the handler a [`Caller`]; the handler checks the permission ([`ApiKeys::permit`]).

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, header, request::Parts};
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

/// One configured key, by its place in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(usize);

impl KeyId {
    /// The key at `index` of the configuration, for unit tests.
    #[cfg(test)]
    pub(crate) fn for_tests(index: usize) -> Self {
        Self(index)
    }
}

/// The key a request presented, if it is a configured one. Set by the rate-limit guard in the
/// request's extensions; a request that never passed the guard has no key (fails closed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Caller {
    pub key: Option<KeyId>,
}

impl<S: Sync> FromRequestParts<S> for Caller {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(parts
            .extensions
            .get::<Caller>()
            .copied()
            .unwrap_or_default())
    }
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

    /// The configured key an `Authorization` header value presents, if any. Every configured
    /// key is compared, so the time taken does not tell which one matched.
    pub fn identify(&self, header: Option<&str>) -> Option<KeyId> {
        let presented = header
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|key| !key.is_empty())?;
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for (index, key) in self.keys.iter().enumerate() {
            if bool::from(key.digest.ct_eq(&digest)) {
                found = Some(KeyId(index));
            }
        }
        found
    }

    /// [`Self::identify`] on a request's `Authorization` header.
    pub fn identify_in(&self, headers: &HeaderMap) -> Option<KeyId> {
        let header = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        self.identify(header)
    }

    /// Whether `caller` may do `permission`: 401 without a known key, 403 without the
    /// permission; otherwise the key's name.
    pub fn permit(&self, caller: Caller, permission: Permission) -> Result<&str, ApiError> {
        let key = caller
            .key
            .and_then(|KeyId(index)| self.keys.get(index))
            .ok_or(ApiError::Unauthorized)?;
        if key.permissions.contains(&permission) {
            Ok(&key.name)
        } else {
            Err(ApiError::Forbidden { permission })
        }
    }

    /// Checks the `Authorization` header value for `permission`; returns the key's name.
    pub fn authorize(
        &self,
        header: Option<&str>,
        permission: Permission,
    ) -> Result<&str, ApiError> {
        let caller = Caller {
            key: self.identify(header),
        };
        self.permit(caller, permission)
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
