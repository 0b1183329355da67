//! In-process wake-ups for the queue loops. A transaction that enqueued jobs notifies their
//! queues once it commits, so an idle worker of this process claims them at once instead of
//! at its next poll. Workers of other nodes sharing a PostgreSQL database still find the
//! jobs by polling; the signal only shortens the wait, it never carries a job.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use leadwire_core::queue::Queue;
use tokio::sync::Notify;

/// One [`Notify`] per queue, created on first use.
#[derive(Debug, Default)]
pub struct JobSignals {
    queues: Mutex<HashMap<Queue, Arc<Notify>>>,
}

impl JobSignals {
    /// The signal of `queue`: await `notified()` on it to wake when jobs are committed there.
    /// A notification sent while nobody waits is kept for the next waiter.
    pub fn waiter(&self, queue: Queue) -> Arc<Notify> {
        let mut queues = match self.queues.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        queues.entry(queue).or_default().clone()
    }

    /// Wakes one waiter of `queue` (or the next one to wait).
    pub fn notify(&self, queue: Queue) {
        self.waiter(queue).notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_notification_reaches_a_later_waiter_of_its_queue_only() {
        let signals = JobSignals::default();
        signals.notify(Queue::Sends);
        let sends = signals.waiter(Queue::Sends);
        sends.notified().await;
        let triggers = signals.waiter(Queue::Triggers);
        let woken = tokio::time::timeout(std::time::Duration::from_millis(20), triggers.notified());
        assert!(
            woken.await.is_err(),
            "another queue's signal does not wake it"
        );
    }
}
