//! The values a send's stages hand on: what every stage reads ([`Sending`]), a request the
//! policies let through ([`Cleared`]) or held back ([`Blocked`]), and an attempt with its
//! result ([`Attempted`]). The render stage's value is [`super::render::Rendered`], the
//! verdict stage's [`super::verdict::Verdict`].

use std::sync::Arc;

use std::time::Duration;

use chrono::{DateTime, Utc};
use leadwire_core::profile::Profile;
use leadwire_core::queue::SendTask;

use super::http::{AttemptResult, OutboundRequest};
use super::templates::CompiledTemplate;

/// What every stage of one send reads.
pub struct Sending<'a> {
    pub task: &'a SendTask,
    /// The config's template, or the send's own webhook compiled for it.
    pub compiled: Arc<CompiledTemplate>,
    pub profile: &'a Profile,
    /// The try this is, from 1.
    pub attempt: u32,
    /// What the job's previous ending noted (a retry's error, a deferral's reason).
    pub last_note: Option<&'a str>,
}

/// A request the policies let through.
#[derive(Debug)]
pub struct Cleared {
    pub request: OutboundRequest,
    /// The breaker's key.
    pub host: String,
    /// The template's connection, or the host when it names none: the back-off key and
    /// the label of the connection's metrics.
    pub connection: String,
    /// The in-flight caps the request waits for: the template's connection (when it names
    /// one) and the host ([`super::concurrency`]).
    pub in_flight: InFlightKeys,
}

/// Which connection and host a request counts against in [`super::concurrency`].
#[derive(Debug)]
pub struct InFlightKeys {
    pub connection: Option<String>,
    pub host: String,
}

/// Why a request does not go out now.
#[derive(Debug)]
pub enum Blocked {
    /// The URL policy refused the URL.
    Refused(String),
    /// The connection rests after `REQUEST_LIMIT_EXCEEDED`.
    Resting {
        until: DateTime<Utc>,
        reason: String,
    },
    /// The connection is at its API budget floor and the send is not urgent; `noted` when
    /// an earlier deferral of this send already wrote its activity entry.
    OverBudget {
        connection: String,
        until: DateTime<Utc>,
        reason: String,
        noted: bool,
    },
    /// The breaker pauses the host: an attempt recorded as 598 without going out, and how
    /// long the pause lasts.
    Paused {
        attempted: Box<Attempted>,
        wait: Duration,
    },
}

/// A request and what came of it.
#[derive(Debug)]
pub struct Attempted {
    pub request: OutboundRequest,
    pub result: AttemptResult,
    /// The template's connection, or the host (see [`Cleared::connection`]).
    pub connection: String,
    /// Whether the request went out: false for a host paused by the breaker.
    pub sent: bool,
    /// When the attempt ended.
    pub at: DateTime<Utc>,
}

impl Attempted {
    /// The token of the request's `Authorization: Bearer …` (or `OAuth …`) header.
    pub fn bearer_token(&self) -> Option<&str> {
        let value = self
            .request
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
            .map(|(_, value)| value.trim())?;
        let (scheme, token) = value.split_once(' ')?;
        (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("oauth"))
            .then(|| token.trim())
    }
}
