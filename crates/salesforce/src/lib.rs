//! Salesforce wire types (Lead fields, the error envelope, record ids, Bulk API 2.0 CSV) and the OAuth client-credentials token client.

pub mod bulk_csv;
pub mod errors;
pub mod fields;
pub mod ids;
pub mod token_client;

pub use errors::{ApiError, ApiErrorItem, OAuthError};
pub use ids::RecordId;
