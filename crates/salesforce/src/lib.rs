//! Salesforce wire types (Lead fields, the error envelope, record ids), the OAuth client-credentials token client, and the Sales Cloud emulator.
#![recursion_limit = "256"]

pub mod emulator;
pub mod errors;
pub mod fields;
pub mod ids;
pub mod token_client;

pub use errors::{ApiError, ApiErrorItem, OAuthError};
pub use ids::RecordId;
