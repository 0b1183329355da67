//! Prometheus metrics: sends, retries, aborts, queue depth, latency, token fetches,
//! Salesforce API usage, the API budget floor, sObject Collections calls and Bulk API 2.0
//! backfill jobs ([`bulk`], read from the store). `/metrics` serves [`Metrics::encode`]
//! after [`Metrics::refresh_bulk_jobs`].
//!
//! Label values are bounded: a send's `outcome` is one of the activity log's entry types
//! (`success`, `webhook_error`, `connected_content_error`, `aborted_message`), status
//! classes are a fixed set, and `connection` is a connection's name from config (or, for a
//! call no configured connection owns, its host). No user data, URL or secret becomes a
//! label.

mod bulk;

use leadwire_core::activity::ActivityType;
use leadwire_store::{Store, StoreResult};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct SendLabels {
    outcome: &'static str,
    status_class: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct QueueLabels {
    queue: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ConnectionLabels {
    connection: String,
}

/// Every metric leadwire exports, registered once and shared.
pub struct Metrics {
    registry: Registry,
    sends: Family<SendLabels, Counter>,
    retries: Counter,
    aborts: Counter,
    token_fetches: Family<ConnectionLabels, Counter>,
    queue_depth: Family<QueueLabels, Gauge>,
    oldest_job_age_seconds: Family<QueueLabels, Gauge>,
    send_latency: Histogram,
    salesforce_api_used: Family<ConnectionLabels, Gauge>,
    salesforce_api_limit: Family<ConnectionLabels, Gauge>,
    salesforce_api_remaining: Family<ConnectionLabels, Gauge>,
    salesforce_api_floor: Family<ConnectionLabels, Gauge>,
    salesforce_budget_paused: Family<ConnectionLabels, Gauge>,
    salesforce_budget_deferred: Family<ConnectionLabels, Counter>,
    collection_calls: Family<ConnectionLabels, Counter>,
    collection_records: Family<ConnectionLabels, Counter>,
    bulk_jobs: bulk::BulkGauges,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("leadwire");
        let sends = Family::<SendLabels, Counter>::default();
        registry.register(
            "webhook_sends",
            "Activity-log entries of webhook sends, by entry type (outcome) and status class",
            sends.clone(),
        );
        let retries = Counter::default();
        registry.register(
            "webhook_retries",
            "Sends scheduled for another attempt (a retry, a token refresh or a connection rest)",
            retries.clone(),
        );
        let aborts = Counter::default();
        registry.register(
            "message_aborts",
            "Messages aborted by abort_message or a render error",
            aborts.clone(),
        );
        let token_fetches = Family::<ConnectionLabels, Counter>::default();
        registry.register(
            "salesforce_token_fetches",
            "OAuth token requests per Salesforce connection",
            token_fetches.clone(),
        );
        let queue_depth = Family::<QueueLabels, Gauge>::default();
        registry.register(
            "queue_depth",
            "Jobs waiting in the durable queue (ready, delayed or leased), per queue",
            queue_depth.clone(),
        );
        let oldest_job_age_seconds = Family::<QueueLabels, Gauge>::default();
        registry.register(
            "queue_oldest_job_age_seconds",
            "Seconds the oldest due, unclaimed job has waited past its run time, per queue",
            oldest_job_age_seconds.clone(),
        );
        let send_latency = Histogram::new([
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 90.0,
        ]);
        registry.register(
            "webhook_send_duration_seconds",
            "Duration of webhook HTTP attempts that went out",
            send_latency.clone(),
        );
        let salesforce_api_used = Family::<ConnectionLabels, Gauge>::default();
        registry.register(
            "salesforce_api_usage_used",
            "API requests used today, from Sforce-Limit-Info",
            salesforce_api_used.clone(),
        );
        let salesforce_api_limit = Family::<ConnectionLabels, Gauge>::default();
        registry.register(
            "salesforce_api_usage_limit",
            "Daily API request limit, from Sforce-Limit-Info",
            salesforce_api_limit.clone(),
        );
        let salesforce_api_remaining = Family::<ConnectionLabels, Gauge>::default();
        registry.register(
            "salesforce_api_remaining",
            "API requests left today, from the newest of Sforce-Limit-Info and /limits",
            salesforce_api_remaining.clone(),
        );
        let salesforce_api_floor = Family::<ConnectionLabels, Gauge>::default();
        registry.register(
            "salesforce_api_floor",
            "API requests kept for urgent sends (api_floor of the newest reading's limit)",
            salesforce_api_floor.clone(),
        );
        let salesforce_budget_paused = Family::<ConnectionLabels, Gauge>::default();
        registry.register(
            "salesforce_budget_paused",
            "1 while a connection is at its API budget floor and its non-urgent sends wait",
            salesforce_budget_paused.clone(),
        );
        let salesforce_budget_deferred = Family::<ConnectionLabels, Counter>::default();
        registry.register(
            "salesforce_budget_deferred_sends",
            "Sends deferred by a connection's API budget floor (each counted once)",
            salesforce_budget_deferred.clone(),
        );
        let collection_calls = Family::<ConnectionLabels, Counter>::default();
        registry.register(
            "salesforce_collection_calls",
            "sObject Collections calls made for batched templates, per connection",
            collection_calls.clone(),
        );
        let collection_records = Family::<ConnectionLabels, Counter>::default();
        registry.register(
            "salesforce_collection_records",
            "Records (sends) carried by sObject Collections calls, per connection",
            collection_records.clone(),
        );
        let bulk_jobs = bulk::BulkGauges::default();
        registry.register_collector(bulk_jobs.collector());
        Self {
            registry,
            sends,
            retries,
            aborts,
            token_fetches,
            queue_depth,
            oldest_job_age_seconds,
            send_latency,
            salesforce_api_used,
            salesforce_api_limit,
            salesforce_api_remaining,
            salesforce_api_floor,
            salesforce_budget_paused,
            salesforce_budget_deferred,
            collection_calls,
            collection_records,
            bulk_jobs,
        }
    }

    /// Count one activity-log entry of a send: `status` is the entry's HTTP status, if any.
    /// An `aborted_message` also counts as an abort.
    pub fn record_outcome(&self, outcome: ActivityType, status: Option<u16>) {
        self.sends
            .get_or_create(&SendLabels {
                outcome: outcome.as_str(),
                status_class: status.map_or("none", status_class),
            })
            .inc();
        if outcome == ActivityType::AbortedMessage {
            self.aborts.inc();
        }
    }

    /// The duration of an HTTP attempt that went out.
    pub fn record_attempt_duration(&self, seconds: f64) {
        self.send_latency.observe(seconds);
    }

    /// A send scheduled for another attempt.
    pub fn record_retry(&self) {
        self.retries.inc();
    }

    pub fn record_token_fetch(&self, connection: &str) {
        self.token_fetches
            .get_or_create(&ConnectionLabels {
                connection: connection.to_owned(),
            })
            .inc();
    }

    /// The depth of `queue` and the age of its oldest due, unclaimed job (0 when none).
    pub fn set_queue(&self, queue: &str, depth: i64, oldest_age_seconds: i64) {
        let labels = QueueLabels {
            queue: queue.to_owned(),
        };
        self.queue_depth.get_or_create(&labels).set(depth);
        self.oldest_job_age_seconds
            .get_or_create(&labels)
            .set(oldest_age_seconds);
    }

    /// A connection's API usage as its newest reading (`Sforce-Limit-Info` or `/limits`)
    /// reports it.
    pub fn record_salesforce_api_usage(&self, connection: &str, used: i64, limit: i64) {
        let labels = connection_labels(connection);
        self.salesforce_api_used.get_or_create(&labels).set(used);
        self.salesforce_api_limit.get_or_create(&labels).set(limit);
        let remaining = (limit - used).max(0);
        self.salesforce_api_remaining
            .get_or_create(&labels)
            .set(remaining);
    }

    /// A connection's budget floor in requests, and whether its non-urgent sends wait.
    pub fn set_salesforce_budget(&self, connection: &str, floor: i64, paused: bool) {
        let labels = connection_labels(connection);
        self.salesforce_api_floor.get_or_create(&labels).set(floor);
        self.salesforce_budget_paused
            .get_or_create(&labels)
            .set(i64::from(paused));
    }

    /// A send deferred by a connection's budget floor (once per send).
    pub fn record_budget_deferral(&self, connection: &str) {
        self.salesforce_budget_deferred
            .get_or_create(&connection_labels(connection))
            .inc();
    }

    /// An sObject Collections call of `records` records for a batched template.
    pub fn record_collection_call(&self, connection: &str, records: usize) {
        let labels = ConnectionLabels {
            connection: connection.to_owned(),
        };
        self.collection_calls.get_or_create(&labels).inc();
        self.collection_records
            .get_or_create(&labels)
            .inc_by(u64::try_from(records).unwrap_or(u64::MAX));
    }

    /// Reads the Bulk API 2.0 job tallies from `store`, for the next [`Metrics::encode`];
    /// on an error the last ones read stay.
    pub async fn refresh_bulk_jobs(&self, store: &dyn Store) -> StoreResult<()> {
        self.bulk_jobs.refresh(store).await
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

fn connection_labels(connection: &str) -> ConnectionLabels {
    ConnectionLabels {
        connection: connection.to_owned(),
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        500..=599 => "5xx",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_are_counted_by_outcome_and_class() {
        let metrics = Metrics::new();
        metrics.record_outcome(ActivityType::Success, Some(201));
        metrics.record_outcome(ActivityType::Success, Some(204));
        metrics.record_outcome(ActivityType::WebhookError, Some(503));
        metrics.record_outcome(ActivityType::ConnectedContentError, None);
        metrics.record_outcome(ActivityType::AbortedMessage, None);
        metrics.record_retry();
        metrics.record_attempt_duration(0.02);
        let text = metrics.encode();
        for line in [
            r#"leadwire_webhook_sends_total{outcome="success",status_class="2xx"} 2"#,
            r#"leadwire_webhook_sends_total{outcome="webhook_error",status_class="5xx"} 1"#,
            r#"leadwire_webhook_sends_total{outcome="connected_content_error",status_class="none"} 1"#,
            r#"leadwire_webhook_sends_total{outcome="aborted_message",status_class="none"} 1"#,
            "leadwire_webhook_retries_total 1",
            "leadwire_message_aborts_total 1",
            "leadwire_webhook_send_duration_seconds_count 1",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
    }

    #[test]
    fn api_usage_is_exported() {
        let metrics = Metrics::new();
        metrics.record_salesforce_api_usage("sales", 7, 15000);
        metrics.set_salesforce_budget("sales", 1500, true);
        metrics.record_budget_deferral("sales");
        let text = metrics.encode();
        for line in [
            r#"leadwire_salesforce_api_remaining{connection="sales"} 14993"#,
            r#"leadwire_salesforce_api_floor{connection="sales"} 1500"#,
            r#"leadwire_salesforce_budget_paused{connection="sales"} 1"#,
            r#"leadwire_salesforce_budget_deferred_sends_total{connection="sales"} 1"#,
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
        assert!(
            text.contains(r#"leadwire_salesforce_api_usage_used{connection="sales"} 7"#),
            "{text}"
        );
        assert!(
            text.contains(r#"leadwire_salesforce_api_usage_limit{connection="sales"} 15000"#),
            "{text}"
        );
    }

    #[test]
    fn tokens_and_queue_are_exported() {
        let metrics = Metrics::new();
        metrics.record_token_fetch("sales");
        metrics.set_queue("sends", 12, 3);
        metrics.set_queue("triggers", 0, 0);
        metrics.record_outcome(ActivityType::AbortedMessage, None);
        let text = metrics.encode();
        assert!(
            text.contains(r#"leadwire_salesforce_token_fetches_total{connection="sales"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"leadwire_queue_depth{queue="sends"} 12"#),
            "{text}"
        );
        assert!(
            text.contains(r#"leadwire_queue_oldest_job_age_seconds{queue="sends"} 3"#),
            "{text}"
        );
        assert!(
            text.contains(r#"leadwire_queue_oldest_job_age_seconds{queue="triggers"} 0"#),
            "{text}"
        );
        assert!(text.contains("leadwire_message_aborts_total 1"), "{text}");
    }
}
