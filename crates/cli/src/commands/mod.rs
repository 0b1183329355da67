//! The command tree, and one module per subcommand; each exposes its clap arguments and an
//! async `run`.

pub mod activity;
pub mod bench;
pub mod check;
mod check_sections;
pub mod emulator;
pub mod liquid;
pub mod migrate;
pub mod salesforce;
pub mod serve;
pub mod webhook;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The `leadwire` command line.
#[derive(Debug, Parser)]
#[command(
    name = "leadwire",
    version,
    about = "Customer activity in, Salesforce leads out"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the REST API, the workers and, when configured, the built-in Salesforce emulator.
    Serve(serve::ServeArgs),
    /// Validate a config file: every error with its file, line and a fix.
    Check(check::CheckArgs),
    /// The message activity log: every send attempt, error and abort; `replay ID` resends.
    Activity(activity::ActivityArgs),
    /// Preview webhook templates.
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
    /// Render Liquid templates in Braze's dialect.
    #[command(subcommand)]
    Liquid(liquid::LiquidCommand),
    /// Run the configured database's migrations.
    Migrate(migrate::MigrateArgs),
    /// Salesforce bulk work: `backfill` loads a template for every user through Bulk API 2.0.
    #[command(subcommand)]
    Salesforce(salesforce::SalesforceCommand),
    /// Run the built-in Salesforce Sales Cloud emulator on its own.
    SalesforceEmulator(Box<emulator::EmulatorArgs>),
    /// Measure ingest, delivery and the emulator.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// Runs one parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Check(args) => check::run(args).await,
        Command::Activity(args) => activity::run(args).await,
        Command::Webhook(command) => webhook::run(command).await,
        Command::Liquid(command) => liquid::run(command).await,
        Command::Migrate(args) => migrate::run(args).await,
        Command::Salesforce(command) => salesforce::run(command).await,
        Command::SalesforceEmulator(args) => emulator::run(*args).await,
        Command::Bench(command) => bench::run(command).await,
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every subcommand and flag of `command`, with its path, that has no help text.
    fn undocumented(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            if !matches!(id, "help" | "version") && arg.get_help().is_none() {
                missing.push(format!("{path} --{id}"));
            }
        }
        for sub in command.get_subcommands() {
            let sub_path = format!("{path} {}", sub.get_name());
            if sub.get_about().is_none() && sub.get_name() != "help" {
                missing.push(sub_path.clone());
            }
            undocumented(sub, &sub_path, missing);
        }
    }

    #[test]
    fn every_command_and_flag_has_help_text_and_serve_comes_first() {
        let command = Cli::command();
        command.clone().debug_assert();
        let mut missing = Vec::new();
        undocumented(&command, "leadwire", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:#?}");
        let first = command
            .get_subcommands()
            .next()
            .map(clap::Command::get_name);
        assert_eq!(first, Some("serve"));
        let bench: Vec<&str> = command
            .find_subcommand("bench")
            .map(|bench| {
                bench
                    .get_subcommands()
                    .map(clap::Command::get_name)
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            bench,
            [
                "ingest",
                "attack",
                "delivery",
                "batching",
                "exactly-once",
                "emulator",
                "soak",
                "console",
                "backfill"
            ]
        );
    }
}
