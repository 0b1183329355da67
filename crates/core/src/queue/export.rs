//! The segment export task (`POST /users/export/segment`): one file of users per job, the
//! next file's task enqueued with the job's completion, and the bundle and callback after
//! the last.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How each file of an export is compressed (`output_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// `.zip`, one newline-delimited JSON entry per file (Braze's default).
    #[default]
    Zip,
    /// `.gz`.
    Gzip,
}

/// One step of a segment export: the file numbered `part`, with the segment's members
/// among the profiles after `after` (from the first when `None`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentExportTask {
    /// The segment's id (`[[segments]] id`).
    pub segment_id: String,
    /// `<uuid>-<epoch seconds when the export started>`: names the export's folder.
    pub object_prefix: String,
    pub started_at: DateTime<Utc>,
    /// The `fields_to_export`, by their API names.
    pub fields: Vec<String>,
    /// `custom_attributes_to_export`: only these custom attributes (ignored when `fields`
    /// holds `custom_attributes`, which exports them all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_attributes: Option<Vec<String>>,
    #[serde(default)]
    pub format: ExportFormat,
    /// Where to POST `{"success": true, "url": …}` when the export is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<String>,
    /// The URL the finished bundle is served at.
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Uuid>,
    pub part: u32,
}
