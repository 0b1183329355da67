//! The `[workers]` section: how the journey workers claim, poll, retry and keep canvas state.

use std::time::Duration;

use leadwire_core::time::Interval;
use serde::Deserialize;

/// How the journey runtime claims and retries. Every key has a default, kept equal to
/// `config.default.toml` by a test of the CLI.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerOptions {
    /// Jobs in flight per queue that handles a job per transaction (broadcast pages).
    pub concurrency: usize,
    /// Jobs leased per claim; for the queues that handle batches, the batch size.
    pub batch: u32,
    /// How long a claimed job is leased before another worker may take it.
    pub lease: Interval,
    /// Idle polling starts at `poll_min_ms` and doubles up to `poll_max_ms`; a commit that
    /// enqueues work wakes an idle worker at once.
    pub poll_min_ms: u64,
    pub poll_max_ms: u64,
    /// Attempts before a job is failed for good.
    pub max_attempts: u32,
    /// How often exited canvas entries past their retention are pruned.
    pub housekeeping_every: Interval,
    /// How long a canvas entry is kept after the user exits (for inspection). Re-entry
    /// control keeps each user's last entry time per canvas apart, so pruning never reopens
    /// a canvas that allows one entry.
    pub canvas_entry_retention: Interval,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            concurrency: 8,
            batch: 512,
            lease: Interval::from_seconds(60),
            poll_min_ms: 20,
            poll_max_ms: 1000,
            max_attempts: 5,
            housekeeping_every: Interval::from_seconds(600),
            canvas_entry_retention: Interval::from_seconds(30 * 86_400),
        }
    }
}

impl WorkerOptions {
    /// The first problem with the values, naming the key and what it must be.
    pub fn validate(&self) -> Result<(), String> {
        let at_least_one = [
            ("concurrency", self.concurrency as u64),
            ("batch", u64::from(self.batch)),
            ("poll_min_ms", self.poll_min_ms),
            ("max_attempts", u64::from(self.max_attempts)),
            ("lease", self.lease.seconds()),
            ("housekeeping_every", self.housekeeping_every.seconds()),
        ];
        if let Some((key, _)) = at_least_one.iter().find(|(_, value)| *value == 0) {
            return Err(format!("workers.{key} must be at least 1"));
        }
        if self.poll_max_ms < self.poll_min_ms {
            return Err(format!(
                "workers.poll_max_ms ({}) must be at least workers.poll_min_ms ({})",
                self.poll_max_ms, self.poll_min_ms
            ));
        }
        Ok(())
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease.seconds())
    }

    pub fn poll_min(&self) -> Duration {
        Duration::from_millis(self.poll_min_ms)
    }

    pub fn poll_max(&self) -> Duration {
        Duration::from_millis(self.poll_max_ms)
    }

    pub fn housekeeping_every(&self) -> Duration {
        Duration::from_secs(self.housekeeping_every.seconds())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_table_keeps_the_other_defaults_and_bad_values_are_named() {
        let options: WorkerOptions =
            toml::from_str("batch = 64\nlease = \"2m\"\n").expect("a valid table");
        assert_eq!(options.batch, 64);
        assert_eq!(options.lease(), Duration::from_secs(120));
        assert_eq!(options.poll_min(), WorkerOptions::default().poll_min());
        assert_eq!(options.validate(), Ok(()));

        let zero: WorkerOptions = toml::from_str("concurrency = 0\n").expect("parses");
        assert_eq!(
            zero.validate(),
            Err("workers.concurrency must be at least 1".into())
        );
        let inverted: WorkerOptions =
            toml::from_str("poll_min_ms = 50\npoll_max_ms = 10\n").expect("parses");
        assert!(inverted.validate().unwrap_err().contains("poll_max_ms"));
        let unknown = toml::from_str::<WorkerOptions>("retries = 3\n").expect_err("unknown");
        assert!(unknown.to_string().contains("unknown field `retries`"));
    }
}
