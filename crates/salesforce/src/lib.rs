//! Salesforce wire types (Lead fields, the error envelope, record ids) and the OAuth client-credentials token client.

pub mod errors;
pub mod fields;
pub mod ids;
pub mod token_client;

pub use errors::{ApiError, ApiErrorItem, OAuthError};
pub use ids::RecordId;
