//! One module per subcommand; each exposes its clap arguments and an async `run`.

pub mod activity;
pub mod bench;
pub mod check;
mod check_sections;
pub mod delivery_bench;
pub mod emulator;
pub mod liquid;
pub mod migrate;
pub mod serve;
pub mod webhook;
