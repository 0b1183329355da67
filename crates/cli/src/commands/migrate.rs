//! `leadwire migrate [--config FILE]`: run the database migrations of the configured store.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::config::load_settings;

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The TOML config file (its [store] section picks the database).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub async fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let settings = load_settings(args.config.as_deref())?;
    leadwire_store::migrate(&settings.store).await?;
    println!("migrated {}", settings.store.describe());
    Ok(ExitCode::SUCCESS)
}
