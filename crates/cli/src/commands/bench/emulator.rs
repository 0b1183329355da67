//! `leadwire bench emulator`: Lead creates per second against the Sales Cloud emulator over
//! keep-alive connections, server and client in one process.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use leadwire_salesforce_emulator::EmulatorConfig;

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Seconds to measure.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Serve HTTPS instead of plain HTTP.
    #[arg(long)]
    tls: bool,
}

pub async fn run(args: EmulatorArgs) -> anyhow::Result<ExitCode> {
    let config = EmulatorConfig::default().with_generated_credentials();
    let report =
        leadwire_salesforce_emulator::bench::run(config, args.connections, args.seconds, args.tls)
            .await
            .context("the benchmark failed")?;
    println!("{report}");
    Ok(ExitCode::SUCCESS)
}
