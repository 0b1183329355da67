//! The `leadwire` command: a thin entry point that parses arguments and hands off to one module per subcommand.

use leadwire::commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "leadwire",
    version,
    about = "Customer activity in, Salesforce leads out"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Measure the pipeline end to end against the built-in emulator: throughput, API calls per lead, latency.
    DeliveryBench(commands::delivery_bench::DeliveryBenchArgs),
    /// The message activity log: every send attempt, error and abort; `replay ID` resends.
    Activity(commands::activity::ActivityArgs),
    /// Validate a config file: every error with its file, line and a fix.
    Check(commands::check::CheckArgs),
    /// Render Liquid templates in Braze's dialect.
    #[command(subcommand)]
    Liquid(commands::liquid::LiquidCommand),
    /// Preview webhook templates.
    #[command(subcommand)]
    Webhook(commands::webhook::WebhookCommand),
    /// Run the built-in Salesforce Sales Cloud emulator.
    SalesforceEmulator(Box<commands::emulator::EmulatorArgs>),
    /// Serve the Braze-compatible REST API on the configured store.
    Serve(commands::serve::ServeArgs),
    /// Run the configured database's migrations.
    Migrate(commands::migrate::MigrateArgs),
    /// Measure throughput.
    #[command(subcommand)]
    Bench(commands::bench::BenchCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Check(args) => commands::check::run(args).await,
            Command::Webhook(command) => commands::webhook::run(command).await,
            Command::Activity(args) => commands::activity::run(args).await,
            Command::DeliveryBench(args) => commands::delivery_bench::run(args).await,
            Command::Liquid(command) => commands::liquid::run(command).await,
            Command::SalesforceEmulator(args) => commands::emulator::run(*args).await,
            Command::Serve(args) => commands::serve::run(args).await,
            Command::Migrate(args) => commands::migrate::run(args).await,
            Command::Bench(command) => commands::bench::run(command).await,
        }
    });
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
