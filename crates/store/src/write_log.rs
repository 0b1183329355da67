//! Which profiles each committed write transaction changed, numbered in commit order.
//!
//! SQLite has one writer, so a transaction's profile writes can be numbered as it commits.
//! The log lets the ingest writer read a group's profiles from a snapshot (on a read
//! connection, while the previous group is still being written) and check later, under
//! the write lock, that no other transaction has changed them since the read began.
//!
//! A transaction's entry is added just before its `COMMIT` and marked done after it, so a
//! snapshot that begins while a commit is in flight counts that commit as possibly unseen.
//! The log keeps the last [`KEPT_ENTRIES`] entries; a check reaching further back than that
//! answers "changed", which only costs the reader a second, locked read.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use uuid::Uuid;

/// Entries kept; a check older than these answers "changed".
pub const KEPT_ENTRIES: usize = 4_096;

/// Profile writes of committed (or committing) transactions, in commit order.
#[derive(Debug, Default)]
pub struct ProfileWriteLog {
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    /// The number the next entry gets.
    next: u64,
    /// The entry whose `COMMIT` is running, if any.
    committing: Option<u64>,
    entries: VecDeque<(u64, HashSet<Uuid>)>,
}

impl ProfileWriteLog {
    /// Where a snapshot read beginning now starts: every entry numbered from here on may be
    /// missing from it.
    pub fn snapshot_start(&self) -> u64 {
        let entries = self.lock();
        entries.committing.unwrap_or(entries.next)
    }

    /// Adds the entry of a transaction about to commit (the caller holds the write lock);
    /// the returned mark ends the commit when dropped.
    pub fn committing(&self, profiles: Vec<Uuid>) -> CommitMark<'_> {
        let mut entries = self.lock();
        let number = entries.next;
        entries.next += 1;
        entries.committing = Some(number);
        entries
            .entries
            .push_back((number, profiles.into_iter().collect()));
        while entries.entries.len() > KEPT_ENTRIES {
            entries.entries.pop_front();
        }
        CommitMark { log: self, number }
    }

    /// Whether an entry numbered `since` or later, other than `except`, wrote any of
    /// `profiles`.
    pub fn changed_since(
        &self,
        since: u64,
        except: Option<u64>,
        profiles: &mut dyn Iterator<Item = Uuid>,
    ) -> bool {
        let entries = self.lock();
        let oldest = entries
            .entries
            .front()
            .map_or(entries.next, |(number, _)| *number);
        if since < oldest {
            return true;
        }
        let later: Vec<&HashSet<Uuid>> = entries
            .entries
            .iter()
            .filter(|(number, _)| *number >= since && Some(*number) != except)
            .map(|(_, written)| written)
            .collect();
        if later.is_empty() {
            return false;
        }
        for id in profiles {
            if later.iter().any(|written| written.contains(&id)) {
                return true;
            }
        }
        false
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A commit in flight; dropping it (whether the commit succeeded or not) ends it.
pub struct CommitMark<'a> {
    log: &'a ProfileWriteLog,
    number: u64,
}

impl CommitMark<'_> {
    /// The entry's number.
    pub fn number(&self) -> u64 {
        self.number
    }
}

impl Drop for CommitMark<'_> {
    fn drop(&mut self) {
        let mut entries = self.log.lock();
        if entries.committing == Some(self.number) {
            entries.committing = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: u128) -> Vec<Uuid> {
        (0..n).map(Uuid::from_u128).collect()
    }

    #[test]
    fn a_snapshot_sees_changes_committed_after_it_began() {
        let log = ProfileWriteLog::default();
        drop(log.committing(ids(2)));
        let start = log.snapshot_start();
        assert!(!log.changed_since(start, None, &mut ids(2).into_iter()));
        drop(log.committing(vec![Uuid::from_u128(7)]));
        assert!(log.changed_since(start, None, &mut [Uuid::from_u128(7)].into_iter()));
        assert!(!log.changed_since(start, None, &mut ids(2).into_iter()));
    }

    #[test]
    fn a_commit_in_flight_counts_as_unseen_and_can_be_excepted() {
        let log = ProfileWriteLog::default();
        let mark = log.committing(vec![Uuid::from_u128(1)]);
        let start = log.snapshot_start();
        let own = mark.number();
        drop(mark);
        let one = || [Uuid::from_u128(1)].into_iter();
        assert!(log.changed_since(start, None, &mut one()));
        assert!(!log.changed_since(start, Some(own), &mut one()));
    }

    #[test]
    fn a_check_older_than_the_kept_entries_answers_changed() {
        let log = ProfileWriteLog::default();
        let start = log.snapshot_start();
        for _ in 0..=KEPT_ENTRIES {
            drop(log.committing(vec![Uuid::from_u128(9)]));
        }
        assert!(log.changed_since(start, None, &mut [Uuid::from_u128(1)].into_iter()));
    }
}
