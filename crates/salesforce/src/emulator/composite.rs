//! Composite resources: sObject Collections and `/composite` with references.

use super::dispatch::Call;
use super::reply::Outcome;
use crate::errors::ApiError;

/// `POST …/composite`.
pub fn composite(_call: &Call) -> Outcome {
    Err(ApiError::resource_not_found())
}

/// `…/composite/sobjects`.
pub fn collections(_call: &Call) -> Outcome {
    Err(ApiError::resource_not_found())
}

/// `PATCH …/composite/sobjects/Lead/{ExtIdField}`.
pub fn upsert(_call: &Call, _field: &str) -> Outcome {
    Err(ApiError::resource_not_found())
}
