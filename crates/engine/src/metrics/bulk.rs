//! Bulk API 2.0 backfills in `/metrics`: the store's job tallies, read at each scrape (a
//! backfill runs in its own process, or on another node), encoded as gauges by template.
//! Every state of a template with stored jobs is given (0 when it has none), so a job's
//! move from one state to the next shows as one series falling and another rising.

use std::sync::{Arc, PoisonError, RwLock};

use leadwire_store::{BulkJobState, BulkJobTally, Store, StoreResult};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::gauge::ConstGauge;

const STATES: [BulkJobState; 5] = [
    BulkJobState::Open,
    BulkJobState::Uploaded,
    BulkJobState::Closed,
    BulkJobState::Recorded,
    BulkJobState::Abandoned,
];

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct TemplateLabels {
    template: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct JobLabels {
    template: String,
    state: &'static str,
}

/// The newest tallies read, shared by [`crate::metrics::Metrics`] and its registry.
#[derive(Debug, Clone, Default)]
pub(super) struct BulkGauges {
    tallies: Arc<RwLock<Vec<BulkJobTally>>>,
}

impl BulkGauges {
    /// Reads the tallies from `store`; on an error the last ones stay.
    pub(super) async fn refresh(&self, store: &dyn Store) -> StoreResult<()> {
        let tallies = store.bulk_job_tallies().await?;
        *self.tallies.write().unwrap_or_else(PoisonError::into_inner) = tallies;
        Ok(())
    }

    /// A registry's collector of these gauges.
    pub(super) fn collector(&self) -> Box<dyn Collector> {
        Box::new(self.clone())
    }
}

/// One template's figures.
#[derive(Default)]
struct TemplateFigures {
    jobs: [u64; STATES.len()],
    rows: u64,
    processed: u64,
    failed: u64,
}

fn by_template(tallies: &[BulkJobTally]) -> Vec<(&str, TemplateFigures)> {
    let mut templates: Vec<(&str, TemplateFigures)> = Vec::new();
    // Tallies come ordered by template.
    for tally in tallies {
        if templates
            .last()
            .is_none_or(|(name, _)| *name != tally.template)
        {
            templates.push((&tally.template, TemplateFigures::default()));
        }
        let Some((_, figures)) = templates.last_mut() else {
            continue;
        };
        if let Some(at) = STATES.iter().position(|state| *state == tally.state) {
            figures.jobs[at] += tally.jobs;
        }
        if !tally.state.is_final() {
            figures.rows += tally.rows;
            figures.processed += tally.processed;
            figures.failed += tally.failed;
        }
    }
    templates
}

/// A row gauge: its name, its help and its figure.
type RowGauge = (&'static str, &'static str, fn(&TemplateFigures) -> u64);

fn gauge(value: u64) -> ConstGauge {
    ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX))
}

impl Collector for BulkGauges {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let tallies = self.tallies.read().unwrap_or_else(PoisonError::into_inner);
        let templates = by_template(&tallies);
        let mut jobs = encoder.encode_descriptor(
            "salesforce_bulk_jobs",
            "Bulk API 2.0 backfill jobs stored, by template and state (open, uploaded, closed, recorded, abandoned), read from the store at each scrape",
            None,
            MetricType::Gauge,
        )?;
        for (template, figures) in &templates {
            for (state, count) in STATES.iter().zip(figures.jobs) {
                let labels = JobLabels {
                    template: (*template).to_owned(),
                    state: state.as_str(),
                };
                gauge(count).encode(jobs.encode_family(&labels)?)?;
            }
        }
        let rows: [RowGauge; 3] = [
            (
                "salesforce_bulk_rows",
                "CSV rows of a template's unfinished Bulk API 2.0 jobs",
                |figures| figures.rows,
            ),
            (
                "salesforce_bulk_rows_processed",
                "Rows of a template's unfinished Bulk API 2.0 jobs that Salesforce had processed at the last poll",
                |figures| figures.processed,
            ),
            (
                "salesforce_bulk_rows_failed",
                "Rows of a template's unfinished Bulk API 2.0 jobs that Salesforce had failed at the last poll",
                |figures| figures.failed,
            ),
        ];
        for (name, help, value) in rows {
            let mut metric = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for (template, figures) in &templates {
                let labels = TemplateLabels {
                    template: (*template).to_owned(),
                };
                gauge(value(figures)).encode(metric.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use prometheus_client::encoding::text::encode;
    use prometheus_client::registry::Registry;

    use super::*;

    fn tally(template: &str, state: BulkJobState, jobs: u64, rows: u64) -> BulkJobTally {
        BulkJobTally {
            template: template.into(),
            state,
            jobs,
            rows,
            processed: rows / 2,
            failed: 1,
        }
    }

    #[test]
    fn every_state_is_given_and_rows_count_unfinished_jobs_only() {
        let gauges = BulkGauges::default();
        *gauges.tallies.write().expect("lock") = vec![
            tally("A", BulkJobState::Closed, 2, 10),
            tally("A", BulkJobState::Open, 1, 4),
            tally("A", BulkJobState::Recorded, 3, 100),
            tally("B", BulkJobState::Abandoned, 1, 8),
        ];
        let mut registry = Registry::with_prefix("leadwire");
        registry.register_collector(gauges.collector());
        let mut text = String::new();
        encode(&mut text, &registry).expect("encode");
        for line in [
            r#"leadwire_salesforce_bulk_jobs{template="A",state="open"} 1"#,
            r#"leadwire_salesforce_bulk_jobs{template="A",state="uploaded"} 0"#,
            r#"leadwire_salesforce_bulk_jobs{template="A",state="closed"} 2"#,
            r#"leadwire_salesforce_bulk_jobs{template="A",state="recorded"} 3"#,
            r#"leadwire_salesforce_bulk_jobs{template="B",state="abandoned"} 1"#,
            r#"leadwire_salesforce_bulk_jobs{template="B",state="open"} 0"#,
            r#"leadwire_salesforce_bulk_rows{template="A"} 14"#,
            r#"leadwire_salesforce_bulk_rows_processed{template="A"} 7"#,
            r#"leadwire_salesforce_bulk_rows_failed{template="A"} 2"#,
            r#"leadwire_salesforce_bulk_rows{template="B"} 0"#,
            "# TYPE leadwire_salesforce_bulk_rows gauge",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
    }
}
