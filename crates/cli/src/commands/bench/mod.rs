//! `leadwire bench {ingest,delivery,emulator}`: the measurements behind the README's
//! performance table, each in one process against a fresh store or the built-in emulator.

mod delivery;
mod emulator;
mod ingest;

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Load `POST /users/track` with attribute batches: updates per second and peak memory.
    Ingest(ingest::IngestArgs),
    /// The whole pipeline against the built-in emulator: deliveries per second, API calls per
    /// lead, and enqueue-to-delivery latency.
    Delivery(delivery::DeliveryArgs),
    /// Lead creates per second against the Salesforce emulator alone.
    Emulator(emulator::EmulatorArgs),
}

pub async fn run(command: BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Ingest(args) => ingest::run(args).await,
        BenchCommand::Delivery(args) => delivery::run(args).await,
        BenchCommand::Emulator(args) => emulator::run(args).await,
    }
}
