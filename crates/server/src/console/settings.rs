//! The `[console]` settings section.

use leadwire_core::time::Interval;
use serde::{Deserialize, Serialize};

/// `[console]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleSettings {
    /// Serve the console under `/console/` on the API listener.
    pub enabled: bool,
    /// A session unused for this long ends.
    pub session_idle: Interval,
    /// A session ends this long after its login, however busy.
    pub session_lifetime: Interval,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            session_idle: Interval::from_seconds(3600),
            session_lifetime: Interval::from_seconds(12 * 3600),
        }
    }
}

impl ConsoleSettings {
    pub fn validate(&self) -> Result<(), String> {
        if self.session_idle.seconds() == 0 || self.session_lifetime.seconds() == 0 {
            return Err(
                "console.session_idle and console.session_lifetime must be longer than 0 seconds"
                    .into(),
            );
        }
        Ok(())
    }
}
