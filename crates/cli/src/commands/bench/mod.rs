//! `leadwire bench {ingest,attack,delivery,batching,exactly-once,emulator,soak,console,
//! backfill}`: the measurements behind the README's performance table, each in one process against a fresh
//! store or the built-in emulator.

mod attack;
mod backfill;
mod batching;
mod console;
mod delivery;
mod emulator;
mod exactly_once;
mod ingest;
mod node;
mod payloads;
mod readback;
mod soak;

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Load `POST /users/track` with attribute batches: updates per second and peak memory.
    Ingest(ingest::IngestArgs),
    /// Ordinary `/users/track` latency alone and beside clients sending the heaviest bodies
    /// accepted: the p99 ratio shows whether one client can slow the rest.
    Attack(attack::AttackArgs),
    /// The whole pipeline against the built-in emulator: deliveries per second, API calls per
    /// lead, and enqueue-to-delivery latency.
    Delivery(delivery::DeliveryArgs),
    /// The delivery burst unbatched, then batched through sObject Collections, in one run:
    /// deliveries per second and API calls per created lead of each.
    Batching(batching::BatchingArgs),
    /// The batched burst against an emulator failing 10 % of records and 5 % of calls:
    /// every lead exactly once, retries made, API calls per lead and wall time.
    ExactlyOnce(exactly_once::ExactlyOnceArgs),
    /// Lead creates per second against the Salesforce emulator alone.
    Emulator(emulator::EmulatorArgs),
    /// Mixed load for a long while against a node killed with SIGKILL at intervals, and
    /// Salesforce faults: every lead arrives exactly once, and memory stays flat.
    Soak(soak::SoakArgs),
    /// Every console page against a store holding a million activity entries and a hundred
    /// thousand profiles: p50 and p99 per page.
    Console(console::ConsoleArgs),
    /// A Bulk API 2.0 backfill of fresh users against the built-in emulator: wall time,
    /// peak RSS and API calls per created Lead.
    Backfill(backfill::BackfillArgs),
}

pub async fn run(command: BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Ingest(args) => ingest::run(args).await,
        BenchCommand::Attack(args) => attack::run(args).await,
        BenchCommand::Delivery(args) => delivery::run(args).await,
        BenchCommand::Batching(args) => batching::run(args).await,
        BenchCommand::ExactlyOnce(args) => exactly_once::run(args).await,
        BenchCommand::Emulator(args) => emulator::run(args).await,
        BenchCommand::Soak(args) => soak::run(args).await,
        BenchCommand::Console(args) => console::run(args).await,
        BenchCommand::Backfill(args) => backfill::run(args).await,
    }
}
