//! The attempt stage: one cleared request goes out on the pooled client, and the host's
//! breaker hears how it went; a send of a batched template goes out as one record of an
//! sObject Collections call instead (`collection`).

use std::time::Instant;

use super::http::attempt;
use super::stages::{Attempted, Cleared, Sending};
use super::verdict::Verdict;
use super::worker::DeliveryWorker;

impl DeliveryWorker {
    /// Sends `cleared` alone, or in a Collections call when its template is batched; a
    /// request that cannot go out is its verdict.
    pub(super) async fn attempt_stage(
        &self,
        sending: &Sending<'_>,
        cleared: Cleared,
    ) -> Result<Box<Attempted>, Verdict> {
        let template = &sending.compiled.template;
        match template.batch {
            Some(batch) => {
                self.attempt_in_collection(&template.name, batch, cleared)
                    .await
            }
            None => self.attempt(cleared).await.map_err(Verdict::Refused),
        }
    }

    /// Sends `cleared`. A name that resolves to an address the policy refuses is not
    /// attempted: the refusal is the error.
    /// It waits first for an in-flight permit of its connection
    /// (`delivery.max_in_flight_per_connection`), then of its host
    /// (`delivery.max_in_flight_per_host`).
    pub(super) async fn attempt(&self, cleared: Cleared) -> Result<Box<Attempted>, String> {
        let keys = &cleared.in_flight;
        let permit = self
            .in_flight
            .acquire_send(keys.connection.as_deref(), &keys.host)
            .await;
        let result = attempt(&self.client, &self.allowlist, &cleared.request)
            .await
            .map_err(|refusal| refusal.to_string())?;
        drop(permit);
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
