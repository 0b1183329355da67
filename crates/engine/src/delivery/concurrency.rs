//! How many requests may be in flight at once per connection (or per host, for a template
//! that names no connection). Salesforce allows 25 concurrent long-running requests per
//! org, so one connection's sends queue for a permit here rather than overrun it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// One semaphore per connection key, made on first use.
#[derive(Debug)]
pub struct InFlightLimits {
    per_connection: usize,
    semaphores: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl InFlightLimits {
    /// `per_connection` permits for every key (at least one).
    pub fn new(per_connection: usize) -> Self {
        Self {
            per_connection: per_connection.max(1),
            semaphores: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a permit of `connection`; the request it covers holds it until dropped.
    /// (`None` only if the semaphore were closed, which nothing does.)
    pub async fn acquire(&self, connection: &str) -> Option<OwnedSemaphorePermit> {
        let semaphore = {
            let mut semaphores = self
                .semaphores
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            semaphores
                .entry(connection.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_connection)))
                .clone()
        };
        semaphore.acquire_owned().await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_connection_has_its_own_permits() {
        let limits = InFlightLimits::new(2);
        let first = limits.acquire("sales-cloud").await;
        let _second = limits.acquire("sales-cloud").await;
        let third = limits.acquire("sales-cloud");
        tokio::pin!(third);
        assert!(
            futures::poll!(third.as_mut()).is_pending(),
            "a third request on the connection waits"
        );
        let _other = limits.acquire("other-org").await;
        drop(first);
        let _third = third.await;
    }
}
