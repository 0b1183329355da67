//! Segment exports (`POST /users/export/segment`), a file per job. A job reads the
//! segment's members after the previous file's last profile until it holds
//! [`USERS_PER_FILE`] users or no profile is left, writes them as newline-delimited JSON
//! user objects to `<dir>/segment-export/<SEGMENT_ID>/<YYYY-MM-dd>/<object_prefix>/` (file
//! `<part>.zip` or `.gz`, written whole then renamed, so a repeated job replaces it), and
//! enqueues the next file's task with its own completion. After the last file it bundles
//! the files into `<object_prefix>.zip` beside that folder (what the export's `url`
//! serves), POSTs `{"success": true, "url": …}` to the callback (once, not retried: a failed
//! callback is logged) and removes the segment's running mark with its completion.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use leadwire_core::queue::{ExportFormat, SegmentExportTask};
use leadwire_store::{ClaimedJob, NewTask};
use serde_json::{Value, json};

use super::context::Journeys;
use super::error::JourneyError;
use super::segments::{PAGE_SIZE, members_after};
use crate::user_export::{ExportFields, user_object};

/// Users per file, as Braze writes them.
pub const USERS_PER_FILE: usize = 5_000;

/// How long the callback may take.
const CALLBACK_TIMEOUT: Duration = Duration::from_secs(10);

/// `segment-export/<SEGMENT_ID>/<YYYY-MM-dd>` under `dir`: where an export started on
/// `day` keeps its folder and its bundle.
pub fn day_folder(dir: &Path, segment_id: &str, day: &str) -> PathBuf {
    dir.join("segment-export").join(segment_id).join(day)
}

/// The bundle of all an export's files, served at its `url`.
pub fn bundle_path(dir: &Path, segment_id: &str, day: &str, object_prefix: &str) -> PathBuf {
    day_folder(dir, segment_id, day).join(format!("{object_prefix}.zip"))
}

/// The `YYYY-MM-dd` of an export started at `started_at`.
pub fn export_day(started_at: DateTime<Utc>) -> String {
    started_at.format("%Y-%m-%d").to_string()
}

pub(crate) async fn handle(
    journeys: &Journeys,
    job: &ClaimedJob,
    task: &SegmentExportTask,
    now: DateTime<Utc>,
) -> Result<(), JourneyError> {
    let store = journeys.store.as_ref();
    let day = export_day(task.started_at);
    let folder =
        day_folder(&journeys.exports_dir, &task.segment_id, &day).join(&task.object_prefix);
    let Some(segment) = journeys
        .config
        .segments
        .iter()
        .find(|s| s.id == task.segment_id)
    else {
        tracing::warn!(segment = %task.segment_id, "a segment export names a segment no longer in the config; stopped");
        return finish(journeys, job, task).await;
    };
    let fields = ExportFields::named(Some(&task.fields), task.custom_attributes.clone())
        .unwrap_or_else(|_| ExportFields::all());
    let mut lines = Vec::new();
    let mut after = task.after;
    let mut more = true;
    while lines.len() < USERS_PER_FILE {
        let room = u32::try_from(USERS_PER_FILE - lines.len()).unwrap_or(PAGE_SIZE);
        let page = members_after(store, &segment.filters, after, room.min(PAGE_SIZE), now).await?;
        for profile in &page.members {
            let user =
                user_object(store, Some(journeys.config.as_ref()), profile, &fields, now).await?;
            lines.push(Value::Object(user).to_string());
        }
        match page.next {
            Some(next) => after = Some(next),
            None => {
                more = false;
                break;
            }
        }
    }
    let wrote = !lines.is_empty();
    if wrote {
        let (folder, part, format) = (folder.clone(), task.part, task.format);
        blocking(move || write_part(&folder, part, format, &lines)).await?;
    }
    if more {
        let next = SegmentExportTask {
            after,
            part: task.part + u32::from(wrote),
            ..task.clone()
        };
        let mut tx = journeys.store.begin().await?;
        tx.enqueue(&NewTask::new(next, now)).await?;
        tx.complete_job(job).await?;
        tx.commit().await?;
        return Ok(());
    }
    let bundle = bundle_path(
        &journeys.exports_dir,
        &task.segment_id,
        &day,
        &task.object_prefix,
    );
    blocking(move || write_bundle(&folder, &bundle)).await?;
    if let Some(callback) = &task.callback {
        call_back(callback, &task.url).await;
    }
    tracing::info!(segment = %task.segment_id, object_prefix = %task.object_prefix, files = task.part + u32::from(wrote), "segment export done");
    finish(journeys, job, task).await
}

/// Removes the running mark and completes the job, in one transaction.
async fn finish(
    journeys: &Journeys,
    job: &ClaimedJob,
    task: &SegmentExportTask,
) -> Result<(), JourneyError> {
    let mut tx = journeys.store.begin().await?;
    tx.finish_segment_export(&task.segment_id, &task.object_prefix)
        .await?;
    tx.complete_job(job).await?;
    tx.commit().await?;
    Ok(())
}

async fn blocking(
    work: impl FnOnce() -> std::io::Result<()> + Send + 'static,
) -> Result<(), JourneyError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| JourneyError::Export(std::io::Error::other(error)))?
        .map_err(JourneyError::Export)
}

/// Writes `<part>.zip` (one `<part>.json` entry) or `<part>.gz` in `folder`, by a rename.
fn write_part(
    folder: &Path,
    part: u32,
    format: ExportFormat,
    lines: &[String],
) -> std::io::Result<()> {
    std::fs::create_dir_all(folder)?;
    let mut text = lines.join("\n");
    text.push('\n');
    let (name, bytes) = match format {
        ExportFormat::Zip => {
            let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            zip.start_file(format!("{part}.json"), options)
                .map_err(std::io::Error::other)?;
            zip.write_all(text.as_bytes())?;
            let bytes = zip.finish().map_err(std::io::Error::other)?.into_inner();
            (format!("{part}.zip"), bytes)
        }
        ExportFormat::Gzip => {
            let mut gzip =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gzip.write_all(text.as_bytes())?;
            (format!("{part}.gz"), gzip.finish()?)
        }
    };
    write_whole(&folder.join(name), &bytes)
}

/// Writes the bundle: every file of `folder`, stored (they are compressed already).
fn write_bundle(folder: &Path, bundle: &Path) -> std::io::Result<()> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(folder) {
        Ok(entries) => entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_none_or(|ext| ext != "partial"))
            .collect(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(error) => return Err(error),
    };
    files.sort();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for file in files {
        let Some(name) = file.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        zip.start_file(name, options)
            .map_err(std::io::Error::other)?;
        zip.write_all(&std::fs::read(&file)?)?;
    }
    let bytes = zip.finish().map_err(std::io::Error::other)?.into_inner();
    if let Some(parent) = bundle.parent() {
        std::fs::create_dir_all(parent)?;
    }
    write_whole(bundle, &bytes)
}

/// Writes `bytes` to `path` through a `.partial` file and a rename, so a reader never sees
/// half a file.
fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, path)
}

/// POSTs `{"success": true, "url": …}` to `callback`; a failure is logged, not retried.
async fn call_back(callback: &str, url: &str) {
    let client = match reqwest::Client::builder().timeout(CALLBACK_TIMEOUT).build() {
        Ok(client) => client,
        Err(error) => {
            tracing::warn!(%error, "cannot build the export callback's HTTP client");
            return;
        }
    };
    let body = json!({"success": true, "url": url});
    match client.post(callback).json(&body).send().await {
        Ok(response) if response.status().is_success() => {}
        Ok(response) => {
            tracing::warn!(
                callback,
                status = response.status().as_u16(),
                "the segment export callback was refused"
            );
        }
        Err(error) => tracing::warn!(callback, %error, "the segment export callback failed"),
    }
}
