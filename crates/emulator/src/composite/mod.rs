//! Composite resources: sObject Collections (`/composite/sobjects`) and `/composite` with `@{ref}` references, both with all-or-none rollback.

mod collections;
mod requests;
mod results;
mod upsert;

use std::collections::HashMap;

use super::dispatch::Call;
use super::store::LeadRecord;
use leadwire_salesforce::ids::RecordId;

pub use collections::collections;
pub use requests::composite;
pub use upsert::upsert;

/// The leads (and the call's write counts) as they were before an all-or-none operation,
/// to put back on failure.
struct Snapshot {
    leads: HashMap<RecordId, LeadRecord>,
    writes: [u64; 4],
}

impl Snapshot {
    fn take(call: &Call) -> Self {
        Self {
            leads: call
                .state
                .inner
                .leads
                .all()
                .into_iter()
                .map(|record| (record.id, record))
                .collect(),
            writes: call.writes.mark(),
        }
    }

    /// Undoes every change made since the snapshot: new records go, changed ones revert, and
    /// the writes are no longer counted.
    fn restore(self, call: &Call) {
        let state = call.state;
        call.writes.restore(self.writes);
        for current in state.inner.leads.all() {
            match self.leads.get(&current.id) {
                None => state.remove(&current.id),
                Some(before) if *before != current => state.save(before.clone()),
                Some(_) => {}
            }
        }
    }
}
