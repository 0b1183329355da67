//! The emulator's settings: credentials, token lifetime, custom fields, duplicate rules, the daily API and Bulk batch limits and start-up faults.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::faults::FaultSettings;
use leadwire_salesforce::fields::CustomFieldConfig;

/// The org id every emulated token and identity URL carries (18 characters).
pub const ORG_ID: &str = "00DKa00000LEADWIRE";
/// The integration user the client-credentials flow runs as.
pub const USER_ID: &str = "005Ka00000LEADWIRE";

/// What the emulator does when a duplicate rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DuplicateAction {
    /// Blocks the save unless `Sforce-Duplicate-Rule-Header: allowSave=true`.
    #[default]
    Alert,
    /// Always blocks the save.
    Block,
}

/// A duplicate rule: two live leads with equal (case-insensitive) values of `field` match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuplicateRule {
    /// The field compared, e.g. `Email`.
    pub field: String,
    #[serde(default)]
    pub action: DuplicateAction,
}

/// Everything the emulator can be configured with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmulatorConfig {
    /// The connected app's consumer key.
    pub client_id: String,
    /// The connected app's consumer secret.
    pub client_secret: String,
    /// How long an access token lives, in seconds.
    pub token_ttl_seconds: u64,
    /// Custom Lead fields, e.g. `Lead_Stage__c`.
    pub custom_fields: Vec<CustomFieldConfig>,
    /// Duplicate rules run on create and update.
    pub duplicate_rules: Vec<DuplicateRule>,
    /// The daily API request allocation (`DailyApiRequests.Max`).
    pub daily_api_limit: u64,
    /// Bulk API batches a day (`DailyBulkApiBatches.Max`); an ingest job uses one per
    /// 10,000 records.
    pub daily_bulk_batch_limit: u64,
    /// Records per query page unless `Sforce-Query-Options: batchSize=` says otherwise.
    pub query_batch_size: usize,
    /// When set, `/__emulator/` requires `Authorization: Bearer <admin_token>`.
    pub admin_token: Option<String>,
    /// Faults active from the start.
    pub faults: FaultSettings,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            client_id: String::new(),
            client_secret: String::new(),
            token_ttl_seconds: 7200,
            custom_fields: Vec::new(),
            duplicate_rules: Vec::new(),
            daily_api_limit: 15_000,
            daily_bulk_batch_limit: 15_000,
            query_batch_size: 2000,
            admin_token: None,
            faults: FaultSettings::default(),
        }
    }
}

impl EmulatorConfig {
    /// The token lifetime.
    pub fn token_ttl(&self) -> Duration {
        Duration::from_secs(self.token_ttl_seconds)
    }

    /// Fills empty credentials with random ones (a consumer-key-like id and a 64-hex secret).
    pub fn with_generated_credentials(mut self) -> Self {
        if self.client_id.is_empty() {
            self.client_id = format!("3MVG9{}", random_token(80));
        }
        if self.client_secret.is_empty() {
            self.client_secret = random_hex(64);
        }
        self
    }
}

/// A random alphanumeric string.
pub(crate) fn random_token(length: usize) -> String {
    use rand::Rng;
    use rand::distr::Alphanumeric;
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(length)
        .map(char::from)
        .collect()
}

fn random_hex(length: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..length)
        .map(|_| char::from(b"0123456789ABCDEF"[rng.random_range(0..16)]))
        .collect()
}
