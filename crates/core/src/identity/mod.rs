//! Braze's identity rules, pure: how two profiles combine when one is merged into the other
//! (`/users/merge`, `/users/identify`), which of several profiles sharing an email or phone a
//! `prioritization` picks, and when `/users/identify` identifies or merges an anonymous
//! profile. The store applies them in one transaction; the server parses requests into them.
//!
//! - `merge`: the kept profile wins, its gaps are filled from the merged one, first times
//!   take the earlier value and last times the later one.
//! - `prioritization`: Braze's ordered filters over duplicate profiles.
//! - `identify`: what `/users/identify` does with one anonymous profile.

mod identify;
mod merge;
mod prioritization;

pub use identify::{IdentifyAction, identify_action};
pub use merge::{earlier, entry_moves, later, merge_profiles};
pub use prioritization::{Prioritization, PrioritizationError, Priority};

#[cfg(test)]
mod tests;
