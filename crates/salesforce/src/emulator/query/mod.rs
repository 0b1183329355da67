//! `/query` and `/queryAll`: the SOQL subset over leads, with paging through `nextRecordsUrl`.

use super::dispatch::Call;
use super::reply::Outcome;
use crate::errors::ApiError;

/// `GET …/query?q=` (or `queryAll` with `include_deleted`).
pub fn run(_call: &Call, _include_deleted: bool) -> Outcome {
    Err(ApiError::resource_not_found())
}

/// `GET …/query/{locator}`.
pub fn more(_call: &Call, _locator: &str) -> Outcome {
    Err(ApiError::resource_not_found())
}
