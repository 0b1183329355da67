//! Composite resources: sObject Collections (`/composite/sobjects`) and `/composite` with `@{ref}` references, both with all-or-none rollback.

mod collections;
mod requests;

use std::collections::HashMap;

use super::state::EmulatorState;
use super::store::LeadRecord;
use leadwire_salesforce::ids::RecordId;

pub use collections::{collections, upsert};
pub use requests::composite;

/// The leads as they were before an all-or-none operation, to put back on failure.
struct Snapshot(HashMap<RecordId, LeadRecord>);

impl Snapshot {
    fn take(state: &EmulatorState) -> Self {
        Self(
            state
                .inner
                .leads
                .all()
                .into_iter()
                .map(|record| (record.id, record))
                .collect(),
        )
    }

    /// Undoes every change made since the snapshot: new records go, changed ones revert.
    fn restore(self, state: &EmulatorState) {
        for current in state.inner.leads.all() {
            match self.0.get(&current.id) {
                None => state.remove(&current.id),
                Some(before) if *before != current => state.save(before.clone()),
                Some(_) => {}
            }
        }
    }
}
