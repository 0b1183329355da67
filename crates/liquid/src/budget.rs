//! The budget of one render: the bytes of values it creates and its wall-clock time.
//!
//! Every place that makes a value counts the bytes it is about to allocate with
//! [`Budget::charge`] (one add and one compare). A result whose size is a multiple of its
//! inputs (or a product of two of them) is sized first and charged before it is built, so
//! a refused result is never allocated; one no larger than the values it was made from is
//! charged once built. The clock starts at the first loop iteration, or once 64 KiB of
//! values have been made, and is read again every 64 KiB and in long filters.

use std::cell::Cell;
use std::time::{Duration, Instant};

use crate::errors::{LimitKind, RenderError};
use crate::limits::Limits;

/// Bytes of values made between two readings of the clock.
const CLOCK_EVERY_BYTES: usize = 64 * 1024;

/// Bytes counted for one item of an array.
pub(crate) const ITEM_BYTES: usize = std::mem::size_of::<crate::value::Value>();

/// What one render has used so far. Lives in the renderer; filters see it by reference.
#[derive(Debug)]
pub(crate) struct Budget {
    max_bytes: usize,
    max_time: Duration,
    used: Cell<usize>,
    next_clock: Cell<usize>,
    started: Cell<Option<Instant>>,
}

impl Budget {
    pub fn new(limits: &Limits) -> Self {
        Budget {
            max_bytes: limits.max_value_bytes,
            max_time: limits.max_render_time,
            used: Cell::new(0),
            next_clock: Cell::new(CLOCK_EVERY_BYTES),
            started: Cell::new(None),
        }
    }

    /// Counts `bytes` of a value about to be made; refuses them past the limit.
    pub fn charge(&self, bytes: usize) -> Result<(), RenderError> {
        let used = self.used.get().saturating_add(bytes);
        self.used.set(used);
        if used > self.max_bytes {
            return Err(self.exceeded());
        }
        if used >= self.next_clock.get() {
            self.next_clock.set(used.saturating_add(CLOCK_EVERY_BYTES));
            self.check_time()?;
        }
        Ok(())
    }

    /// Bytes that may still be made.
    pub fn remaining(&self) -> usize {
        self.max_bytes.saturating_sub(self.used.get())
    }

    /// The error of a render that made more than its bytes of values.
    pub fn exceeded(&self) -> RenderError {
        RenderError::Limit {
            kind: LimitKind::ValueBytes,
            limit: self.max_bytes as u64,
        }
    }

    /// Starts the clock on the first call; fails once the render has run out of time.
    pub fn check_time(&self) -> Result<(), RenderError> {
        let started = match self.started.get() {
            Some(started) => started,
            None => {
                let now = Instant::now();
                self.started.set(Some(now));
                now
            }
        };
        if started.elapsed() > self.max_time {
            return Err(RenderError::Limit {
                kind: LimitKind::RenderTime,
                limit: self.max_time.as_millis() as u64,
            });
        }
        Ok(())
    }

    /// Reads the clock every 256th step of a long filter (step `n` of a loop).
    pub fn step(&self, n: usize) -> Result<(), RenderError> {
        if n % 256 == 255 {
            return self.check_time();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_add_up_to_the_limit_and_no_further() {
        let limits = Limits {
            max_value_bytes: 100,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        assert!(budget.charge(60).is_ok());
        assert_eq!(budget.remaining(), 40);
        assert!(budget.charge(40).is_ok());
        let error = budget.charge(1).expect_err("past the limit");
        assert_eq!(
            error.to_string(),
            "resource limit exceeded: bytes of values created (limit 100)"
        );
        assert!(budget.charge(usize::MAX).is_err(), "saturates");
    }

    #[test]
    fn the_clock_starts_once_values_are_made() {
        let limits = Limits {
            max_render_time: Duration::ZERO,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        assert!(budget.charge(10).is_ok(), "the clock has not started");
        let _ = budget.charge(CLOCK_EVERY_BYTES);
        std::thread::sleep(Duration::from_millis(1));
        assert!(matches!(
            budget.check_time(),
            Err(RenderError::Limit {
                kind: LimitKind::RenderTime,
                ..
            })
        ));
    }
}
