//! Load benchmark: Lead creates per second against the emulator over keep-alive connections,
//! server and clients in one process on a two-worker runtime (the 2-core target is 20,000/s).
//! Run with `cargo bench -p leadwire-salesforce-emulator --bench emulator_creates`.

use leadwire_salesforce_emulator::{EmulatorConfig, bench};

fn main() {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            std::process::exit(1);
        }
    };
    let seconds = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    for (connections, tls) in [(32, false), (32, true)] {
        match runtime.block_on(bench::run(
            EmulatorConfig::default(),
            connections,
            seconds,
            tls,
        )) {
            Ok(report) => println!("emulator creates: {report}"),
            Err(error) => {
                eprintln!("benchmark failed: {error}");
                std::process::exit(1);
            }
        }
    }
}
