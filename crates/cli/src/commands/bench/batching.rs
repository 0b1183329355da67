//! `leadwire bench batching`: the delivery bench's burst twice in one run against the
//! built-in emulator, first with the Upsert Lead template sending one request per lead, then
//! with the same template batched through sObject Collections (`batch = { max_records = 200,
//! max_wait = "2s" }`). For each it prints deliveries per second end to end and Salesforce
//! API calls per created lead (every request the emulator served, token requests included,
//! over the leads), and then the two side by side.

use std::process::ExitCode;

use anyhow::bail;
use clap::Args;

use super::delivery::{Burst, run_burst, start};

#[derive(Debug, Args)]
pub struct BatchingArgs {
    /// Users (and so leads) in each burst.
    #[arg(long, default_value_t = 10_000)]
    burst: usize,
}

pub async fn run(args: BatchingArgs) -> anyhow::Result<ExitCode> {
    if args.burst == 0 {
        bail!("--burst must be at least 1");
    }
    let unbatched = measure(args.burst, false).await?;
    let batched = measure(args.burst, true).await?;
    let leads = args.burst;
    println!(
        "batched against unbatched: {:.2}× the deliveries per second; {:.4} against {:.4} API calls per created lead ({:.0}× fewer)",
        batched.deliveries_per_second(leads) / unbatched.deliveries_per_second(leads),
        batched.calls_per_lead(leads),
        unbatched.calls_per_lead(leads),
        unbatched.calls as f64 / batched.calls.max(1) as f64,
    );
    Ok(ExitCode::SUCCESS)
}

/// One burst on a fresh pipeline, printed.
async fn measure(burst: usize, batched: bool) -> anyhow::Result<Burst> {
    let pipeline = start(batched).await?;
    let figures = run_burst(&pipeline, burst).await;
    pipeline.stop().await;
    let figures = figures?;
    let label = if batched {
        "batched (sObject Collections, 200 a call)"
    } else {
        "unbatched (one request per lead)"
    };
    println!(
        "{label}: {burst} leads in {:.2} s end to end: {:.0} deliveries per second; {:.4} API calls per created lead ({} calls, {} token requests)",
        figures.elapsed.as_secs_f64(),
        figures.deliveries_per_second(burst),
        figures.calls_per_lead(burst),
        figures.calls,
        figures.token_requests,
    );
    Ok(figures)
}
