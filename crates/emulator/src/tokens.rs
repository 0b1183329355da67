//! Issued access tokens: creation, lookup with expiry, revocation and forced expiry.

use std::collections::HashMap;
use std::sync::RwLock;

use chrono::{DateTime, Duration, Utc};

use super::config::{ORG_ID, random_token};

/// What the emulator remembers about one access token.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenInfo {
    pub client_id: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
}

impl TokenInfo {
    /// Whether the token can still be used at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        !self.revoked && now < self.expires_at
    }
}

/// All tokens issued since start (or the last reset).
#[derive(Debug, Default)]
pub struct TokenStore {
    tokens: RwLock<HashMap<String, TokenInfo>>,
}

impl TokenStore {
    /// Issues a token shaped like Salesforce's: `<15-char org id>!<opaque>`.
    pub fn issue(&self, client_id: &str, now: DateTime<Utc>, ttl: Duration) -> (String, TokenInfo) {
        let token = format!("{}!{}", &ORG_ID[..15], random_token(96));
        let info = TokenInfo {
            client_id: client_id.to_owned(),
            issued_at: now,
            expires_at: now + ttl,
            revoked: false,
        };
        self.write().insert(token.clone(), info.clone());
        (token, info)
    }

    /// The token's record if it is known and active at `now`.
    pub fn active(&self, token: &str, now: DateTime<Utc>) -> Option<TokenInfo> {
        self.read()
            .get(token)
            .filter(|info| info.is_active(now))
            .cloned()
    }

    /// Revokes a token; false when it was never issued.
    pub fn revoke(&self, token: &str) -> bool {
        match self.write().get_mut(token) {
            Some(info) => {
                info.revoked = true;
                true
            }
            None => false,
        }
    }

    /// Makes every token issued so far expire at `now`; returns how many were active.
    pub fn expire_all(&self, now: DateTime<Utc>) -> usize {
        let mut tokens = self.write();
        let mut expired = 0;
        for info in tokens.values_mut() {
            if info.is_active(now) {
                expired += 1;
            }
            info.expires_at = info.expires_at.min(now);
        }
        expired
    }

    /// Forgets every token.
    pub fn clear(&self) {
        self.write().clear();
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, TokenInfo>> {
        self.tokens
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, TokenInfo>> {
        self.tokens
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
