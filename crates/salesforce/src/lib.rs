//! Salesforce wire types, the OAuth client-credentials token client, and the Sales Cloud emulator.

pub mod token_client;
