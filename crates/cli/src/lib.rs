//! The `leadwire` command's library half: one module per subcommand, the layered settings,
//! and the built-in emulator `serve` starts, so tests can run the real server on port 0.

pub mod commands;
pub mod config;
pub mod embedded_emulator;
pub mod logging;
