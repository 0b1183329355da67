//! Console sessions: a random id in an HttpOnly, SameSite=Strict cookie, kept in memory with
//! an idle and an absolute expiry, each with its own CSRF token. A restart logs everyone out.

use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dashmap::DashMap;
use leadwire_core::permission::Permission;
use rand::RngCore;
use subtle::ConstantTimeEq;

use super::error::ConsoleError;
use super::settings::ConsoleSettings;
use crate::state::AppState;

/// The session cookie's name.
pub const COOKIE: &str = "leadwire_console";
/// At most this many live sessions; expired ones are dropped first.
const MAX_SESSIONS: usize = 10_000;

struct Session {
    key_name: String,
    can_write: bool,
    csrf: String,
    created: Instant,
    last_seen: Instant,
}

/// The live sessions.
pub struct Sessions {
    live: DashMap<String, Session>,
    idle: Duration,
    lifetime: Duration,
}

/// A logged-in operator: the key they logged in with and what it allows.
#[derive(Debug, Clone)]
pub struct Operator {
    pub key_name: String,
    pub can_write: bool,
    /// The session's CSRF token, for the forms of the page being rendered.
    pub csrf: String,
    session: String,
}

impl Operator {
    /// `Forbidden` unless the key has `console.write`.
    pub fn require_write(&self) -> Result<(), ConsoleError> {
        if self.can_write {
            Ok(())
        } else {
            Err(ConsoleError::Forbidden(Permission::ConsoleWrite))
        }
    }
}

/// A random token of 32 bytes, URL-safe base64.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Equal strings, compared in constant time.
pub fn same_token(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl Sessions {
    pub fn new(settings: &ConsoleSettings) -> Self {
        Self {
            live: DashMap::new(),
            idle: Duration::from_secs(settings.session_idle.seconds()),
            lifetime: Duration::from_secs(settings.session_lifetime.seconds()),
        }
    }

    /// Starts a session for `key_name`; returns its id.
    pub fn start(&self, key_name: &str, can_write: bool) -> Result<String, ConsoleError> {
        let now = Instant::now();
        if self.live.len() >= MAX_SESSIONS {
            self.live.retain(|_, session| self.alive(session, now));
        }
        if self.live.len() >= MAX_SESSIONS {
            return Err(ConsoleError::Unavailable(
                "too many console sessions are open; log out of some or wait for them to expire"
                    .into(),
            ));
        }
        let id = random_token();
        self.live.insert(
            id.clone(),
            Session {
                key_name: key_name.to_owned(),
                can_write,
                csrf: random_token(),
                created: now,
                last_seen: now,
            },
        );
        Ok(id)
    }

    /// The operator of session `id`, if it is live; marks it used.
    pub fn operator(&self, id: &str) -> Option<Operator> {
        let now = Instant::now();
        let mut session = self.live.get_mut(id)?;
        if !self.alive(&session, now) {
            drop(session);
            self.live.remove(id);
            return None;
        }
        session.last_seen = now;
        Some(Operator {
            key_name: session.key_name.clone(),
            can_write: session.can_write,
            csrf: session.csrf.clone(),
            session: id.to_owned(),
        })
    }

    /// Ends the operator's session.
    pub fn end(&self, operator: &Operator) {
        self.live.remove(&operator.session);
    }

    fn alive(&self, session: &Session, now: Instant) -> bool {
        now.duration_since(session.last_seen) < self.idle
            && now.duration_since(session.created) < self.lifetime
    }
}

/// The session cookie for `id`: HttpOnly, SameSite=Strict, scoped to the console, and Secure
/// when the request came over HTTPS (as a TLS proxy in front says).
pub fn cookie(id: String, headers: &HeaderMap) -> Cookie<'static> {
    Cookie::build((COOKIE, id))
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(over_https(headers))
        .build()
}

/// Whether a proxy in front says the request came over HTTPS. Only ever used to add
/// `Secure` to a cookie, so trusting it costs nothing.
pub fn over_https(headers: &HeaderMap) -> bool {
    let proto = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_ascii_lowercase)
    };
    proto("x-forwarded-proto").is_some_and(|value| value.starts_with("https"))
        || proto(header::FORWARDED.as_str()).is_some_and(|value| value.contains("proto=https"))
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        let console = state
            .console
            .as_ref()
            .ok_or_else(|| ConsoleError::NotFound("console".into()))?;
        let jar = CookieJar::from_headers(&parts.headers);
        let operator = jar
            .get(COOKIE)
            .and_then(|cookie| console.sessions.operator(cookie.value()));
        operator.ok_or_else(|| ConsoleError::LoginRequired {
            next: parts
                .uri
                .path_and_query()
                .map(|path| path.as_str().to_owned())
                .unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadwire_core::time::Interval;

    #[test]
    fn sessions_expire_when_idle_and_end_on_logout() {
        let settings = ConsoleSettings {
            session_idle: Interval::from_seconds(1),
            ..ConsoleSettings::default()
        };
        let sessions = Sessions::new(&settings);
        let id = sessions.start("operators", true).expect("room");
        let operator = sessions.operator(&id).expect("live");
        assert_eq!(operator.key_name, "operators");
        assert!(sessions.operator("not-a-session").is_none());
        sessions.end(&operator);
        assert!(sessions.operator(&id).is_none());
        let id = sessions.start("operators", false).expect("room");
        std::thread::sleep(Duration::from_millis(1100));
        assert!(sessions.operator(&id).is_none(), "idle past a second");
    }

    #[test]
    fn tokens_are_random_and_compared_whole() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &b));
        assert!(!same_token(&a, &a[..42]));
    }
}
