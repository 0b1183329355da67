//! A batch is recorded as its sends finish: while one webhook of a batch hangs, the others'
//! activity entries and job endings are already in the store, and the hanging send keeps
//! its lease (renewed while it runs) until it is recorded. The hanging server answers only
//! when the test releases it, after the test has checked the store.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use chrono::TimeDelta;
use leadwire_engine::delivery::DeliverySettings;
use leadwire_store::Queue;
use tokio::sync::Semaphore;

use crate::harness::{ClockNow, start, start_with};

/// A server whose `/fast` answers at once and whose `/slow` answers only once released.
struct GatedServer {
    base: String,
    /// Requests `/slow` has received.
    arrived: Arc<AtomicUsize>,
    gate: Arc<Semaphore>,
}

impl GatedServer {
    async fn start() -> Self {
        let arrived = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(Semaphore::new(0));
        let (count, hold) = (arrived.clone(), gate.clone());
        let app = Router::new().route("/fast", post(|| async { "{}" })).route(
            "/slow",
            post(move || {
                let (count, hold) = (count.clone(), hold.clone());
                async move {
                    count.fetch_add(1, Ordering::SeqCst);
                    hold.acquire().await.map(|permit| permit.forget()).ok();
                    "{}"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let address = listener.local_addr().expect("bound");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            base: format!("http://{address}"),
            arrived,
            gate,
        }
    }

    /// The "Fast" and "Slow" templates, neither with a connection.
    fn templates(&self) -> String {
        ["Fast", "Slow"]
            .map(|name| {
                let path = name.to_lowercase();
                format!(
                    "[[webhook_templates]]\nname = \"{name}\"\nurl = \"{}/{path}\"\nmethod = \"POST\"\nbody.json = {{ LastName = \"{{{{${{last_name}}}}}}\" }}\n",
                    self.base
                )
            })
            .concat()
    }

    fn release(&self) {
        self.gate.add_permits(1);
    }
}

/// Waits until `check` holds, polling; fails after 30 s (a state that never comes).
async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..3000 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_send_holds_back_no_other_send_of_its_batch() {
    let server = GatedServer::start().await;
    let harness = start(&server.templates(), DeliverySettings::default()).await;
    harness.enqueue_sends(1, "Slow", false).await;
    harness.enqueue_sends(5, "Fast", false).await;
    let worker = harness.worker.clone();
    let batch = tokio::spawn(async move { worker.run_once().await });
    wait_until("the fast sends are recorded", || async {
        harness.successes().await == 5
    })
    .await;
    assert_eq!(
        server.arrived.load(Ordering::SeqCst),
        1,
        "the slow send is out"
    );
    let pending = harness.store.pending_jobs(Queue::Sends).await;
    assert_eq!(pending.ok(), Some(1), "only the slow send's job is left");
    assert!(
        !batch.is_finished(),
        "the batch still waits for its slow send"
    );
    server.release();
    let (count, summary) = batch.await.expect("batch task").expect("batch records");
    assert_eq!(count, 6, "one claim took all six sends");
    assert_eq!(summary.delivered, 6);
    assert_eq!(harness.successes().await, 6);
    let pending = harness.store.pending_jobs(Queue::Sends).await;
    assert_eq!(pending.ok(), Some(0));
    harness.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_send_keeps_its_lease_past_the_first_end() {
    let server = GatedServer::start().await;
    let settings = DeliverySettings::default();
    let lease = settings.lease.as_delta();
    let harness = start_with(&server.templates(), settings, |worker| {
        worker.renew_leases_every(Duration::from_millis(20))
    })
    .await;
    harness.enqueue_sends(1, "Slow", false).await;
    let worker = harness.worker.clone();
    let batch = tokio::spawn(async move { worker.run_once().await });
    wait_until("the slow send is out", || async {
        server.arrived.load(Ordering::SeqCst) == 1
    })
    .await;
    harness.clock.advance(lease + TimeDelta::seconds(1));
    wait_until("the lease is renewed past the first end", || async {
        let now = harness.clock.now_for_tests();
        let due = harness.store.oldest_due_job(Queue::Sends, now).await;
        matches!(due, Ok(None))
    })
    .await;
    let now = harness.clock.now_for_tests();
    let lease_time = lease.to_std().expect("positive lease");
    let taken = harness.store.claim(Queue::Sends, now, lease_time, 10).await;
    assert_eq!(
        taken.map(|jobs| jobs.len()).ok(),
        Some(0),
        "nobody else can claim it"
    );
    server.release();
    let (_, summary) = batch.await.expect("batch task").expect("batch records");
    assert_eq!(summary.delivered, 1);
    assert_eq!(
        summary.leases_lost, 0,
        "the send recorded under its own lease"
    );
    harness.finish().await;
}
