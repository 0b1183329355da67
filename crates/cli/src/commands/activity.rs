//! `leadwire activity`: the message activity log as a table, with the filters of
//! `GET /activity` and `--follow`; `leadwire activity replay ID` sends a failed send again.
//! Both read the database named by the layered `[store]` settings: the defaults, the config
//! file, then `LEADWIRE_STORE__*` variables, as `serve` does.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use leadwire_core::activity::{ActivityEntry, ActivityType, MessageSource};
use leadwire_core::time::Interval;
use leadwire_engine::delivery::replay::replay;
use leadwire_store::{ActivityCursor, ActivityQuery, Store};

use crate::config::load_settings;
use uuid::Uuid;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ActivityArgs {
    #[command(subcommand)]
    command: Option<ActivityCommand>,
    #[command(flatten)]
    list: ListArgs,
}

#[derive(Debug, Subcommand)]
enum ActivityCommand {
    /// Enqueue a failed or aborted send again (a new send id, rendered at send time).
    Replay(ReplayArgs),
}

#[derive(Debug, Args)]
struct ReplayArgs {
    /// The config file whose [store] holds the log.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// The activity entry's id (the ID column).
    id: String,
}

#[derive(Debug, Args)]
struct ListArgs {
    /// The config file whose [store] holds the log (without it, the defaults and
    /// LEADWIRE_STORE__* variables).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// success, webhook_error, connected_content_error, aborted_message or deferred.
    #[arg(long = "type", value_name = "TYPE")]
    kind: Option<String>,
    /// Only the sends of this campaign (its name).
    #[arg(long)]
    campaign: Option<String>,
    /// Only the sends of this Canvas (its name).
    #[arg(long)]
    canvas: Option<String>,
    /// Only the sends of this Canvas step (its name; with --canvas).
    #[arg(long)]
    step: Option<String>,
    /// A user's internal id or external id.
    #[arg(long)]
    user: Option<String>,
    /// An HTTP status, real or synthetic (598 host paused, 599 connection error).
    #[arg(long)]
    status: Option<u16>,
    /// An RFC 3339 time, or a span back from now such as 15m, 2h or 1d.
    #[arg(long)]
    since: Option<String>,
    /// At most this many entries (newest ones).
    #[arg(long, default_value_t = 50)]
    limit: u32,
    /// Keep printing new entries as they are recorded.
    #[arg(long)]
    follow: bool,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: ActivityArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(ActivityCommand::Replay(replay_args)) => replay_one(replay_args).await,
        None => list(args.list).await,
    }
}

/// The store the layered settings name: the defaults, the file, then `LEADWIRE_STORE__*`.
async fn open_store(path: Option<&Path>) -> anyhow::Result<Arc<dyn Store>> {
    let config = load_settings(path)?.store;
    leadwire_store::open(&config)
        .await
        .with_context(|| format!("cannot open the store {}", config.describe()))
}

async fn replay_one(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let id: Uuid = args.id.parse().with_context(|| {
        format!(
            "`{}` is not an activity entry id; copy it from the ID column",
            args.id
        )
    })?;
    let store = open_store(Some(&args.config)).await?;
    let replayed = replay(store.as_ref(), id, Utc::now()).await;
    store.close().await;
    let replayed = replayed?;
    println!(
        "replayed as send {} (job {})",
        replayed.send_id, replayed.job_id
    );
    Ok(ExitCode::SUCCESS)
}

fn parse_since(text: &str, now: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    match Interval::parse(text) {
        Ok(span) => Ok(now - span.as_delta()),
        Err(_) => bail!(
            "--since `{text}` is neither an RFC 3339 time (2026-11-29T10:00:00Z) nor a span such as 15m, 2h or 1d"
        ),
    }
}

fn query(args: &ListArgs) -> anyhow::Result<ActivityQuery> {
    let activity_type = match args.kind.as_deref() {
        None => None,
        Some(name) => Some(ActivityType::parse(name).with_context(|| {
            let known: Vec<&str> = ActivityType::ALL.iter().map(|kind| kind.as_str()).collect();
            format!("--type `{name}` is not one of {}", known.join(", "))
        })?),
    };
    let since = args
        .since
        .as_deref()
        .map(|text| parse_since(text, Utc::now()))
        .transpose()?;
    Ok(ActivityQuery {
        activity_type,
        campaign: args.campaign.clone(),
        canvas: args.canvas.clone(),
        step: args.step.clone(),
        user: args.user.clone(),
        status: args.status,
        since,
        limit: args.limit,
        ..ActivityQuery::default()
    })
}

async fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let mut query = query(&args)?;
    let store = open_store(args.config.as_deref()).await?;
    let result = print_log(store.as_ref(), &mut query, &args).await;
    store.close().await;
    result?;
    Ok(ExitCode::SUCCESS)
}

async fn print_log(
    store: &dyn Store,
    query: &mut ActivityQuery,
    args: &ListArgs,
) -> anyhow::Result<()> {
    let page = store.activity(query).await?;
    let mut entries = page.entries;
    entries.reverse();
    let mut out = std::io::stdout().lock();
    if !args.json {
        writeln!(out, "{}", header())?;
    }
    let mut newest = entries.last().map(ActivityCursor::of);
    print_entries(&mut out, &entries, args.json)?;
    drop(out);
    if !args.follow {
        return Ok(());
    }
    let start = ActivityCursor {
        time_micros: Utc::now().timestamp_micros(),
        id: Uuid::nil(),
    };
    loop {
        query.after = Some(newest.unwrap_or(start));
        query.before = None;
        let page = store.activity(query).await?;
        if let Some(last) = page.entries.last() {
            newest = Some(ActivityCursor::of(last));
            print_entries(&mut std::io::stdout().lock(), &page.entries, args.json)?;
            continue;
        }
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

fn header() -> String {
    format!(
        "{:<24} {:<24} {:<40} {:<20} {:<18} {:>3} {:>6} {:>7}  {:<36}  MESSAGE",
        "TIME", "TYPE", "SOURCE", "USER", "TEMPLATE", "TRY", "STATUS", "MS", "ID"
    )
}

fn print_entries(
    out: &mut impl Write,
    entries: &[ActivityEntry],
    json: bool,
) -> anyhow::Result<()> {
    for entry in entries {
        if json {
            writeln!(out, "{}", serde_json::to_string(entry)?)?;
        } else {
            writeln!(out, "{}", row(entry))?;
        }
    }
    out.flush()?;
    Ok(())
}

fn cut(text: &str, width: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= width {
        return flat;
    }
    let mut short: String = flat.chars().take(width.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// What sent the message, as the SOURCE column shows it.
fn source_name(source: &MessageSource) -> String {
    match source {
        MessageSource::Campaign { campaign } => campaign.clone(),
        MessageSource::Canvas { canvas, step } => format!("{canvas} / {step}"),
        MessageSource::Manual => "manual".to_owned(),
        MessageSource::Api => "/messages/send".to_owned(),
        MessageSource::Test { operator } => format!("test by {operator}"),
    }
}

fn row(entry: &ActivityEntry) -> String {
    let source = match (&entry.source, &entry.tracking_send_id) {
        (MessageSource::Campaign { campaign }, Some(send_id)) => {
            format!("{campaign} (send_id {send_id})")
        }
        (source, _) => source_name(source),
    };
    let user = entry
        .external_id
        .clone()
        .unwrap_or_else(|| entry.user_id.to_string());
    let status = entry
        .status
        .map(|status| status.to_string())
        .unwrap_or_else(|| "-".into());
    format!(
        "{:<24} {:<24} {:<40} {:<20} {:<18} {:>3} {:>6} {:>7}  {:<36}  {}",
        entry.time.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
        entry.activity_type.as_str(),
        cut(&source, 40),
        cut(&user, 20),
        cut(&entry.template, 18),
        entry.attempt,
        status,
        entry.duration_ms,
        entry.id,
        cut(&entry.message, 120),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_times_and_spans() {
        let now = DateTime::parse_from_rfc3339("2026-11-29T10:00:00Z")
            .expect("valid")
            .with_timezone(&Utc);
        assert_eq!(
            parse_since("2h", now).expect("span").to_rfc3339(),
            "2026-11-29T08:00:00+00:00"
        );
        assert_eq!(
            parse_since("2026-11-28T10:00:00Z", now)
                .expect("time")
                .to_rfc3339(),
            "2026-11-28T10:00:00+00:00"
        );
        let error = parse_since("yesterday", now).expect_err("junk").to_string();
        assert!(error.contains("RFC 3339"), "{error}");
    }

    #[test]
    fn long_messages_are_cut_to_one_line() {
        assert_eq!(cut("a\nb", 10), "a b");
        assert_eq!(cut("abcdefghij", 5), "abcd…");
    }
}
