//! The server log of delivery: each send that ends without being delivered writes exactly
//! one INFO line (template, user, outcome, status, a short reason), and no secret.

#[allow(dead_code)]
#[path = "delivery/harness.rs"]
mod harness;

use std::io::Write;
use std::sync::{Arc, Mutex};

use harness::{BAD_LOOKUP, CLIENT_SECRET, FAILING, TEMPLATES, UPSERT, one_minute_retries, start};

/// A log sink the test can read.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("sink").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("sink")).into_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_send_that_is_not_delivered_writes_one_info_line() {
    let harness = start(
        &format!("{UPSERT}{FAILING}{BAD_LOOKUP}"),
        one_minute_retries(),
    )
    .await;
    let users = harness.enqueue_sends(1, "Upsert Lead", false).await;
    let mut failed = Vec::new();
    for template in TEMPLATES {
        failed.push((template, harness.enqueue_sends(1, template, false).await[0]));
    }
    let sink = Lines::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // Global, in a test binary of its own: a scoped subscriber can miss events whose
    // callsites another test registered first.
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    harness.worker.drain().await.expect("drain");

    let text = sink.text();
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("send not delivered"))
        .collect();
    assert_eq!(lines.len(), TEMPLATES.len(), "{text}");
    for (template, user) in failed {
        let line = lines
            .iter()
            .find(|line| line.contains(&format!("template={template} ")))
            .unwrap_or_else(|| panic!("a line for {template} in {text}"));
        assert!(line.contains(" INFO "), "{line}");
        assert!(line.contains(&format!("user={user}")), "{line}");
        assert!(
            line.contains("job=fail") || line.contains("job=complete"),
            "{line}"
        );
    }
    let expect = |template: &str, fields: &[&str]| {
        let line = lines
            .iter()
            .find(|line| line.contains(&format!("template={template} ")))
            .expect("a line");
        for field in fields {
            assert!(line.contains(field), "{field} in {line}");
        }
    };
    expect(
        "No Company",
        &[
            "outcome=webhook_error",
            "status=400",
            "REQUIRED_FIELD_MISSING",
        ],
    );
    expect(
        "Placeholder",
        &["outcome=webhook_error", "status=none", "is not a valid URL"],
    );
    expect(
        "Bad Lookup",
        &["outcome=connected_content_error", "status=none"],
    );
    expect(
        "Not Yet",
        &["outcome=aborted_message", "score below threshold"],
    );
    assert!(
        !text.contains(&users[0].to_string()),
        "a delivered send is quiet"
    );
    let tokens = harness.emulator.stats().by_token;
    for secret in tokens.keys().map(String::as_str).chain([CLIENT_SECRET]) {
        assert!(!text.contains(secret), "a secret is in the log:\n{text}");
    }
    harness.finish().await;
}
