//! The attempt stage: one cleared request goes out on the pooled client, and the host's
//! breaker hears how it went.

use std::time::Instant;

use super::http::attempt;
use super::stages::{Attempted, Cleared};
use super::worker::DeliveryWorker;

impl DeliveryWorker {
    /// Sends `cleared`. A name that resolves to an address the policy refuses is not
    /// attempted: the refusal is the error.
    pub(super) async fn attempt(&self, cleared: Cleared) -> Result<Box<Attempted>, String> {
        let result = attempt(&self.client, &self.allowlist, &cleared.request)
            .await
            .map_err(|refusal| refusal.to_string())?;
        self.breakers
            .record(&cleared.host, result.status, Instant::now());
        Ok(Box::new(Attempted {
            request: cleared.request,
            result,
            connection: cleared.connection,
            sent: true,
            at: self.clock.now(),
        }))
    }
}
