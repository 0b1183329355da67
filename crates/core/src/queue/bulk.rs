//! The bulk send task: a campaign broadcast over its template's `bulk_threshold`, carried
//! out as one stored Bulk API 2.0 run by the delivery worker.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::journeys::BroadcastTask;

/// A campaign broadcast sent through Bulk API 2.0. Its run (`run_id`) was stored with this
/// task, in the transaction of the broadcast's first page; the job runs it and completes
/// in the run's last write, so a restart resumes the run by its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkSendTask {
    pub run_id: Uuid,
    /// The broadcast as requested (campaign, properties, tracking send id, audience).
    pub broadcast: Box<BroadcastTask>,
}
