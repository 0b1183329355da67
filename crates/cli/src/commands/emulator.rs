//! `leadwire salesforce-emulator`: serve the Sales Cloud emulator.

use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct EmulatorArgs {}

pub async fn run(_args: EmulatorArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the Salesforce emulator is not built yet")
}
