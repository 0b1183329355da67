//! The `/limits` poller: reads `DailyApiRequests` from Salesforce's `/limits` resource for
//! every connection a template sends through, at start-up and every
//! `delivery.api_limits_every`, with the connection's cached token. Its readings go to the
//! API budget like `Sforce-Limit-Info`'s, so a connection whose sends wait at the floor
//! learns when it has room again although nothing is sent on it. It runs as a task of
//! [`DeliveryWorker::run`] and stops with it.

use std::collections::BTreeSet;

use leadwire_core::config::SalesforceConnection;
use tokio_util::sync::CancellationToken;

use super::render::RenderProblem;
use super::usage::ApiUsage;
use super::worker::DeliveryWorker;

/// The REST API version the `/limits` resource is read at.
pub const LIMITS_API_VERSION: &str = "v60.0";

impl DeliveryWorker {
    /// The connections some template sends through, in config order.
    pub fn budgeted_connections(&self) -> Vec<&SalesforceConnection> {
        let named: BTreeSet<&str> = self
            .config
            .webhook_templates
            .iter()
            .filter_map(|template| template.connection.as_deref())
            .collect();
        self.config
            .salesforce_connections
            .iter()
            .filter(|connection| named.contains(connection.name.as_str()))
            .collect()
    }

    /// Reads `/limits` of every budgeted connection once; returns how many answered. A
    /// connection that cannot be read is logged at WARN and keeps its last reading.
    pub async fn poll_api_limits(&self) -> usize {
        let mut read = 0;
        for connection in self.budgeted_connections() {
            match self.read_limits(connection).await {
                Ok(usage) => {
                    self.budget.observe(&connection.name, usage);
                    read += 1;
                }
                Err(error) => {
                    let error = self.redactor.text(&error);
                    tracing::warn!(connection = %connection.name, %error, "Salesforce /limits could not be read; the budget keeps its last reading");
                }
            }
        }
        read
    }

    /// Polls until `shutdown` is cancelled, once at once and then every
    /// `delivery.api_limits_every`.
    pub(super) async fn poll_limits_until(&self, shutdown: CancellationToken) {
        let every = std::time::Duration::from_secs(self.settings.api_limits_every.seconds());
        loop {
            self.poll_api_limits().await;
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(every) => {}
            }
        }
    }

    async fn read_limits(&self, connection: &SalesforceConnection) -> Result<ApiUsage, String> {
        let token = self
            .renderer
            .connection_token(connection)
            .await
            .map_err(|problem| match problem {
                RenderProblem::Token { message, .. } | RenderProblem::Error(message) => message,
                other => format!("{other:?}"),
            })?;
        let url = format!(
            "{}/services/data/{LIMITS_API_VERSION}/limits",
            token.instance_url.trim_end_matches('/')
        );
        let response = self
            .client
            .get(&url)
            .bearer_auth(&token.access_token)
            .send()
            .await
            .map_err(|error| format!("GET {url}: {error}"))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|error| format!("GET {url}: {error}"))?;
        if status == reqwest::StatusCode::UNAUTHORIZED {
            self.tokens.invalidate(&token.access_token).await;
        }
        if !status.is_success() {
            return Err(format!("GET {url}: HTTP {status}: {body}"));
        }
        let json: serde_json::Value = serde_json::from_str(&body)
            .map_err(|error| format!("GET {url}: the answer is not JSON: {error}"))?;
        ApiUsage::from_limits(&json, self.clock.now()).ok_or_else(|| {
            format!("GET {url}: the answer has no DailyApiRequests with Max and Remaining")
        })
    }
}
