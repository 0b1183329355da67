//! The per-record side of sObject Collections: SaveResult / UpsertResult / DeleteResult, their `statusCode` errors, and the runner every collection operation goes through (record faults, all-or-none rollback, write counters).

use serde_json::{Map, Value, json};

use super::Snapshot;
use crate::dispatch::Call;
use crate::reply::{Answer, Outcome};
use crate::stats::Written;
use leadwire_salesforce::errors::{ApiError, ApiErrorItem};
use leadwire_salesforce::ids::RecordId;

/// Which collection operation runs; upserts add `created` to every result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Upsert,
    Delete,
}

/// One record's outcome.
pub struct RecordResult {
    id: Option<RecordId>,
    written: Option<Written>,
    errors: Vec<ApiErrorItem>,
}

impl RecordResult {
    pub fn ok(id: RecordId, written: Written) -> Self {
        Self {
            id: Some(id),
            written: Some(written),
            errors: Vec::new(),
        }
    }

    pub fn failed(id: Option<RecordId>, error: ApiErrorItem) -> Self {
        Self {
            id,
            written: None,
            errors: vec![error],
        }
    }

    /// A failure carrying every error of a single-record write (several value errors at once).
    pub fn from_error(id: Option<RecordId>, error: ApiError) -> Self {
        let mut errors = error.errors;
        if errors.is_empty() {
            errors.push(ApiErrorItem::with_fields(
                "UNKNOWN_EXCEPTION",
                "unknown error",
                Vec::new(),
            ));
        }
        Self {
            id,
            written: None,
            errors,
        }
    }

    /// Turns a success into ALL_OR_NONE_OPERATION_ROLLED_BACK; a record this request created
    /// no longer exists, so it loses its id.
    fn roll_back(&mut self) {
        if self.written == Some(Written::Created) {
            self.id = None;
        }
        self.written = None;
        self.errors = vec![rolled_back()];
    }

    fn to_json(&self, operation: Operation) -> Value {
        let mut object = Map::new();
        if let Some(id) = &self.id {
            object.insert("id".into(), json!(id.to_string()));
        }
        object.insert("success".into(), json!(self.errors.is_empty()));
        let errors: Vec<Value> = self
            .errors
            .iter()
            .map(ApiErrorItem::to_collection_json)
            .collect();
        object.insert("errors".into(), Value::Array(errors));
        if operation == Operation::Upsert {
            object.insert(
                "created".into(),
                json!(self.written == Some(Written::Created)),
            );
        }
        Value::Object(object)
    }
}

pub fn rolled_back() -> ApiErrorItem {
    ApiErrorItem::with_fields(
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "Record rolled back because not all records were valid and the request was using AllOrNone header",
        Vec::new(),
    )
}

/// The retryable lock error injected by record faults.
pub fn unable_to_lock_row() -> ApiErrorItem {
    ApiErrorItem::with_fields(
        "UNABLE_TO_LOCK_ROW",
        "unable to obtain exclusive access to this record",
        Vec::new(),
    )
}

/// Runs `apply` on every record in order (a record picked by the record faults fails with
/// UNABLE_TO_LOCK_ROW instead); with `all_or_none`, any failure undoes every write. Counts
/// what stays written, and the failures, for the call's API family.
pub fn run_all(
    call: &Call,
    records: &[Map<String, Value>],
    all_or_none: bool,
    operation: Operation,
    mut apply: impl FnMut(usize, &Map<String, Value>) -> RecordResult,
) -> Outcome {
    let snapshot = all_or_none.then(|| Snapshot::take(call));
    let mut results = Vec::with_capacity(records.len());
    for (index, record) in records.iter().enumerate() {
        if call.state.inner.faults.record_fails(index, record) {
            results.push(RecordResult::failed(None, unable_to_lock_row()));
            continue;
        }
        results.push(apply(index, record));
    }
    if let Some(snapshot) = snapshot
        && results.iter().any(|result| !result.errors.is_empty())
    {
        snapshot.restore(call);
        for result in &mut results {
            if result.errors.is_empty() {
                result.roll_back();
            }
        }
    }
    for result in &results {
        match result.written {
            Some(written) => call.writes.add(written),
            None => call.writes.add_record_error(),
        }
    }
    Ok(Answer::ok(Value::Array(
        results
            .iter()
            .map(|result| result.to_json(operation))
            .collect(),
    )))
}
