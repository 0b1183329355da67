//! `leadwire check --config FILE`: validate a config file and print every problem with its
//! file, line and a fix. Exit status 1 on any error. `serve` uses [`load_valid_config`] so
//! it refuses what `check` rejects.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use leadwire_core::config::{CheckReport, Config, EngineChecker, check};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The TOML config file to check.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
}

pub async fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let report = check_file(&args.config)?;
    print!("{}", render_report(&args.config, &report));
    Ok(if report.error_count() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Reads and checks `path`.
pub fn check_file(path: &Path) -> anyhow::Result<CheckReport> {
    let source = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    let mut report = check(&source, &EngineChecker::default());
    super::check_sections::check_other_sections(path, &source, &mut report);
    Ok(report)
}

/// The config at `path` when `check` finds no error; otherwise an error listing them all.
pub fn load_valid_config(path: &Path) -> anyhow::Result<Config> {
    load_checked_config(path).map(|(config, _)| config)
}

/// [`load_valid_config`], with the warnings it logged, each rendered as `check` prints it.
pub fn load_checked_config(path: &Path) -> anyhow::Result<(Config, Vec<String>)> {
    let report = check_file(path)?;
    if report.error_count() > 0 {
        anyhow::bail!(
            "the config does not pass `leadwire check`:\n{}",
            render_report(path, &report)
        );
    }
    let warnings: Vec<String> = report
        .diagnostics
        .iter()
        .map(|warning| warning.render(&path.display().to_string()))
        .collect();
    for warning in &warnings {
        tracing::warn!(problem = %warning, "config warning");
    }
    let config = report
        .into_valid_config()
        .context("the config has no errors but could not be read")?;
    Ok((config, warnings))
}

/// Every diagnostic, then a summary line.
pub fn render_report(path: &Path, report: &CheckReport) -> String {
    let file = path.display().to_string();
    let mut text = String::new();
    for problem in &report.diagnostics {
        text.push_str(&problem.render(&file));
        text.push('\n');
    }
    let (errors, warnings) = (report.error_count(), report.warning_count());
    let verdict = if errors == 0 { "ok" } else { "failed" };
    text.push_str(&format!(
        "{file}: {verdict}: {errors} error{}, {warnings} warning{}\n",
        plural(errors),
        plural(warnings)
    ));
    text
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
