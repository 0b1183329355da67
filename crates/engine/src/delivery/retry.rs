//! What to do after an attempt: classify the response, then compute when to try again.
//!
//! The classification follows Braze's webhook rules (reference §2): 2xx is delivered; 408,
//! 429 and 5xx are retried; 3xx and every other 4xx are not. leadwire adds two Salesforce
//! cases: a `401 INVALID_SESSION_ID` refreshes the token and retries once at once, and a
//! `403 REQUEST_LIMIT_EXCEEDED` is retried after the connection has backed off.

use std::time::Duration;

use rand::Rng;

/// Statuses leadwire records for failures that never produced an HTTP response, as Braze does.
pub mod synthetic_status {
    /// The host is paused by the circuit breaker.
    pub const HOST_PAUSED: u16 = 598;
    /// The connection failed or timed out.
    pub const CONNECTION_ERROR: u16 = 599;
}

/// How one response is classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classification {
    /// 2xx: the message is delivered.
    Delivered,
    /// A transient failure: try again later, following the schedule.
    Retry,
    /// Salesforce refused the token: refresh it and try again now, once.
    RefreshTokenAndRetry,
    /// Salesforce's API request limit is used up: back the connection off, then retry.
    BackOffConnection,
    /// A permanent failure (3xx, other 4xx): record it and stop.
    GiveUp,
}

/// Classify an attempt's outcome from its status and, for Salesforce's special cases, the
/// error code in its body.
pub fn classify(status: u16, body: &str) -> Classification {
    match status {
        200..=299 => Classification::Delivered,
        401 if salesforce_error_code(body) == Some("INVALID_SESSION_ID") => {
            Classification::RefreshTokenAndRetry
        }
        403 if salesforce_error_code(body) == Some("REQUEST_LIMIT_EXCEEDED") => {
            Classification::BackOffConnection
        }
        408 | 429 | 500..=599 => Classification::Retry,
        _ => Classification::GiveUp,
    }
}

/// The `errorCode` of the first entry of a Salesforce error array, if the body is one.
pub fn salesforce_error_code(body: &str) -> Option<&str> {
    // Cheap pre-check so ordinary bodies are not parsed.
    if !body.contains("errorCode") {
        return None;
    }
    let start = body.find("\"errorCode\"")?;
    let rest = &body[start + "\"errorCode\"".len()..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    Some(&rest[..end])
}

/// When retries happen: a delay per retry, jitter, and how far `Retry-After` is believed.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrySchedule {
    /// The delay before retry N is `delays[N - 1]`; its length is the number of retries.
    pub delays: Vec<Duration>,
    /// Each delay is moved at random by up to this share, up or down (0.2 = ±20 %).
    pub jitter: f64,
    /// The longest `Retry-After` that is honoured; a longer one is cut to this.
    pub max_retry_after: Duration,
}

impl RetrySchedule {
    /// Braze's shape: 5 retries spread over about 30 minutes, with ±20 % jitter.
    pub fn braze_default() -> Self {
        Self {
            delays: [30, 60, 180, 480, 1080]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            jitter: 0.2,
            max_retry_after: Duration::from_secs(3600),
        }
    }

    /// How many retries follow the first attempt.
    pub fn max_retries(&self) -> usize {
        self.delays.len()
    }

    /// The delay before retry number `retry` (1-based), or `None` when retries are used up.
    /// A `Retry-After` from the response lengthens the delay, up to `max_retry_after`; it
    /// never shortens the schedule's own delay.
    pub fn delay_before(
        &self,
        retry: usize,
        retry_after: Option<Duration>,
        rng: &mut impl Rng,
    ) -> Option<Duration> {
        let base = *self.delays.get(retry.checked_sub(1)?)?;
        let jitter = self.jitter.clamp(0.0, 1.0);
        let factor = if jitter > 0.0 {
            rng.random_range(1.0 - jitter..=1.0 + jitter)
        } else {
            1.0
        };
        let scheduled = base.mul_f64(factor);
        let asked = retry_after.map_or(Duration::ZERO, |asked| asked.min(self.max_retry_after));
        Some(scheduled.max(asked))
    }
}

/// Parse a `Retry-After` value: delay-seconds or an HTTP date (RFC 2822 form).
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - now;
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn statuses_are_classified_as_braze_does() {
        assert_eq!(classify(200, ""), Classification::Delivered);
        assert_eq!(classify(201, ""), Classification::Delivered);
        assert_eq!(classify(204, ""), Classification::Delivered);
        assert_eq!(classify(301, ""), Classification::GiveUp);
        assert_eq!(classify(400, ""), Classification::GiveUp);
        assert_eq!(classify(401, ""), Classification::GiveUp);
        assert_eq!(classify(404, ""), Classification::GiveUp);
        assert_eq!(classify(408, ""), Classification::Retry);
        assert_eq!(classify(429, ""), Classification::Retry);
        assert_eq!(classify(500, ""), Classification::Retry);
        assert_eq!(classify(503, ""), Classification::Retry);
        assert_eq!(classify(598, ""), Classification::Retry);
        assert_eq!(classify(599, ""), Classification::Retry);
    }

    #[test]
    fn salesforce_session_and_limit_errors_have_their_own_verdicts() {
        let expired =
            r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#;
        assert_eq!(classify(401, expired), Classification::RefreshTokenAndRetry);
        let limit =
            r#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#;
        assert_eq!(classify(403, limit), Classification::BackOffConnection);
        let forbidden = r#"[{"message":"no","errorCode":"INSUFFICIENT_ACCESS"}]"#;
        assert_eq!(classify(403, forbidden), Classification::GiveUp);
    }

    #[test]
    fn error_code_is_read_from_the_first_entry() {
        assert_eq!(
            salesforce_error_code(r#"[{"message":"x","errorCode" : "NOT_FOUND"}]"#),
            Some("NOT_FOUND")
        );
        assert_eq!(salesforce_error_code("plain text"), None);
        assert_eq!(salesforce_error_code(r#"{"errorCode": 5}"#), None);
    }

    #[test]
    fn default_schedule_is_five_retries_over_about_thirty_minutes() {
        let schedule = RetrySchedule::braze_default();
        assert_eq!(schedule.max_retries(), 5);
        let total: Duration = schedule.delays.iter().sum();
        assert!(total >= Duration::from_secs(25 * 60) && total <= Duration::from_secs(35 * 60));
    }

    #[test]
    fn jitter_stays_within_its_share() {
        let schedule = RetrySchedule::braze_default();
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..1000 {
            let delay = schedule
                .delay_before(1, None, &mut rng)
                .expect("first retry");
            assert!(delay >= Duration::from_secs(24) && delay <= Duration::from_secs(36));
        }
    }

    #[test]
    fn retries_run_out() {
        let schedule = RetrySchedule::braze_default();
        let mut rng = StdRng::seed_from_u64(1);
        assert!(schedule.delay_before(5, None, &mut rng).is_some());
        assert_eq!(schedule.delay_before(6, None, &mut rng), None);
        assert_eq!(schedule.delay_before(0, None, &mut rng), None);
    }

    #[test]
    fn retry_after_lengthens_but_is_capped() {
        let schedule = RetrySchedule {
            delays: vec![Duration::from_secs(10)],
            jitter: 0.0,
            max_retry_after: Duration::from_secs(120),
        };
        let mut rng = StdRng::seed_from_u64(1);
        let short = schedule.delay_before(1, Some(Duration::from_secs(2)), &mut rng);
        assert_eq!(short, Some(Duration::from_secs(10)));
        let longer = schedule.delay_before(1, Some(Duration::from_secs(60)), &mut rng);
        assert_eq!(longer, Some(Duration::from_secs(60)));
        let huge = schedule.delay_before(1, Some(Duration::from_secs(86_400)), &mut rng);
        assert_eq!(huge, Some(Duration::from_secs(120)));
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-29T10:00:00Z")
            .expect("valid date")
            .with_timezone(&chrono::Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Sun, 29 Nov 2026 10:01:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sun, 29 Nov 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
