//! `leadwire liquid`: render a template from stdin.

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum LiquidCommand {
    /// Render the template read from stdin and write the output to stdout.
    Render,
}

pub async fn run(command: LiquidCommand) -> anyhow::Result<ExitCode> {
    match command {
        LiquidCommand::Render => anyhow::bail!("liquid render is not built yet"),
    }
}
